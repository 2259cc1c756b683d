import { mkdtempSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecording } from '@s2r/recording/reader.ts';
import { Recorder } from '@s2r/recording/recorder.ts';
import { serveViewer, type ViewerServer } from '../../src/server/serve.ts';
import { recordGo1Rollout } from '../../src/testing/go1-rollout.ts';
import { loadUrdf } from '@s2r/core';
import { launchBrowser, nextFrame, openViewer } from '../helpers/browser.ts';
import { GO1_URDF, sharedRobot, Z1_URDF } from '../../../../test/helpers/robots.ts';

const GO1 = GO1_URDF;
const Z1_STL = sharedRobot('z1/meshes/collision/z1_Link02.STL');

let dir: string;
let go1Path: string;
let go1b: string;
let customPath: string;
let server: ViewerServer;
let browser: Browser;
let page: Page;

/** A URDF of our own: one link with an STL visual that exists, one whose visual mesh is missing. */
function writeCustomRobot(root: string): string {
  mkdirSync(join(root, 'urdf'), { recursive: true });
  mkdirSync(join(root, 'meshes'), { recursive: true });
  copyFileSync(Z1_STL, join(root, 'meshes', 'arm.stl'));
  const urdf = `<?xml version="1.0"?>
<robot name="twolink">
  <link name="base"><visual><geometry><box size="0.2 0.2 0.1"/></geometry></visual>
    <collision><geometry><box size="0.2 0.2 0.1"/></geometry></collision></link>
  <link name="arm"><visual><geometry><mesh filename="package://twolink/meshes/arm.stl"/></geometry></visual>
    <collision><geometry><cylinder radius="0.03" length="0.3"/></geometry></collision></link>
  <link name="tool"><visual><geometry><mesh filename="package://twolink/meshes/not_there.dae"/></geometry></visual>
    <collision><origin xyz="0 0 0.05"/><geometry><box size="0.04 0.04 0.1"/></geometry></collision></link>
  <joint name="j1" type="revolute"><parent link="base"/><child link="arm"/><origin xyz="0 0 0.1"/><axis xyz="0 0 1"/><limit lower="-3" upper="3" effort="10" velocity="5"/></joint>
  <joint name="j2" type="revolute"><parent link="arm"/><child link="tool"/><origin xyz="0 0 0.3"/><axis xyz="0 1 0"/><limit lower="-2" upper="2" effort="10" velocity="5"/></joint>
</robot>`;
  const p = join(root, 'urdf', 'twolink.urdf');
  writeFileSync(p, urdf);
  return p;
}

