/**
 * bench:viewer's 10-minute measurement (issue 18: "the first frame of a 10-minute file in ≤ 1 s"). The 60 s
 * recording is repeated 10 times into one 600 s file — the same bytes per minute a 10-minute rollout gives,
 * without 10 minutes of physics — and on it are timed (ms of wall time, CPU ms beside each):
 * - `first_frame_read_ms_10min`: what a viewer needs to draw its first frame (meta, URDF, scene, the first 0.1 s
 *   of joint states and link poses), read with `readRecording(…, { timeRange })`, which hops over chunk headers;
 * - `full_read_ms_10min`: the whole file decoded (the sequential read, for comparison);
 * - `viewer_prepare_ms_10min`: the viewer server's whole-file `prepareRecording` (whole file → series), what
 *   `s2r view` ran before the page could load until the progressive load (server/progressive.ts), for comparison;
 * - end to end, as a user of `s2r view` sees it (browser and a blank tab already open; the clock starts when `serveViewer` is
 *   called, i.e. when the user asks for the file): `view_first_frame_ms_10min` to the first rendered frame, and
 *   `view_full_load_ms_10min` to the page holding the whole file (every slice appended); `serve_ready_ms_10min`
 *   is the server's part (first window read, app bundle, listening); `app_bundle_ms` is the bundle's part of
 *   it, `app_bundle_from_cache` whether it came from the on-disk cache (src/server/bundle.ts: any start after
 *   the first; S2R_VIEWER_CACHE_DIR= (empty) measures a cold build);
 * - `page_first_frame_ms_10min`: the same first frame, in ms since navigation (as `first_frame_ms` for the 60 s
 *   file), in headless Chromium.
 */
import { existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { McapStreamReader } from '@mcap/core';
import { McapFileWriter } from '@s2r/recording/mcap-file-writer.ts';
import { readRecording } from '@s2r/recording/reader.ts';
import { DECOMPRESS_HANDLERS } from '@s2r/recording/zstd.ts';
import { PROFILE } from '@s2r/recording/topics.ts';
import { buildApp } from '../src/server/bundle.ts';
import { serveViewer } from '../src/server/serve.ts';
import { prepareRecording } from '../src/server/view-data.ts';
import { launchBrowser } from '../src/testing/browser.ts';

const REPEATS = 10;

/** `short` (a closed recording) repeated REPEATS times, each copy shifted by its duration. */
function repeatRecording(short: string, out: string): void {
  const r = new McapStreamReader({ decompressHandlers: DECOMPRESS_HANDLERS });
  r.append(readFileSync(short));
  const w = new McapFileWriter(`${out}.part`, { overwrite: true, profile: PROFILE });
  const msgs: { channelId: number; logTime: bigint; data: Uint8Array }[] = [];
  const seen = new Set<string>();
  let end = 0n;
  for (let rec; (rec = r.nextRecord()); ) {
    if (rec.type === 'Schema' && !seen.has(`s${rec.id}`)) (seen.add(`s${rec.id}`), w.registerSchema(rec.id, rec.name, rec.encoding, rec.data));
    else if (rec.type === 'Channel' && !seen.has(`c${rec.id}`)) (seen.add(`c${rec.id}`), w.registerChannel(rec));
    else if (rec.type === 'Metadata' && !seen.has('dataEnd')) w.addMetadata(rec.name, Object.fromEntries(rec.metadata));
    else if (rec.type === 'Attachment' && !seen.has('dataEnd')) w.addAttachment(rec.name, rec.mediaType, rec.data);
    else if (rec.type === 'Message') {
      msgs.push({ channelId: rec.channelId, logTime: rec.logTime, data: rec.data });
      if (rec.logTime > end) end = rec.logTime;
    } else if (rec.type === 'DataEnd') seen.add('dataEnd');
  }
  const span = end + 2_000_000n; // one 500 Hz tick after the last message
  for (let k = 0n; k < BigInt(REPEATS); k++) for (const m of msgs) w.addMessage(m.channelId, m.logTime + k * span, m.data);
  w.close();
  renameSync(`${out}.part`, out);
}

function timed<T>(f: () => T): { ms: number; cpuMs: number; value: T } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = f();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { ms, cpuMs: (c.user + c.system) / 1000, value };
}

