/**
 * bench:viewer's frame-rate part: `fps_ratio` = the viewer's mean frame time ÷ a bare three.js page's mean frame
 * time (bench/bare-page.ts: the same robot meshes, loaded the same way, same camera, canvas size and pixel ratio;
 * no UI, plots or floor), in one headless Chromium (SwiftShader WebGL2) with frames uncapped
 * (--disable-gpu-vsync --disable-frame-rate-limit), so each page draws as fast as it can.
 *
 * Both pages stay open in the same browser; they are measured in turn, A/B then B/A, in short windows, so load
 * from the rest of the machine lands on both alike and the ratio holds on a busy host. Outside its window a page
 * draws nothing (the viewer is paused, the bare page stopped); both keep their idle animation-frame loop.
 * The viewer runs at `?scale=1` (its dynamic resolution pinned to full), so both draw the same pixels.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../src/testing/browser.ts';

export interface FpsRatioOptions {
  /** Browsers launched in turn (default 3), each measuring `pairs` A/B pairs on freshly loaded pages. */
  launches?: number;
  /**
   * A/B pairs measured per launch (default 16). On a 2-core VM one pair's ratio scatters with a standard deviation
   * of 0.13-0.20 whatever the window length (0.25, 0.5 or 1 s: the host's speed moves within a second), so the
   * figure's precision comes from the number of pairs: 48 half-second pairs give a standard error of ~0.02 in the
   * time 24 one-second pairs gave ~0.03 (where single runs of the same code ranged 1.13-1.24).
   */
  pairs?: number;
  /** Length of one measuring window, s (default 0.5), after its first frames (SKIP_FRAMES). */
  windowS?: number;
  /** Page viewport, CSS px (default 1280×720). */
  viewport?: { width: number; height: number };
}

export interface FpsRatio {
  /** The viewer playing at 1×, frames per second (uncapped, full resolution). */
  fps: number;
  bare_fps: number;
  /** Viewer mean frame time ÷ bare mean frame time over all windows. */
  fps_ratio: number;
  /** The same ratio per A/B pair: its spread says how steady the measurement was. */
  pair_ratios: number[];
  /** Standard error of the mean of pair_ratios: how far fps_ratio may be from what more pairs would give. */
  ratio_se: number;
  /** The same ratio per browser launch. */
  launch_ratios: number[];
  /** Chromium CPU time per frame (all its processes), viewer ÷ bare: the load-robust cross-check; null off Linux. */
  cpu_ratio: number | null;
  viewer_cpu_ms_per_frame: number | null;
  bare_cpu_ms_per_frame: number | null;
  /** Chromium CPU per frame by part (chromiumCpuByPart), ms: where the viewer's extra time goes. */
  cpu_ms_per_frame_by_part: { viewer: Record<string, number> | null; bare: Record<string, number> | null };
  canvas: string;
  viewer_triangles: number;
  bare_triangles: number;
  /** WebGL draw calls per frame. */
  viewer_calls: number;
  bare_calls: number;
  /** JS time per viewer frame, ms: scene update (poses, contacts, UI) and issuing the render. */
  viewer_js_ms: { update: number; render: number };
  load_avg_1m: number;
}

interface Window {
  frames: number;
  wallMs: number;
  /** CPU time of the Chromium processes during the window, ms, by part (chromiumCpuByPart; null off Linux). */
  byPart: Record<string, number> | null;
}

let ticksPerS: number | null = null;

/**
 * CPU time used so far (user + system, ms) by the Chromium processes started below this one (browser, renderers,
 * GPU process), from /proc, by part: `webgl` (the GPU process's SwiftShader worker threads, which draw WebGL),
 * `gpu_main` (its main thread: command buffer and ANGLE), `compositor` (its display compositor thread: the page's
 * layers into the frame), `renderer_main` (the page's main thread: JS, style, layout, paint), `other` (browser
 * process, the renderer's compositor and raster threads, IO).
 * Null where there is no /proc. CPU time per frame barely moves with the load from other processes, where wall
 * time per frame does: it backs the wall-clock ratio up on a busy host, and the parts say where a difference is.
 */