function rawGet(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // http.request sends the path byte-for-byte (no URL normalisation, unlike fetch).
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const p = (pg: Page, key: string): Promise<any> => pg.evaluate((k) => (window as any).__s2r[k], key);
const hook = <T>(p: Page, fn: string, ...args: unknown[]): Promise<T> =>
  p.evaluate(([f, a]) => (window as any).__s2r[f as string](...(a as unknown[])), [fn, args] as const) as Promise<T>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 's2r-view-'));
  go1Path = join(dir, 'go1-seed1.mcap');
  go1b = join(dir, 'go1-seed2.mcap');
  await recordGo1Rollout(go1Path, { urdfPath: GO1, seconds: 1.0, seed: 1, episodes: 2, meta: { policy: 'scripted' } });
  await recordGo1Rollout(go1b, { urdfPath: GO1, seconds: 1.0, seed: 2, amplitude: 0.15 });
  // Custom robot: joint states only (no link poses): the viewer must pose it by forward kinematics.
  const model = loadUrdf(writeCustomRobot(join(dir, 'twolink')));
  customPath = join(dir, 'z-custom.mcap');
  const rec = await Recorder.open(customPath, { robot: model });
  for (let i = 0; i <= 100; i++) rec.jointState(i * 0.01, { position: [i * 0.01, 0.5] });
  await rec.close();
  // z1-push-like scene: the Z1 arm (its Link01 visual mesh is missing), a block moved through /tf, a goal,
  // and a heightfield.
  const z1 = loadUrdf(Z1_URDF);
  const zrec = await Recorder.open(join(dir, 'z1-push.mcap'), { robot: z1, meta: { task: 'z1-push' } });
  zrec.scene(0, {
    bodies: [
      { name: 'block', shape: { type: 'box', size: [0.05, 0.05, 0.05] }, pose: { position: [0.4, 0, 0.025], orientation: [0, 0, 0, 1] }, role: 'object' },
      { name: 'goal', shape: { type: 'sphere', radius: 0.03 }, pose: { position: [0.5, 0.2, 0.03], orientation: [0, 0, 0, 1] }, role: 'goal' },
    ],
    terrain: { type: 'heightfield', rows: 3, cols: 4, spacing: 0.5, heights: [0, 0, 0, 0, 0, 0.1, 0.2, 0, 0, 0, 0, 0] },
  });
  for (let i = 0; i <= 50; i++) {
    zrec.jointState(i * 0.02, { position: z1.actuatedJoints.map((_, j) => 0.2 * Math.sin(i / 10 + j)) });
    zrec.linkPoses(i * 0.02, ['block'], [0.4 + i * 0.002, 0, 0.025, 0, 0, Math.sin(i / 100), Math.cos(i / 100)]);
  }
  await zrec.close();
  server = await serveViewer({ paths: [dir], port: 0 });
  browser = await launchBrowser();
  page = await openViewer(browser, server.url);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('s2r viewer in headless Chromium', () => {
  it('serves the run folder recordings and renders a first frame', async () => {
    expect(server.recordings.map((r) => r.name)).toEqual(['go1-seed1.mcap', 'go1-seed2.mcap', 'z-custom.mcap', 'z1-push.mcap']);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const s = await page.evaluate(() => ({ ...(window as any).__s2r }));
    expect(s.firstFrameMs).toBeGreaterThan(0);
    expect(s.start).toBeCloseTo(0, 6);
    expect(s.end).toBeGreaterThan(1.9);
    expect((page as any).s2rErrors).toEqual([]);
    // The episode's domain-randomization values are shown beside the robot.
    await hook(page, 'setTime', 0.1);
    await nextFrame(page);
    expect(await page.locator('#info').innerText()).toMatch(/episode 0 · seed 1[\s\S]*friction: 0\.\d+/);
  });

  it('playback advances, pauses, and frame-steps to recorded samples', async () => {
    await hook(page, 'setTime', 0);
    await hook(page, 'play');
    await page.waitForFunction(() => (window as any).__s2r.time > 0.2, null, { timeout: 20_000 });
    await hook(page, 'pause');
    const t1 = await page.evaluate(() => (window as any).__s2r.time);
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as any).__s2r.time)).toBe(t1);
    await hook(page, 'setTime', 0.5);
    await hook(page, 'step', 1);
    const t2 = await page.evaluate(() => (window as any).__s2r.time);
    expect(t2).toBeGreaterThan(0.5);
    expect(t2).toBeLessThan(0.5 + 0.0051); // next 200 Hz sample
    await hook(page, 'step', -1);
    expect(await page.evaluate(() => (window as any).__s2r.time)).toBeLessThan(t2);
  });

  it('marks episode boundaries on the timeline and the camera follows the base', async () => {
    const marks = await p(page, 'timelineMarks');
    expect(marks.map((m: any) => `${m.event}${m.index}`)).toEqual(['start0', 'end0', 'start1', 'end1']);
    expect(marks[2].t).toBeGreaterThan(marks[1].t);
    const rec = readRecording(go1Path, { topics: ['/tf'] });
    const at = (i: number) => rec.messages[i]!;
    const offsets: number[][] = [];
    for (const i of [20, 150]) {
      await hook(page, 'setTime', at(i).t);
      await nextFrame(page);
      const cam = await hook<number[]>(page, 'camera');
      const b = at(i).data.transforms.find((x: any) => x.child_frame_id === 'base').translation;
      offsets.push([cam[0]! - b.x, cam[1]! - b.y, cam[2]! - b.z]);
    }
    // The base moved, the camera kept its offset to it.
    offsets[0]!.forEach((v, k) => expect(offsets[1]![k]).toBeCloseTo(v, 4));
  });

  it('scrubbing the timeline seeks', async () => {
    await page.locator('#scrub').fill('50000');
    const t = await page.evaluate(() => (window as any).__s2r.time);
    const end = await page.evaluate(() => (window as any).__s2r.end);
    expect(t).toBeCloseTo(end / 2, 2);
  });

  it('the plot cursors and the clock follow the playback time (at once when paused, at 10 Hz while playing)', async () => {
    await page.waitForFunction(() => (window as any).__s2r.plots >= 4, null, { timeout: 30_000 });
    const end = await p(page, 'end');
    const at = async (t: number) => {
      await hook(page, 'setTime', t);
      await nextFrame(page);
      return page.evaluate(() => ({
        xs: Array.from(document.querySelectorAll<HTMLElement>('#plots .cursor')).filter((c) => c.style.display !== 'none').map((c) => c.getBoundingClientRect().left),
        clock: document.getElementById('clock')!.textContent,
      }));
    };
    const a = await at(0);
    const m = await at(end / 2);
    const b = await at(end);
    expect(a.xs.length).toBeGreaterThanOrEqual(4);
    expect(m.clock).toBe(`${(end / 2).toFixed(2)} s / ${end.toFixed(2)} s`);
    // each panel's cursor: half way between its start and end positions (±1 px rounding)
    a.xs.forEach((x0, i) => {
      expect(b.xs[i]! - x0).toBeGreaterThan(100);
      expect(Math.abs(m.xs[i]! - (x0 + b.xs[i]!) / 2)).toBeLessThanOrEqual(1);
    });
    // while playing the clock still moves (refreshed at 10 Hz), and pausing brings it to the exact time
    await hook(page, 'setTime', 0);
    await hook(page, 'play');
    await page.waitForFunction(() => parseFloat(document.getElementById('clock')!.textContent!) > 0.2, null, { timeout: 20_000 });
    await hook(page, 'pause');
    await nextFrame(page);
    const paused = await page.evaluate(() => ({ t: (window as any).__s2r.time as number, clock: document.getElementById('clock')!.textContent }));
    expect(paused.clock).toBe(`${paused.t.toFixed(2)} s / ${end.toFixed(2)} s`);
  });

  it("renders a link at time t exactly where the recording put it (recorded and forward-kinematics links)", async () => {
    const rec = readRecording(go1Path, { topics: ['/tf'] });
    const sample = rec.messages[137]!;
    const tr = sample.data.transforms.find((x: any) => x.child_frame_id === 'FL_calf');
    await hook(page, 'setTime', sample.t);
    await nextFrame(page);
    expect(await page.evaluate(() => (window as any).__s2r.renderedAt())).toBe(sample.t);
    const pose = (await hook<number[]>(page, 'linkWorldPose', 'FL_calf'))!;
    const want = [tr.translation.x, tr.translation.y, tr.translation.z, tr.rotation.x, tr.rotation.y, tr.rotation.z, tr.rotation.w];
    // Float32 columns: 1e-5 m / 1e-5 in quaternion components. Sign of q is free.
    const sign = Math.sign(pose[6]!) === Math.sign(want[6]!) ? 1 : -1;
    pose.forEach((v, i) => expect(Math.abs((i >= 3 ? sign * v : v) - want[i]!)).toBeLessThan(1e-5));
    // FL_foot has no recorded pose: the viewer derives it from FL_calf and the fixed joint (0, 0, -0.213).
    const foot = (await hook<number[]>(page, 'linkWorldPose', 'FL_foot'))!;
    const [x, y, z, w] = [tr.rotation.x, tr.rotation.y, tr.rotation.z, tr.rotation.w];
    // R·(0,0,-0.213): third column of R scaled
    const c = [2 * (x * z + y * w), 2 * (y * z - x * w), 1 - 2 * (x * x + y * y)];
    const expFoot = [want[0]! - 0.213 * c[0]!, want[1]! - 0.213 * c[1]!, want[2]! - 0.213 * c[2]!];
    for (let i = 0; i < 3; i++) expect(Math.abs(foot[i]! - expFoot[i]!)).toBeLessThan(1e-5);
  });

  it('draws a non-blank picture', async () => {
    await hook(page, 'setTime', 0.3);
    await nextFrame(page);
    const png = await page.locator('#view3d canvas').screenshot();
    const stats = await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const g = c.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      const colors = new Set<number>();
      const bg = [d[0], d[1], d[2]];
      let differ = 0;
      for (let i = 0; i < d.length; i += 4) {
        colors.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
        if (Math.abs(d[i]! - bg[0]!) + Math.abs(d[i + 1]! - bg[1]!) + Math.abs(d[i + 2]! - bg[2]!) > 30) differ++;
      }
      return { colors: colors.size, differFrac: differ / (d.length / 4), w: c.width, h: c.height };
    }, png.toString('base64'));
    expect(stats.w).toBeGreaterThan(300);
    expect(stats.colors).toBeGreaterThan(50);
    expect(stats.differFrac).toBeGreaterThan(0.05);
  });

  it("shows the missing-mesh fallback for the Go1's trunk", async () => {
    const notes = await page.locator('#notes').innerText();
    expect(notes).toContain('meshes/trunk.dae');
    expect(notes).toMatch(/collision geometry/);
    expect(await page.locator('#notes .note').first().isVisible()).toBe(true);
    // The trunk link shows its collision box in place of the missing mesh.
    const kids = await page.evaluate(() => (window as any).__s2r.linkWorldPose('trunk') !== null);
    expect(kids).toBe(true);
  });

  it('poses a custom URDF from joint states, loads its STL, and notes its missing mesh', async () => {
    const p2 = await openViewer(browser, `${server.url}?rec=2`);
    try {
      await p2.waitForFunction(() => (window as any).__s2r.meshesLoadedMs !== null, null, { timeout: 60_000 });
      const notes = await p2.locator('#notes').innerText();
      expect(notes).toContain('not_there.dae');
      expect(notes).toContain('link tool');
      expect(notes).not.toContain('arm.stl');
      await hook(p2, 'setTime', 0.5);
      await nextFrame(p2);
      // j1 = 0.5 rad about z at 0.1 m; tool at 0.3 m above the arm, rotated 0.5 rad about y.
      const arm = (await hook<number[]>(p2, 'linkWorldPose', 'arm'))!;
      expect(arm[2]).toBeCloseTo(0.1, 6);
      expect(arm[5]).toBeCloseTo(Math.sin(0.25), 5);
      const tool = (await hook<number[]>(p2, 'linkWorldPose', 'tool'))!;
      expect(tool[2]).toBeCloseTo(0.4, 6);
    } finally {
      await p2.close();
    }
  });

  it('compares two recordings: ghost robot on the same time axis, plots for both', async () => {
    const p3 = await openViewer(browser, `${server.url}?rec=0&cmp=1`);
    try {
      await p3.waitForFunction(() => (window as any).__s2r.plots >= 4, null, { timeout: 30_000 });
      const rec = readRecording(go1b, { topics: ['/tf'] });
      const sample = rec.messages[60]!;
      const tr = sample.data.transforms.find((x: any) => x.child_frame_id === 'base');
      await hook(p3, 'setTime', sample.t);
      await nextFrame(p3);
      const g = (await hook<number[]>(p3, 'linkWorldPose', 'base', true))!;
      expect(g[0]).toBeCloseTo(tr.translation.x, 5);
      expect(g[2]).toBeCloseTo(tr.translation.z, 5);
      expect(await p3.locator('#legend').innerText()).toContain('go1-seed2.mcap');
      // Joint plot carries measured, target and compare series (one joint selected).
      await p3.locator('#jointsel').selectOption('FL_calf_joint');
      const legend = await p3.locator('#plots .plot').first().innerText();
      expect(legend).toContain('FL_calf_joint target');
      expect(legend).toContain('FL_calf_joint (cmp)');
    } finally {
      await p3.close();
    }
  });

  it('shows the z1-push block (moved by /tf), the goal and a heightfield', async () => {
    const p5 = await openViewer(browser, `${server.url}?rec=3`);
    try {
      await hook(p5, 'setTime', 0.5);
      await nextFrame(p5);
      const objs = await p5.evaluate(`(() => {
        const s = window.__s2r.scene;
        const pos = (n) => { const o = s.getObjectByName(n); return o ? [o.position.x, o.position.y, o.position.z] : null; };
        const terr = s.getObjectByName('terrain');
        let zmax = -1, zAt = null; if (terr) { const p = terr.geometry.attributes.position; for (let i = 0; i < p.count; i++) { zmax = Math.max(zmax, p.getZ(i)); if (Math.abs(p.getX(i)) < 1e-9 && Math.abs(p.getY(i) - 0.25) < 1e-9) zAt = p.getZ(i); } }
        return { block: pos('block'), goal: pos('goal'), zmax, zAt };
      })()`) as { block: number[]; goal: number[]; zmax: number; zAt: number };
      expect(objs.block[0]).toBeCloseTo(0.45, 5); // 0.4 + 25 × 0.002 at t = 0.5 s
      expect(objs.goal).toEqual([0.5, 0.2, 0.03].map((v) => expect.closeTo(v, 6)));
      expect(objs.zmax).toBeCloseTo(0.2, 6);
      // heights[r·cols + c] sits at x = (r − (rows−1)/2)·spacing, y = (c − (cols−1)/2)·spacing, as in @s2r/sim.
      expect(objs.zAt).toBeCloseTo(0.2, 6); // r = 1, c = 2 → (0, 0.25)
      const notes = await p5.locator('#notes').innerText();
      expect(notes).toContain('z1_Link01.dae');
    } finally {
      await p5.close();
    }
  });

  it('plays a live stream from a Recorder', async () => {
    const p4 = await browser.newPage({ viewport: { width: 960, height: 600 } });
    try {
      await p4.goto(`${server.url}?live=1`);
      await p4.waitForFunction(() => (window as any).__s2r !== undefined);
      const model = loadUrdf(GO1);
      const rec = await Recorder.open(null, { robot: model, live: server.liveUrl });
      await p4.waitForFunction(() => (window as any).__s2r.ready, null, { timeout: 30_000 });
      const names = ['base'];
      for (let i = 0; i <= 50; i++) {
        rec.jointState(i * 0.02, { position: new Array(12).fill(0.1 * Math.sin(i / 5)) });
        rec.linkPoses(i * 0.02, names, [i * 0.01, 0, 0.3, 0, 0, 0, 1]);
        if (i % 10 === 0) await new Promise((r) => setTimeout(r, 60));
      }
      await rec.close();
      await p4.waitForFunction(() => (window as any).__s2r.liveMessages >= 102, null, { timeout: 30_000 });
      await p4.waitForFunction(() => Math.abs((window as any).__s2r.time - 1.0) < 1e-9, null, { timeout: 10_000 });
      await nextFrame(p4);
      const base = (await hook<number[]>(p4, 'linkWorldPose', 'base'))!;
      expect(base[0]).toBeCloseTo(0.5, 5);
      expect(base[2]).toBeCloseTo(0.3, 5);
    } finally {
      await p4.close();
    }
  });

  it('opens a robot-less eval recording: a note instead of a robot, plots still drawn', async () => {
    const evalFile = join(dir, 'eval-only', 'eval.mcap');
    const rec = await Recorder.open(evalFile, { meta: { task: 'cartpole', source: 's2r eval' } });
    rec.episode(0, { index: 0, event: 'start', seed: 1 });
    for (let i = 0; i < 100; i++) {
      rec.write('/observation', i * 0.02, { obs: [i, -i] });
      rec.action(i * 0.02, [Math.sin(i / 10)]);
      rec.rewardTerms(i * 0.02, {}, 1);
    }
    rec.episode(1.98, { index: 0, event: 'end', return: 100, length: 100, reason: 'truncated' });
    await rec.close();
    const s2 = await serveViewer({ paths: [evalFile], port: 0 });
    const p6 = await openViewer(browser, s2.url);
    try {
      await p6.waitForFunction(() => (window as any).__s2r.plots >= 2, null, { timeout: 30_000 });
      expect(await p6.locator('#notes').innerText()).toContain('no embedded URDF');
      expect(await p(p6, 'end')).toBeCloseTo(1.98, 6);
      expect((p6 as any).s2rErrors).toEqual([]);
    } finally {
      await p6.close();
      await s2.close();
    }
  });

  it('refuses path traversal and serves only what it was given', async () => {
    const port = server.port;
    const attacks = [
      '/../../../../etc/passwd',
      '/mesh/0/0/../../../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/mesh/0/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
      '/api/rec/..%2f..%2fetc%2fpasswd/meta',
      '/mesh/0/0/..%252f..%252fetc%252fpasswd',
      '/..%5c..%5cetc%5cpasswd',
      '/mesh/0/0/%00.dae',
    ];
    for (const a of attacks) {
      const r = await rawGet(port, a);
      expect(r.status, a).toBe(400);
      expect(r.body).not.toContain('root:');
    }
    expect((await rawGet(port, '/etc/passwd')).status).toBe(404);
    expect((await rawGet(port, '/mesh/0/999/x.dae')).status).toBe(404);
    expect((await rawGet(port, '/api/rec/7/meta')).status).toBe(404);
    expect((await rawGet(port, '/mesh/0/0/mesh.dae')).status).toBe(200);
    // DNS rebinding: another host name pointing here is refused.
    expect((await rawGet(port, '/api/session', { host: 'evil.example:80' })).status).toBe(403);
  });
});
