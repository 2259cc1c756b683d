/**
 * The viewer's floor, in real headless Chromium: a go1-rough recording (standing policy, written by the same
 * `recordEpisodes` that `s2r eval --record` uses) shows its heightfield terrain; a flat recording shows the metre
 * grid under the robot, a contact shadow and the 1 m scale bar; the playback buttons draw vector icons.
 * Each "is it drawn" check is a screenshot check: hiding the object must change a good share of the pixels.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordEpisodes } from '@s2r/policies/record-episodes.ts';
import type { Policy } from '@s2r/policies/policy.ts';
import { serveViewer, type ViewerServer } from '@s2r/viewer/server/serve.ts';
import { launchBrowser, nextFrame, openViewer } from '@s2r/viewer/testing/browser.ts';

/** Zero actions: the Go1 holds its default pose (the policy of "a recording with standing actions"). */
function standing(act: number): Policy {
  return { kind: 'standing', obsSize: 0, actSize: act, meta: null as never, reset() {}, act: () => new Float32Array(act) };
}

let dir: string;
let server: ViewerServer;
let browser: Browser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 's2r-floor-'));
  const short = { episodeLengthS: 1 };
  await recordEpisodes(standing(12), { task: 'go1-rough', path: join(dir, 'a-rough.mcap'), envOverrides: short });
  await recordEpisodes(standing(12), { task: 'go1-flat', path: join(dir, 'b-flat.mcap'), envOverrides: short });
  server = await serveViewer({ paths: [dir], port: 0 });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(name: string): Promise<Page> {
  const id = server.recordings.find((r) => r.name.startsWith(name))!.id;
  const page = await openViewer(browser, `${server.url}?rec=${id}&scale=1`, { width: 800, height: 500 });
  await page.evaluate(() => (window as any).__s2r.setTime(0.5));
  await nextFrame(page);
  return page;
}

/**
 * Share of the 3D view's pixels whose colour changes by more than 12/255 in some channel when scene object `name`
 * is hidden. Both frames are rendered and read back (gl.readPixels) in one task, before the browser presents them.
 */
async function drawnShare(page: Page, name: string): Promise<number> {
  const r = await page.evaluate((n) => {
    const hook = (window as any).__s2r;
    const o = hook.scene.getObjectByName(n);
    if (!o) return null;
    const canvas = document.querySelector('#view3d canvas') as HTMLCanvasElement;
    const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext;
    const w = gl.drawingBufferWidth;
    const h = gl.drawingBufferHeight;
    const grab = () => {
      hook.renderOnly();
      const px = new Uint8Array(w * h * 4);
      gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, px);
      return px;
    };
    const before = grab();
    o.visible = false;
    const after = grab();
    o.visible = true;
    hook.renderOnly();
    let changed = 0;
    for (let i = 0; i < before.length; i += 4) {
      if (Math.abs(before[i]! - after[i]!) > 12 || Math.abs(before[i + 1]! - after[i + 1]!) > 12 || Math.abs(before[i + 2]! - after[i + 2]!) > 12) changed++;
    }
    return changed / (w * h);
  }, name);
  expect(r, `scene object "${name}"`).not.toBeNull();
  return r!;
}