export function chromiumCpuByPart(): Record<string, number> | null {
  if (!existsSync('/proc/self/stat')) return null;
  ticksPerS ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = (path: string): { ppid: number; comm: string; ticks: number } | null => {
    let st: string;
    try {
      st = readFileSync(path, 'utf8');
    } catch {
      return null; // exited while we listed
    }
    const close = st.lastIndexOf(')');
    const f = st.slice(close + 2).split(' '); // from field 3 (state) on: ppid is f[1], utime f[11], stime f[12]
    return { ppid: Number(f[1]), comm: st.slice(st.indexOf('(') + 1, close), ticks: Number(f[11]) + Number(f[12]) };
  };
  const procs: { pid: number; ppid: number; comm: string }[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const p = stat(`/proc/${d}/stat`);
    if (p) procs.push({ pid: Number(d), ppid: p.ppid, comm: p.comm });
  }
  const mine = new Set([process.pid]);
  // Parents have lower pids in the common case but not always: iterate until no process joins.
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs)
      if (!mine.has(p.pid) && mine.has(p.ppid)) {
        mine.add(p.pid);
        grew = true;
      }
  }
  const out: Record<string, number> = { webgl: 0, gpu_main: 0, compositor: 0, renderer_main: 0, other: 0 };
  for (const p of procs) {
    if (p.pid === process.pid || !mine.has(p.pid) || !/chrom/i.test(p.comm)) continue;
    let type = 'browser';
    try {
      type = /--type=([a-z-]+)/.exec(readFileSync(`/proc/${p.pid}/cmdline`, 'utf8'))?.[1] ?? 'browser';
    } catch {
      continue;
    }
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${p.pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const t = stat(`/proc/${p.pid}/task/${tid}/stat`);
      if (!t) continue;
      const part =
        type === 'gpu-process' && /^Thread<\d+>$/.test(t.comm) ? 'webgl'
        : type === 'gpu-process' && (tid === String(p.pid) || t.comm === p.comm) ? 'gpu_main' // its main and GPU main threads
        : type === 'gpu-process' && /^VizCompositor/.test(t.comm) ? 'compositor'
        : type === 'renderer' && tid === String(p.pid) ? 'renderer_main'
        : 'other';
      out[part]! += (t.ticks / ticksPerS) * 1000;
    }
  }
  return out;
}

/** Frames each window lets a page draw before it starts counting (see drawWindow). */
const SKIP_FRAMES = 3;

/**
 * Let one page draw for `ms` of wall time and count its rendered frames: the viewer plays (its `frames` counts
 * rendered frames), the bare page runs; both stop after.
 */
function drawWindow(page: Page, which: 'viewer' | 'bare', ms: number): Promise<Window> {
  return withCpu(() =>
    page.evaluate(
      async ([which, ms, skip]) => {
        // (no named functions in here: tsx would wrap them in a helper the page does not have)
        const w = window as any;
        const viewer = which === 'viewer';
        const h = viewer ? w.__s2r : w.__bare;
        if (viewer) h.play();
        else h.run(true);
        // The first frames after a start are drawn into an idle pipeline (nothing queued in the GPU process yet), so
        // they come faster than steady state; the window opens once `skip` frames are drawn.
        const warm = h.frames + skip;
        while (h.frames < warm) await new Promise((r) => requestAnimationFrame(r));
        const f0 = h.frames;
        const t0 = performance.now();
        await new Promise((r) => setTimeout(r, ms));
        const frames = h.frames - f0;
        const wallMs = performance.now() - t0;
        if (viewer) h.pause();
        else h.run(false);
        return { frames, wallMs };
      },
      [which, ms, SKIP_FRAMES] as const,
    ),
  );
}

/**
 * CPU time over the window: read before the page starts and after it stops, so it also holds the start/stop
 * round trips (a few ms, alike for both pages).
 */
async function withCpu(w: () => Promise<{ frames: number; wallMs: number }>): Promise<Window> {
  const c0 = chromiumCpuByPart();
  const r = await w();
  const c1 = chromiumCpuByPart();
  if (!c0 || !c1) return { ...r, byPart: null };
  const byPart: Record<string, number> = {};
  for (const k of Object.keys(c1)) byPart[k] = c1[k]! - (c0[k] ?? 0);
  return { ...r, byPart };
}

