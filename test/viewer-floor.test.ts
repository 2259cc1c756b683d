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
