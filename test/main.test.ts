/**
 * The main job (issue 8): `npm start` evaluates the committed Go1 policy, deploys it through the bridge to the
 * sim hardware at 500 Hz / 50 Hz with latency and noise, records MCAP, and serves the viewer.
 * These tests run the real command as a child process, on the committed policy, and look at the result in real
 * headless Chromium.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launchBrowser, openViewer } from '@s2r/viewer/testing/browser.ts';

const REPO = resolve(import.meta.dirname, '..');
const POLICY_DIR = join(REPO, 'hardware/policies/go1-flat');

function run(cmd: string, args: string[]): { child: ChildProcess; out: () => string; done: Promise<number | null> } {
  const child = spawn(cmd, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const done = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, out: () => out, done };
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

describe('the committed Go1 policy', () => {
  it('sits in hardware/policies with its config, metrics and the command that reproduces it', () => {
    for (const f of ['policy.json', 'config.json', 'metrics.jsonl', 'command.txt']) expect(existsSync(join(POLICY_DIR, f)), f).toBe(true);
    expect(statSync(join(POLICY_DIR, 'policy.json')).size).toBeLessThan(1024 * 1024);
    const cmd = readFileSync(join(POLICY_DIR, 'command.txt'), 'utf8');
    expect(cmd).toMatch(/s2r train go1-flat/);
    const artifact = JSON.parse(readFileSync(join(POLICY_DIR, 'policy.json'), 'utf8'));
    expect(artifact.task ?? artifact.meta?.task ?? JSON.stringify(artifact).includes('go1-flat')).toBeTruthy();
  });
});

describe('npm start', () => {
  it('-- --no-serve walks the Go1 through the bridge, records MCAP and ends with a JSON summary', async () => {
    const out = mkdtempSync(join(tmpdir(), 's2r-main-'));
    const r = run('npm', ['start', '--silent', '--', '--no-serve', '--out', out]);
    children.push(r.child);
    const code = await r.done;
    const text = r.out();
    expect(code, text.slice(-3000)).toBe(0);
    for (const stage of ['[1/5] evaluate', '[2/5] sim2sim', '[3/5] deploy', '[4/5] record', '[5/5] view']) expect(text).toContain(stage);
    const last = text.trim().split('\n').pop()!;
    const summary = JSON.parse(last);
    expect(summary.main).toBe('done');
    // The sim2sim stage is scored: both engines walk the policy without a fall.
    expect(summary.sim2sim).toMatchObject({ rapier_falls: 0, mujoco_falls: 0 });
    expect(summary.sim2sim.mujoco_m).toBeGreaterThan(1);
    expect(existsSync(resolve(REPO, summary.recording))).toBe(true);
    expect(statSync(resolve(REPO, summary.recording)).size).toBeGreaterThan(100_000);
    // On failure, say whether the simulated robot kept real time (physics lag, re-anchors) or the loop did not.
    const why = () => {
      const d = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).deploy;
      return JSON.stringify({ hardware: d.hardware_stats, running: d.running, missed: d.missed_deadlines, loop_max_us: d.loop_max_us });
    };
    expect(summary.falls, why()).toBe(0);
    expect(summary.distance_m, why()).toBeGreaterThanOrEqual(MIN_DISTANCE_M);
    expect(typeof summary.loop_p99_us).toBe('number');
    expect(typeof summary.safety_interventions).toBe('number');
    // The action pipeline's limiting is its normal job, reported apart; the safety layer cuts nothing it emits while
    // the policy runs. A watchdog trip (no state for 10 periods) can only come from a host too loaded to run the
    // simulated robot in real time, so it is the one kind allowed here (it is 0 on an unloaded machine).
    const cut = Object.keys(summary.safety_running_by_kind).filter((k) => k !== 'watchdog');
    expect(cut, `${JSON.stringify(summary.safety_running_by_kind)} ${why()}`).toEqual([]);
    expect(summary.pipeline_limiting).toMatchObject({ clip: expect.any(Number), position_limit: expect.any(Number), rate_limit: expect.any(Number) });
  }, 240_000);

  it('serves the viewer on the recording, and the page shows the robot walking', async () => {
    const out = mkdtempSync(join(tmpdir(), 's2r-main-view-'));
    const r = run(process.execPath, [join(REPO, 'packages/cli/bin/s2r.mjs'), 'main', '--eval-episodes', '0', '--duration', '8', '--port', '0', '--out', out]);
    children.push(r.child);
    const url = await new Promise<string>((res, rej) => {
      const timer = setInterval(() => {
        const m = /open (http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(r.out());
        if (m) {
          clearInterval(timer);
          res(m[1]!);
        } else if (r.child.exitCode !== null) {
          clearInterval(timer);
          rej(new Error(`main exited early:\n${r.out().slice(-3000)}`));
        }
      }, 100);
    });
    const browser = await launchBrowser();
    try {
      const page = await openViewer(browser, url);
      // The first frame comes from the first window of the file (progressive load): wait for the rest.
      await page.waitForFunction(() => (window as any).__s2r.load.loaded, null, { timeout: 60_000 });
      const h = await page.evaluate(() => {
        const s = (window as any).__s2r;
        return { start: s.start, end: s.end };
      });
      expect(h.end - h.start).toBeGreaterThan(8);
      // The trunk moves forward across the walking part (after the 2 s soft start), as rendered in the page.
      const poseAt = async (t: number) => {
        await page.evaluate((tt) => (window as any).__s2r.setTime(tt), t);
        await page.waitForFunction(() => (window as any).__s2r.settled(), null, { timeout: 30_000 });
        return page.evaluate(() => ({ rendered: (window as any).__s2r.linkWorldPose('trunk'), recorded: (window as any).__s2r.recordedPose('trunk', (window as any).__s2r.time) }));
      };
      const a = await poseAt(h.start + 2.5);
      const b = await poseAt(h.end - 1);
      expect(a.rendered).not.toBeNull();
      // The page draws the trunk where the recording has it, at both times.
      for (let i = 0; i < 3; i++) expect(a.rendered[i]).toBeCloseTo(a.recorded[i], 3);
      for (let i = 0; i < 3; i++) expect(b.rendered[i]).toBeCloseTo(b.recorded[i], 3);
      const walked = Math.hypot(b.rendered[0] - a.rendered[0], b.rendered[1] - a.rendered[1]);
      expect(walked).toBeGreaterThan(MIN_VIEW_WALK_M);
      expect(b.rendered[2]).toBeGreaterThan(0.15); // still standing: the trunk is well above the ground
      // Playback advances on its own.
      await page.evaluate((t) => {
        const s = (window as any).__s2r;
        s.setTime(t);
        s.play();
      }, h.start);
      await page.waitForFunction((t0) => (window as any).__s2r.time > t0 + 0.5, h.start, { timeout: 20_000 });
      const png = await page.screenshot();
      expect(png.length).toBeGreaterThan(10_000);
    } finally {
      await browser.close();
    }
    r.child.kill('SIGINT');
    const code = await r.done;
    expect(code, r.out().slice(-2000)).toBe(0);
    expect(r.out().trim().split('\n').pop()).toMatch(/"main":"done"/);
  }, 240_000);
});

/** Issue 8: at least 5 m in the 20 s of walking commands. */
const MIN_DISTANCE_M = 5;
/** Over ~5 s of the 8 s run shown in the browser. */
// Over the 4.5 s window the policy covers ~2.5 m on a quiet host; a loaded host (CI at load 4-8) makes the simulated
// robot lose real time (watchdog holds), and one clean-clone run at load 8 covered 0.91 m. What this test checks is
// that the page shows the walk it recorded (rendered = recorded, above), so the bar only has to tell walking from
// standing still (a standing Go1 sways by centimetres).
const MIN_VIEW_WALK_M = 0.3;