/** The bare page as one ES module (three + RobotView + Track), built in memory like the app. */
async function bareBundle(): Promise<string> {
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [new URL('./bare-page.ts', import.meta.url).pathname],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles.map((f) => f.text).join('\n');
}

/** Standard error of the mean of `xs` (sample standard deviation ÷ √n); 0 for fewer than 2 values. */
export function standardError(xs: number[]): number {
  if (xs.length < 2) return 0;
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  const ss = xs.reduce((a, x) => a + (x - mean) ** 2, 0);
  return Math.sqrt(ss / (xs.length - 1) / xs.length);
}

interface Launch {
  v: Window[];
  b: Window[];
  prof: { update: number; render: number; n: number };
  canvas: { w: number; h: number };
  vInfo: { triangles: number; calls: number };
  bInfo: { triangles: number; calls: number };
}

export async function measureFpsRatio(viewerUrl: string, opts: FpsRatioOptions = {}): Promise<FpsRatio> {
  const launches: Launch[] = [];
  const bareJs = await bareBundle();
  for (let i = 0; i < (opts.launches ?? 3); i++) launches.push(await measureLaunch(viewerUrl, bareJs, opts));
  const v = launches.flatMap((l) => l.v);
  const b = launches.flatMap((l) => l.b);
  const frameMs = (ws: Window[]): number => ws.reduce((s, w) => s + w.wallMs, 0) / ws.reduce((s, w) => s + w.frames, 0);
  const vMs = frameMs(v);
  const bMs = frameMs(b);
  const prof = { update: 0, render: 0, n: 0 };
  for (const l of launches) for (const k of ['update', 'render', 'n'] as const) prof[k] += l.prof[k];
  const byPart = (ws: Window[]): Record<string, number> | null => {
    if (ws.some((w) => w.byPart === null)) return null;
    const frames = ws.reduce((s, w) => s + w.frames, 0);
    const out: Record<string, number> = {};
    for (const w of ws) for (const [k, ms] of Object.entries(w.byPart!)) out[k] = (out[k] ?? 0) + ms / frames;
    return out;
  };
  const vParts = byPart(v);
  const bParts = byPart(b);
  const total = (parts: Record<string, number> | null): number | null => (parts ? Object.values(parts).reduce((a, x) => a + x, 0) : null);
  const vCpu = total(vParts);
  const bCpu = total(bParts);
  const l0 = launches[0]!;
  const pairRatios = v.map((w, i) => w.wallMs / w.frames / (b[i]!.wallMs / b[i]!.frames));
  return {
    fps: 1000 / vMs,
    bare_fps: 1000 / bMs,
    fps_ratio: vMs / bMs,
    pair_ratios: pairRatios,
    ratio_se: standardError(pairRatios),
    launch_ratios: launches.map((l) => frameMs(l.v) / frameMs(l.b)),
    cpu_ratio: vCpu === null || bCpu === null ? null : vCpu / bCpu,
    viewer_cpu_ms_per_frame: vCpu,
    bare_cpu_ms_per_frame: bCpu,
    cpu_ms_per_frame_by_part: { viewer: vParts, bare: bParts },
    canvas: `${l0.canvas.w}x${l0.canvas.h}`,
    viewer_triangles: l0.vInfo.triangles,
    bare_triangles: l0.bInfo.triangles,
    viewer_calls: l0.vInfo.calls,
    bare_calls: l0.bInfo.calls,
    viewer_js_ms: { update: prof.update / prof.n, render: prof.render / prof.n },
    load_avg_1m: loadavg()[0]!,
  };
}

