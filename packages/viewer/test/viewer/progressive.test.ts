/**
 * Progressive load (issue 18: the first frame of a long file without reading all of it first). In headless
 * Chromium: the page draws its first frame while the server still holds the rest of the file back (a gate on
 * slice 1, so "before" is a condition, not a timing), then receives the remaining slices, and ends up with exactly
 * the data a whole-file load gives (series fingerprints, events, span). A damaged chunk mid-file shows as an
 * error in the page, with everything read before it kept — again equal to what the whole-file read keeps.
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listChunks } from '@s2r/recording/reader.ts';
import { serveViewer } from '../../src/server/serve.ts';
import { prepareRecording } from '../../src/server/view-data.ts';
import { seriesDigest, unpackSeries } from '../../src/data/series.ts';
import { recordGo1Rollout } from '../../src/testing/go1-rollout.ts';
import { launchBrowser, openViewer } from '../helpers/browser.ts';
import { GO1_URDF } from '../../../../test/helpers/robots.ts';

let dir: string;
let long: string;
let damaged: string;
let killed: string;
let browser: Browser;

/** What the page's digest() returns, computed from a whole-file prepare (today's load). */
function wholeFile(path: string): { digest: unknown; error?: string } {
  const v = prepareRecording(path, '0');
  const series = unpackSeries(v.meta.layout, v.blob.buffer.slice(v.blob.byteOffset, v.blob.byteOffset + v.blob.length) as ArrayBuffer);
  for (const [k, s] of unpackSeries(v.meta.layoutRest, v.rest.buffer.slice(v.rest.byteOffset, v.rest.byteOffset + v.rest.length) as ArrayBuffer)) series.set(k, s);
  const digest = { series: seriesDigest(series), events: v.meta.events, start: v.meta.start, end: v.meta.end, complete: v.meta.complete };
  return { digest: JSON.parse(JSON.stringify(digest)), error: v.meta.error };
}

const s2r = (page: Page, expr: string): Promise<any> => page.evaluate((e) => new Function('h', `return ${e}`)((window as any).__s2r), expr);
const loaded = (page: Page): Promise<unknown> => page.waitForFunction(() => (window as any).__s2r.load.loaded, null, { timeout: 120_000 });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 's2r-progressive-'));
  long = join(dir, 'go1-30s.mcap');
  // 30 s at 500 Hz, two episodes, small chunks so the file has many of them (slices cut across chunks too).
  await recordGo1Rollout(long, { urdfPath: GO1_URDF, seconds: 15, episodes: 2, seed: 3, chunkBytes: 64 * 1024 });
  damaged = join(dir, 'go1-damaged.mcap');
  const bytes = Buffer.from(readFileSync(long));
  const chunks = listChunks(long);
  const mid = chunks[Math.floor(chunks.length * 0.6)]!;
  // One flipped byte inside a chunk 60 % into the file: its CRC (or zstd frame) no longer checks out.
  const at = mid.offset + Math.floor(mid.length * 0.6);
  bytes[at] = bytes[at]! ^ 0x55;
  writeFileSync(damaged, bytes);
  // A writer killed mid-file: no summary, no footer, the last chunk cut in half.
  killed = join(dir, 'go1-killed.mcap');
  const cut = chunks[Math.floor(chunks.length * 0.7)]!;
  writeFileSync(killed, readFileSync(long).subarray(0, cut.offset + Math.floor(cut.length / 2)));
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  await browser?.close();
});