describe('viewer floor and terrain', () => {
  it('a go1-rough recording carries its heightfield, and the viewer draws it under the robot', async () => {
    const page = await open('a-rough');
    const terr = await page.evaluate(() => {
      const s = (window as any).__s2r.scene;
      const t = s.getObjectByName('terrain');
      if (!t) return null;
      const pos = t.geometry.attributes.position;
      let lo = Infinity;
      let hi = -Infinity;
      for (let k = 0; k < pos.count; k++) {
        lo = Math.min(lo, pos.getZ(k));
        hi = Math.max(hi, pos.getZ(k));
      }
      return { count: pos.count, lo, hi, gridVisible: s.getObjectByName('grid').visible };
    });
    expect(terr).not.toBeNull();
    expect(terr!.count).toBe(561 * 311); // go1-rough's default map, every height
    expect(terr!.hi - terr!.lo).toBeGreaterThan(0.3); // stairs and pits, not a flat sheet
    expect(terr!.gridVisible).toBe(false); // the flat grid would cut through the terrain
    expect(await drawnShare(page, 'terrain')).toBeGreaterThan(0.2);
    await page.close();
  });

  it('a flat recording shows the metre grid, a contact shadow under the base and the 1 m scale bar', async () => {
    const page = await open('b-flat');
    const info = await page.evaluate(() => {
      const s = (window as any).__s2r.scene;
      const sh = s.getObjectByName('contact-shadow');
      const base = (window as any).__s2r.linkWorldPose?.('trunk') ?? null;
      return { shadow: sh.visible, sx: sh.position.x, sy: sh.position.y, base, terrain: !!s.getObjectByName('terrain') };
    });
    expect(info.terrain).toBe(false);
    expect(info.shadow).toBe(true);
    if (info.base) {
      expect(info.sx).toBeCloseTo(info.base[0], 3);
      expect(info.sy).toBeCloseTo(info.base[1], 3);
    }
    expect(await drawnShare(page, 'grid')).toBeGreaterThan(0.01);
    expect(await drawnShare(page, 'contact-shadow')).toBeGreaterThan(0.002);
    expect(await drawnShare(page, 'scale-bar-1m')).toBeGreaterThan(0.0005);
    await page.close();
  });

  it('the floor is painted below the horizon and the background above it; seen from below, there is no floor', async () => {
    const page = await open('b-flat');
    // Share of the top and bottom pixel rows (3D view) within 3/255 of the floor and of the background colour.
    const rows = () =>
      page.evaluate(() => {
        // Where the horizon must be: view rays level with the floor, for the 45° vertical field of view.
        const [px, py, pz, tx, ty, tz] = (window as any).__s2r.camera() as number[];
        const d = [tx - px, ty - py, tz - pz];
        const ndc = -d[2] / Math.hypot(d[0], d[1]) / Math.tan((22.5 * Math.PI) / 180);
        const hook = (window as any).__s2r;
        const canvas = document.querySelector('#view3d canvas') as HTMLCanvasElement;
        const gl = canvas.getContext('webgl2') as WebGL2RenderingContext;
        const w = gl.drawingBufferWidth;
        const h = gl.drawingBufferHeight;
        hook.renderOnly();
        const row = (y: number) => {
          const px = new Uint8Array(w * 4);
          gl.readPixels(0, y, w, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
          const near = (c: number[]) => {
            let n = 0;
            for (let i = 0; i < px.length; i += 4) if (Math.abs(px[i]! - c[0]!) <= 3 && Math.abs(px[i + 1]! - c[1]!) <= 3 && Math.abs(px[i + 2]! - c[2]!) <= 3) n++;
            return n / w;
          };
          return { floor: near([0x2e, 0x33, 0x3b]), sky: near([0x20, 0x24, 0x2c]) };
        };
        const yh = Math.round(((ndc + 1) / 2) * h); // rows from the bottom
        const inView = yh > 8 && yh < h - 8;
        return { bottom: row(0), top: row(h - 1), under: inView ? row(yh - 6) : null, over: inView ? row(yh + 6) : null };
      });
    const above = await rows();
    expect(above.bottom.floor).toBeGreaterThan(0.6); // the rest: grid lines
    expect(above.top.sky).toBeGreaterThan(0.95);
    // just under the horizon it is floor, just over it sky (far lines are sparse; the robot is nearer)
    expect(above.under!.floor).toBeGreaterThan(0.6);
    expect(above.over!.sky).toBeGreaterThan(0.95);
    const cam = await page.evaluate(() => (window as any).__s2r.camera());
    await page.evaluate(([c]) => (window as any).__s2r.setCamera([c[0], c[1], -0.5], [c[3], c[4], 0.3]), [cam]);
    const below = await rows();
    expect(below.bottom.sky).toBeGreaterThan(0.95);
    expect(below.top.sky).toBeGreaterThan(0.95);
    await page.close();
  });

  it('draws a contact dot at each foot in contact and a force arrow from it, and the checkboxes hide them', async () => {
    const page = await open('b-flat');
    // contacts arrive with the series fetched after the first frame
    await page.waitForFunction(() => (window as any).__s2r.scene.getObjectByName('contact-dots').userData.links.length > 0, null, { timeout: 30_000 });
    const shown = await page.evaluate(() => {
      const hook = (window as any).__s2r;
      const dots = hook.scene.getObjectByName('contact-dots');
      const heads = hook.scene.getObjectByName('force-heads');
      const at = dots.userData.at as Float32Array; // the dots' world positions, as the triangle batch draws them
      const out: { link: string; dot: number[]; link3: number[] }[] = [];
      dots.userData.links.forEach((link: string, i: number) => {
        out.push({ link, dot: [at[i * 3]!, at[i * 3 + 1]!, at[i * 3 + 2]!], link3: hook.linkWorldPose(link).slice(0, 3) });
      });
      return { dots: out, visible: dots.visible, arrows: [...heads.userData.links], headsVisible: heads.visible };
    });
    // a standing Go1: its feet are down
    expect(shown.dots.filter((d) => /foot/i.test(d.link)).length).toBeGreaterThanOrEqual(3);
    expect(shown.visible).toBe(true);
    for (const d of shown.dots) for (let k = 0; k < 3; k++) expect(d.dot[k]).toBeCloseTo(d.link3[k]!, 5);
    expect(shown.arrows.length).toBeGreaterThan(0);
    expect(shown.headsVisible).toBe(true);
    // each kind is drawn: hiding it changes pixels (dots at the feet, arrow heads, arrow shafts)
    for (const name of ['contact-dots', 'force-heads', 'force-shafts']) expect(await drawnShare(page, name), name).toBeGreaterThan(0.00003);
    expect(await drawnShare(page, 'contacts')).toBeGreaterThan(0.0003);
    await page.click('#contacts');
    await page.click('#forces');
    await nextFrame(page);
    const hidden = await page.evaluate(() => {
      const s = (window as any).__s2r.scene;
      return { dots: s.getObjectByName('contact-dots').visible, heads: s.getObjectByName('force-heads').visible, shafts: s.getObjectByName('force-shafts').visible };
    });
    expect(hidden).toEqual({ dots: false, heads: false, shafts: false });
    await page.close();
  });

  it('playback buttons are vector icons, not font glyphs, and the play button toggles to pause', async () => {
    const page = await open('b-flat');
    const icons = await page.evaluate(() => ['play', 'back', 'fwd'].map((id) => ({ id, svg: !!document.querySelector(`#${id} svg path`), text: document.getElementById(id)!.textContent!.trim() })));
    for (const i of icons) {
      expect(i.svg, i.id).toBe(true);
      expect(i.text, i.id).toBe('');
    }
    await page.click('#play');
    expect(await page.evaluate(() => document.getElementById('play')!.dataset.icon)).toBe('pause');
    const box = await page.locator('#play svg').boundingBox();
    expect(box!.width).toBeGreaterThan(8);
    await page.close();
  });
});