/** Build (or reuse) the 10-minute file next to `short` and time its reads. Returns the bench's JSON fields. */
export async function measureLongFile(short: string, fresh: boolean): Promise<Record<string, number | string | boolean>> {
  const long = short.replace(/\.mcap$/, `-x${REPEATS}.mcap`);
  if (fresh || !existsSync(long) || statSync(long).mtimeMs < statSync(short).mtimeMs) {
    rmSync(long, { force: true });
    console.error(`repeating ${short} ${REPEATS}× → ${long}`);
    repeatRecording(short, long);
  }
  const first = timed(() => readRecording(long, { timeRange: [0, 0.1] }));
  const rec = first.value;
  if (!rec.robot || !rec.messages.some((m) => m.topic === '/joint_states') || !rec.messages.some((m) => m.topic === '/tf'))
    throw new Error(`${long}: the first 0.1 s lacks the robot, joint states or link poses (${rec.messages.length} messages)`);
  let n = 0;
  const full = timed(() => readRecording(long, { onMessage: () => void n++ }));
  const prep = timed(() => prepareRecording(long, '0'));
  const wholeEnd = prep.value.meta.end;
  const browser = await launchBrowser();
  let view: { served: number; first: number; full: number; pageFirst: number };
  let bundle!: { cached: boolean; buildMs: number };
  try {
    // The tab exists before the clock starts, as the user's browser does: opening one is the browser's cost.
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const t0 = performance.now();
    const server = await serveViewer({ paths: [long], port: 0, live: false });
    const served = performance.now() - t0;
    bundle = await buildApp(); // (the server's own build: memoized)
    try {
      const tNav = performance.now() - t0;
      await page.goto(server.url);
      await page.waitForFunction(() => (window as any).__s2r?.ready || (window as any).__s2r?.error, null, { timeout: 120_000 });
      await page.waitForFunction(() => (window as any).__s2r.load.loaded || (window as any).__s2r.error, null, { timeout: 600_000 });
      const r = await page.evaluate(() => {
        const h = (window as any).__s2r;
        return { ff: h.firstFrameMs as number, loaded: h.load.loadedMs as number, err: (h.error ?? h.load.loadError) as string | null, end: h.end as number };
      });
      if (r.err) throw new Error(`viewer on ${long}: ${r.err}`);
      if (r.end !== wholeEnd) throw new Error(`viewer on ${long}: loaded up to ${r.end} s, the whole file ends at ${wholeEnd} s`);
      view = { served, first: tNav + r.ff, full: tNav + r.loaded, pageFirst: r.ff };
    } finally {
      await server.close();
    }
  } finally {
    await browser.close();
  }
  const pageFirstMs = view.pageFirst;
  console.error(`10-minute file: first frame's data in ${first.ms.toFixed(0)} ms (${rec.messages.length} messages), whole file ${full.ms.toFixed(0)} ms (${n} messages), whole-file viewer prepare ${prep.ms.toFixed(0)} ms; s2r view: served in ${view.served.toFixed(0)} ms, first frame at ${view.first.toFixed(0)} ms, fully loaded at ${view.full.toFixed(0)} ms`);
  const mb = statSync(long).size / 1e6;
  const minutes = Number(full.value.endTime - full.value.startTime) / 60;
  return {
    long_file_mb: Number(mb.toFixed(2)),
    long_file_mb_per_min: Number((mb / minutes).toFixed(2)),
    first_frame_read_ms_10min: Math.round(first.ms),
    first_frame_read_cpu_ms_10min: Math.round(first.cpuMs),
    full_read_ms_10min: Math.round(full.ms),
    full_read_cpu_ms_10min: Math.round(full.cpuMs),
    viewer_prepare_ms_10min: Math.round(prep.ms),
    viewer_prepare_cpu_ms_10min: Math.round(prep.cpuMs),
    page_first_frame_ms_10min: Math.round(pageFirstMs),
    serve_ready_ms_10min: Math.round(view.served),
    view_first_frame_ms_10min: Math.round(view.first),
    view_full_load_ms_10min: Math.round(view.full),
    app_bundle_from_cache: bundle.cached,
    app_bundle_ms: bundle.buildMs,
  };
}