describe('progressive load of a long recording', () => {
  it('shows the first frame before the rest is read, then holds exactly the whole-file data', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let asked = 0;
    const server = await serveViewer({
      paths: [long],
      live: false,
      progressive: { firstWindowS: 1, sliceS: 2, maxSliceS: 2, beforeSlice: (k) => ((asked = Math.max(asked, k)), k === 1 ? gate : undefined) },
    });
    try {
      const page = await openViewer(browser, server.url);
      // First frame drawn with only the first window: the server has not read slice 1 yet.
      expect(asked).toBeLessThanOrEqual(1);
      expect(await s2r(page, 'h.load')).toMatchObject({ loaded: false, slices: 1 });
      const partialEnd: number = await s2r(page, 'h.end');
      expect(partialEnd).toBeLessThanOrEqual(1.0 + 1e-9);
      expect(await s2r(page, 'h.frames')).toBeGreaterThan(0);
      release();
      await loaded(page);
      const state = await s2r(page, 'h.load');
      expect(state.loadError).toBeNull();
      expect(state.slices).toBeGreaterThan(10);
      const whole = wholeFile(long);
      expect(whole.error).toBeUndefined();
      const got = await s2r(page, 'h.digest()');
      expect(got.end).toBeGreaterThan(29);
      expect(got).toEqual(whole.digest);
      // The timeline grew to the whole file and shows both episodes; the plots were built.
      expect(await s2r(page, 'h.end')).toBe(got.end);
      expect((await s2r(page, 'h.timelineMarks')).filter((m: { event: string }) => m.event === 'start').length).toBe(2);
      await page.waitForFunction(() => (window as any).__s2r.plots > 0, null, { timeout: 60_000 });
      // A page opened after the load completed gets the full snapshot at once, and the same data.
      const late = await openViewer(browser, server.url);
      expect(await s2r(late, 'h.load')).toMatchObject({ loaded: true, loadError: null });
      expect(await s2r(late, 'h.digest()')).toEqual(whole.digest);
      expect((page as unknown as { s2rErrors: string[] }).s2rErrors).toEqual([]);
    } finally {
      release();
      await server.close();
    }
  }, 300_000);

  it('a damaged chunk mid-file shows as an error in the page, and what was read before it stays', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const server = await serveViewer({ paths: [damaged], live: false, progressive: { firstWindowS: 1, sliceS: 2, maxSliceS: 2, beforeSlice: (k) => (k === 1 ? gate : undefined) } });
    try {
      const page = await openViewer(browser, server.url);
      // Opened mid-load: the error arrives with a later slice, after the first frame.
      expect(await s2r(page, 'h.load')).toMatchObject({ loaded: false, loadError: null });
      release();
      await loaded(page);
      const state = await s2r(page, 'h.load');
      expect(state.loadError).toMatch(/go1-damaged\.mcap: .*reading stopped at byte \d+/);
      const notes: string[] = await s2r(page, 'h.notes');
      expect(notes.some((n) => n.includes('reading stopped at byte') && n.includes('showing what was read before it'))).toBe(true);
      const whole = wholeFile(damaged);
      expect(whole.error).toMatch(/go1-damaged\.mcap: .*reading stopped at byte \d+/);
      const got = await s2r(page, 'h.digest()');
      expect(got).toEqual(whole.digest);
      // Part of the file, not none of it and not all of it.
      expect(got.end).toBeGreaterThan(5);
      expect(got.end).toBeLessThan(27);
      // Opened after the load stopped: the full snapshot carries the same error and data.
      const late = await openViewer(browser, server.url);
      expect(await s2r(late, 'h.load')).toMatchObject({ loaded: true, loadError: state.loadError });
      expect(await s2r(late, 'h.digest()')).toEqual(whole.digest);
    } finally {
      release();
      await server.close();
    }
  }, 300_000);

  it('a killed recording (no footer, a half chunk) loads up to its last complete chunk, as a whole-file read does', async () => {
    const server = await serveViewer({ paths: [killed], live: false, progressive: { firstWindowS: 1, sliceS: 2 } });
    try {
      const page = await openViewer(browser, server.url);
      await loaded(page);
      expect(await s2r(page, 'h.load')).toMatchObject({ loaded: true, loadError: null });
      const whole = wholeFile(killed);
      const got = await s2r(page, 'h.digest()');
      expect(got).toEqual(whole.digest);
      expect(got.complete).toBe(false);
      expect(got.end).toBeGreaterThan(15);
      expect(got.end).toBeLessThan(25);
      const notes: string[] = await s2r(page, 'h.notes');
      expect(notes.some((n) => n.includes('has no footer'))).toBe(true);
    } finally {
      await server.close();
    }
  }, 300_000);
});
