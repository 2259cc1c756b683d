/**
 * npm run bench:viewer — a 60 s recording of the 12-DoF Go1 at 500 Hz (Rapier physics, scripted trot):
 * joint state, command and loop timing every 2 ms; action, reward terms, contacts and all link poses at
 * 50 Hz. Measures the file size, the time from opening the page to the first rendered frame (page-side
 * performance.now(), which starts at navigation), and the playback frame rate in headless Chromium
 * (rendered frames per second of wall time while playing at 1×, meshes loaded, 1280×720): `playback_fps`, capped
 * by the 60 Hz frame clock, at the viewer's dynamic resolution, as a user sees it. Then `fps`, `bare_fps` and
 * `fps_ratio` (bench/fps.ts): uncapped frames at full resolution, the viewer against a bare three.js page drawing
 * the same robot, measured in turn in one browser, in each of 3 browser launches (`fps_launch_ratios`), with the
 * standard error of its A/B pairs (`fps_ratio_se`); `cpu_ratio` is the same comparison in Chromium CPU time.
 * The recording repeated 10 times gives a 10-minute file on which bench/long-file.ts times the first frame's read
 * (`first_frame_read_ms_10min`, by time window), the whole-file read and the viewer server's prepare.
 * The same rollout is also recorded in the pre-protobuf format (JSON messages, uncompressed chunks) to report
 * `compression`: that file's size ÷ this one's.
 * Last line: {"bench":"viewer","file_mb":…,"file_mb_per_min":…,"compression":…,"first_frame_ms":…,"fps":…, …extras}
 *
 * Options: --seconds N (default 60)  --measure-s N (fps window, default 5)  --fresh (re-record)
 *          --fps-launches N (browsers launched in turn for fps_ratio, default 3)  --fps-pairs N (A/B pairs per
 *          launch, default 16)  --fps-window-s N (one window, default 0.5)
 *          --no-json (skip the JSON recording; compression is then null — for long runs, e.g. --seconds 600)
 */
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '@s2r/core';
import { serveViewer } from '../src/server/serve.ts';
import { recordGo1Rollout } from '../src/testing/go1-rollout.ts';
import { GO1_URDF } from '../../../test/helpers/robots.ts';
import { readRecording } from '@s2r/recording/reader.ts';
import { launchBrowser } from '../src/testing/browser.ts';
import { measureLongFile } from './long-file.ts';
import { measureFpsRatio, type FpsRatio } from './fps.ts';

const args = parseArgs(process.argv.slice(2), { values: ['seconds', 'measure-s', 'urdf', 'fps-launches', 'fps-pairs', 'fps-window-s'], booleans: ['fresh', 'no-json'] });
const seconds = args.num('seconds', 60);
const measureS = args.num('measure-s', 5);
const urdf = args.str('urdf', GO1_URDF);
const dir = join(tmpdir(), 's2r-bench-viewer');
mkdirSync(dir, { recursive: true });
// The format is in the name, so a cached file of an older format is never measured as the current one.
const file = join(dir, `go1-${seconds}s-500hz-v3.mcap`);
const jsonFile = join(dir, `go1-${seconds}s-500hz-json.mcap`);
const rollout = { urdfPath: urdf, seconds, dt: 0.002, decimation: 10, poseEvery: 10, seed: 1 };
let recordCpuS: number | null = null;
if (args.has('fresh') || !existsSync(file)) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  console.error(`recording ${seconds} s of Go1 at 500 Hz → ${file}`);
  // Written under a temporary name and renamed when complete: an interrupted run never leaves a "cached" half file.
  await recordGo1Rollout(`${file}.part`, { ...rollout, overwrite: true });
  renameSync(`${file}.part`, file);
  const c = process.cpuUsage(c0);
  recordCpuS = (c.user + c.system) / 1e6;
  console.error(`  recorded in ${((performance.now() - t0) / 1000).toFixed(1)} s (${recordCpuS.toFixed(1)} s CPU, physics included)`);
}
const compareJson = !args.has('no-json');
if (compareJson && (args.has('fresh') || !existsSync(jsonFile))) {
  console.error(`recording the same rollout as JSON, uncompressed (the format before protobuf/zstd) → ${jsonFile}`);
  await recordGo1Rollout(`${jsonFile}.part`, { ...rollout, overwrite: true, encoding: 'json', compression: 'none' });
  renameSync(`${jsonFile}.part`, jsonFile);
}
const fileMb = statSync(file).size / 1e6;
const jsonMb = compareJson ? statSync(jsonFile).size / 1e6 : null;
const check = readRecording(file, { parse: false });
const js = check.messages.filter((m) => m.topic === '/joint_states').length;

// The first frame of a 10-minute file, read by time window (bench/long-file.ts).
const long = await measureLongFile(file, args.has('fresh'));