/** One browser: both pages loaded, warmed up, then `pairs` A/B pairs of windows. */
async function measureLaunch(viewerUrl: string, bareJs: string, opts: FpsRatioOptions): Promise<Launch> {
  const pairs = opts.pairs ?? 16;
  const windowMs = (opts.windowS ?? 0.5) * 1000;
  const viewport = opts.viewport ?? { width: 1280, height: 720 };
  const base = new URL(viewerUrl);
  const browser = await launchBrowser({ uncapped: true });
  try {
    const errors: string[] = [];
    const viewer = await browser.newPage({ viewport });
    viewer.on('pageerror', (e) => errors.push(`viewer: ${e.message}`));
    // The viewer URL's own query (e.g. a recording choice) is kept; scale=1 pins full resolution.
    const vurl = new URL('/', base);
    vurl.search = base.search;
    vurl.searchParams.set('scale', '1');
    await viewer.goto(vurl.href);
    await viewer.waitForFunction(() => (window as any).__s2r?.ready || (window as any).__s2r?.error, null, { timeout: 120_000 });
    const err = await viewer.evaluate(() => (window as any).__s2r.error as string | null);
    if (err) throw new Error(`viewer failed: ${err}`);
    // Everything loaded (meshes, plots, the recording's last slice), so no window also measures loading.
    await viewer.waitForFunction(() => (window as any).__s2r.meshesLoadedMs !== null && (window as any).__s2r.plots >= 4 && (window as any).__s2r.load.loaded, null, { timeout: 300_000 });
    const canvas = await viewer.evaluate(() => {
      const c = document.querySelector('#view3d canvas') as HTMLCanvasElement;
      return { w: c.clientWidth, h: c.clientHeight, pw: c.width, ph: c.height };
    });
    if (canvas.pw !== canvas.w || canvas.ph !== canvas.h) throw new Error(`viewer canvas ${canvas.pw}×${canvas.ph} px for ${canvas.w}×${canvas.h} CSS px: ?scale=1 did not pin full resolution`);

    // The bare page is served from the viewer's origin (so its /api and /mesh requests are the viewer's own).
    const bare = await browser.newPage({ viewport });
    bare.on('pageerror', (e) => errors.push(`bare: ${e.message}`));
    await bare.route(new URL('/bare.js', base).href, (r) => r.fulfill({ contentType: 'text/javascript', body: bareJs }));
    await bare.route(new URL('/bare', base).href + '?*', (r) =>
      r.fulfill({ contentType: 'text/html', body: '<!doctype html><html><head><meta charset="utf-8"><title>bare</title></head><body><script type="module" src="/bare.js"></script></body></html>' }),
    );
    await bare.goto(new URL(`/bare?w=${canvas.w}&h=${canvas.h}&rec=0`, base).href);
    await bare.waitForFunction(() => (window as any).__bare?.ready || (window as any).__bare?.error, null, { timeout: 300_000 });
    const bareErr = await bare.evaluate(() => (window as any).__bare.error as string | null);
    if (bareErr) throw new Error(bareErr);

    // Warm-up: shader compiles, JIT, the first frames' allocations.
    await drawWindow(viewer, 'viewer', windowMs);
    await drawWindow(bare, 'bare', windowMs);
    const prof0 = await viewer.evaluate(() => ({ ...(window as any).__s2r.prof }));
    const v: Window[] = [];
    const b: Window[] = [];
    for (let i = 0; i < pairs; i++) {
      // A/B, then B/A: a load that rises or falls during the run weighs on both pages alike.
      if (i % 2 === 0) {
        v.push(await drawWindow(viewer, 'viewer', windowMs));
        b.push(await drawWindow(bare, 'bare', windowMs));
      } else {
        b.push(await drawWindow(bare, 'bare', windowMs));
        v.push(await drawWindow(viewer, 'viewer', windowMs));
      }
    }
    const prof1 = await viewer.evaluate(() => ({ ...(window as any).__s2r.prof }));
    const vInfo = await viewer.evaluate(() => (window as any).__s2r.renderInfo() as { triangles: number; calls: number });
    const bInfo = await bare.evaluate(() => ({ triangles: (window as any).__bare.triangles as number, calls: (window as any).__bare.calls as number }));
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    for (const w of [...v, ...b]) if (w.frames < 2) throw new Error(`a page drew ${w.frames} frames in ${w.wallMs.toFixed(0)} ms: not rendering`);
    return { v, b, prof: { update: prof1.update - prof0.update, render: prof1.render - prof0.render, n: prof1.n - prof0.n }, canvas, vInfo, bInfo };
  } finally {
    await browser.close();
  }
}