const tServe = performance.now();
const server = await serveViewer({ paths: [file], port: 0 });
const serverReadyMs = performance.now() - tServe;
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url);
  await page.waitForFunction(() => (window as any).__s2r?.ready || (window as any).__s2r?.error, null, { timeout: 120_000 });
  const first = await page.evaluate(() => ({ ff: (window as any).__s2r.firstFrameMs, err: (window as any).__s2r.error, marks: (window as any).__s2r.marks }));
  if (first.err) throw new Error(first.err);
  await page.waitForFunction(() => (window as any).__s2r.meshesLoadedMs !== null, null, { timeout: 300_000 });
  await page.waitForFunction(() => (window as any).__s2r.plots >= 4, null, { timeout: 120_000 });
  const meshesMs = await page.evaluate(() => (window as any).__s2r.meshesLoadedMs);
  // Warm up 2 s of playback (shader compile, JIT, dynamic resolution settling), then count rendered frames.
  await page.evaluate(() => (window as any).__s2r.play());
  await page.waitForTimeout(2000);
  const fps = await page.evaluate(async (ms) => {
    const h = (window as any).__s2r;
    const f0 = h.frames;
    const t0 = performance.now();
    const sim0 = h.time;
    await new Promise((r) => setTimeout(r, ms));
    const frames = h.frames - f0;
    const wall = (performance.now() - t0) / 1000;
    return { fps: frames / wall, simAdvance: h.time - sim0, wall, tris: h.meshStats, prof: h.prof, scale: h.renderScale() };
  }, measureS * 1000);
  if (errors.length) console.error('page errors:', errors);
  console.error('per-frame JS (ms): update', (fps.prof.update / fps.prof.n).toFixed(2), 'render', (fps.prof.render / fps.prof.n).toFixed(2), 'frames', fps.prof.n);
  await browser.close(); // the ratio gets a browser of its own, with uncapped frames
  const ratio = await measureFpsRatio(server.url, { launches: args.num('fps-launches', 3), pairs: args.num('fps-pairs', 16), windowS: args.num('fps-window-s', 0.5) });
  console.error('fps_ratio per browser launch:', ratio.launch_ratios.map((r) => r.toFixed(2)).join(' '), '· per A/B pair:', ratio.pair_ratios.map((r) => r.toFixed(2)).join(' '), '· viewer JS per frame (ms): update', ratio.viewer_js_ms.update.toFixed(2), 'render', ratio.viewer_js_ms.render.toFixed(2));
  const meta = server.recordings[0]!;
  console.error(`served ${meta.path}; playback advanced ${fps.simAdvance.toFixed(2)} s of recording in ${fps.wall.toFixed(2)} s (loops at the end)`);
  console.log(
    JSON.stringify({
      bench: 'viewer',
      file_mb: Number(fileMb.toFixed(2)),
      // zstd chunks + protobuf for the 500 Hz channels; the goal is ≤ 5 MB per minute of Go1 at 500 Hz.
      file_mb_per_min: Number((fileMb / (seconds / 60)).toFixed(2)),
      compression: jsonMb === null ? null : Number((jsonMb / fileMb).toFixed(2)),
      json_mb_per_min: jsonMb === null ? null : Number((jsonMb / (seconds / 60)).toFixed(2)),
      record_cpu_s: recordCpuS === null ? null : Number(recordCpuS.toFixed(1)),
      ...long,
      first_frame_ms: Math.round(first.ff),
      // milestones of the first frame (ms since navigation): app script running, WebGL up, recording downloaded
      script_ms: Math.round(first.marks.script),
      webgl_ms: Math.round(first.marks.webgl),
      data_ms: Math.round(first.marks['data:0']),
      tracks_ms: Math.round(first.marks.tracks),
      render_start_ms: Math.round(first.marks.render),
      ...fpsFields(ratio, fps.fps),
      duration_s: seconds,
      joint_state_msgs: js,
      messages: check.messages.length,
      server_prepare_ms: Math.round(serverReadyMs),
      meshes_loaded_ms: Math.round(meshesMs),
      triangles_drawn: Math.round(fps.tris.trianglesDrawn),
      triangles_source: Math.round(fps.tris.trianglesLoaded),
      viewport: '1280x720',
      render_scale: Number(fps.scale.toFixed(2)),
      // fps on a software renderer depends on what else the 2 cores run; the 1-min load average says how busy they were.
      loadavg_1m: Number(loadavg()[0]!.toFixed(1)),
      load_avg_1m: Number(loadavg()[0]!.toFixed(1)),
    }),
  );
} finally {
  await browser.close();
  await server.close();
}

/** The frame-rate fields of the JSON line (bench/fps.ts measures them). */
function fpsFields(r: FpsRatio, playbackFps: number): Record<string, unknown> {
  const n = (x: number | null, d: number): number | null => (x === null ? null : Number(x.toFixed(d)));
  return {
    // uncapped frames, full resolution (?scale=1), 1280×720 page: viewer vs a bare three.js page, same robot meshes
    fps: n(r.fps, 1),
    bare_fps: n(r.bare_fps, 1),
    fps_ratio: n(r.fps_ratio, 2),
    fps_ratio_se: n(r.ratio_se, 3),
    fps_launch_ratios: r.launch_ratios.map((x) => n(x, 2)),
    fps_pair_ratios: r.pair_ratios.map((x) => n(x, 2)),
    cpu_ratio: n(r.cpu_ratio, 2),
    viewer_cpu_ms_per_frame: n(r.viewer_cpu_ms_per_frame, 1),
    bare_cpu_ms_per_frame: n(r.bare_cpu_ms_per_frame, 1),
    // where the difference goes: SwiftShader's WebGL threads, the GPU main thread, the compositor, the page's main thread
    cpu_ms_per_frame_by_part: Object.fromEntries(
      Object.entries(r.cpu_ms_per_frame_by_part).map(([page, parts]) => [page, parts && Object.fromEntries(Object.entries(parts).map(([k, ms]) => [k, n(ms, 2)]))]),
    ),
    canvas: r.canvas,
    draw_calls: { viewer: r.viewer_calls, bare: r.bare_calls },
    fps_load_avg_1m: n(r.load_avg_1m, 1),
    // 60 Hz frame clock, dynamic resolution: what a user watching the playback gets
    playback_fps: n(playbackFps, 1),
  };
}
