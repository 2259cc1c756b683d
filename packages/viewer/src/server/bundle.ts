/**
 * Builds the browser app (three.js, uPlot, the app's TypeScript) into one ES module with esbuild, in memory,
 * once per process. No CDN and no network: everything comes from node_modules.
 *
 * The build (~0.2-0.3 s, a third of a 10-minute file's time to first frame in `s2r view`) is kept on disk in
 * node_modules/.cache/s2r-viewer/ (or $S2R_VIEWER_CACHE_DIR), with the content hash of every file that went into it (esbuild's metafile):
 * the next process serves it after re-hashing those files (~5 ms) and rebuilds when any of them, or esbuild's
 * version, changed. No cache directory that can be written (a read-only install): it builds every time, as before.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface AppAssets {
  js: string;
  /** Lazily loaded chunks (mesh simplifier, plots), by file name: served at /<name>. */
  chunks: Map<string, string>;
  css: string;
  html: string;
  /** Wall time to get the bundle: the build, or reading and checking the cached one. */
  buildMs: number;
  /** Whether the bundle came from the on-disk cache. */
  cached: boolean;
}

/** What the cache file holds: the bundle's files, and what it was built from. */
interface CacheEntry {
  esbuild: string;
  /** sha256 of this file: the build options live here. */
  builder: string;
  /** Input path (relative to the viewer package) → sha256 of its content. */
  inputs: Record<string, string>;
  /** Output file name → text. */
  outputs: Record<string, string>;
}

const PKG_DIR = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Where the built bundle is kept: $S2R_VIEWER_CACHE_DIR if set (empty: no cache), else node_modules/.cache/s2r-viewer
 * in the nearest node_modules above this package; null when there is none.
 */
function cacheDir(): string | null {
  const env = process.env.S2R_VIEWER_CACHE_DIR;
  if (env !== undefined) return env === '' ? null : resolve(env);
  for (let d = PKG_DIR; ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) return join(d, 'node_modules', '.cache', 's2r-viewer');
    if (dirname(d) === d) return null;
  }
}

function sha256(path: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return null; // moved or deleted: the entry is stale
  }
}

/** The cached outputs, if every input still hashes the same and neither esbuild nor this builder changed. */
function readCache(file: string, esbuildVersion: string, builder: string): Record<string, string> | null {
  let e: CacheEntry;
  try {
    e = JSON.parse(readFileSync(file, 'utf8')) as CacheEntry;
  } catch {
    return null; // none yet, or torn
  }
  if (e.esbuild !== esbuildVersion || e.builder !== builder || !e.inputs || !e.outputs || Object.keys(e.inputs).length === 0) return null;
  for (const [rel, h] of Object.entries(e.inputs)) if (sha256(resolve(PKG_DIR, rel)) !== h) return null;
  return e.outputs;
}

/** Write the entry next to its final name and rename it there (concurrent servers never read half a file). */
function writeCache(file: string, entry: CacheEntry): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(entry));
    renameSync(tmp, file);
  } catch {
    /* read-only or full: serve from memory, build again next time */
  }
}

/** Build the app with esbuild (marking the build started once handed over) and, with a cache file, keep it there. */
async function build(esbuild: typeof import('esbuild'), file: string | null, builder: string): Promise<Record<string, string>> {
  const entry = fileURLToPath(new URL('../app/main.ts', import.meta.url));
  // Code splitting keeps what the first frame needs (three + the app) in app.js; the mesh simplifier and the
  // plots load after it.
  const building = esbuild.build({
    entryPoints: { app: entry },
    absWorkingDir: PKG_DIR,
    bundle: true,
    splitting: true,
    outdir: '/s2r-viewer',
    chunkNames: 'chunk-[hash]',
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    metafile: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  markStarted();
  const out = await building;
  const outputs: Record<string, string> = {};
  for (const f of out.outputFiles) outputs[f.path.slice(f.path.lastIndexOf('/') + 1)] = f.text;
  if (file) {
    const inputs: Record<string, string> = {};
    for (const rel of Object.keys(out.metafile.inputs)) {
      const h = sha256(resolve(PKG_DIR, rel));
      if (h) inputs[rel] = h;
    }
    writeCache(file, { esbuild: esbuild.version, builder, inputs, outputs });
  }
  return outputs;
}

let cached: Promise<AppAssets> | null = null;
let markStarted: () => void = () => undefined;
/**
 * Resolves once the build is handed to esbuild's own process (or the cached bundle was found): from then on it runs
 * beside this thread, so the server reads the first recording window meanwhile instead of before (or after) it.
 */
export let buildStarted: Promise<void> = Promise.resolve();

export function buildApp(): Promise<AppAssets> {
  if (!cached) buildStarted = new Promise((r) => (markStarted = r));
  cached ??= (async () => {
    const t0 = performance.now();
    const esbuild = await import('esbuild');
    const dir = cacheDir();
    const file = dir ? join(dir, 'app.json') : null;
    const builder = sha256(fileURLToPath(import.meta.url)) ?? '';
    const hit = file ? readCache(file, esbuild.version, builder) : null;
    if (hit) markStarted();
    const outputs = hit ?? (await build(esbuild, file, builder));
    const js = outputs['app.js'];
    if (js === undefined) throw new Error('viewer bundle: esbuild produced no app.js');
    const chunks = new Map(Object.entries(outputs).filter(([name]) => name !== 'app.js'));
    const require = createRequire(import.meta.url);
    const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
    const css = uplotCss + '\n' + readFileSync(new URL('../app/style.css', import.meta.url), 'utf8');
    const html = readFileSync(new URL('../app/index.html', import.meta.url), 'utf8');
    return { js, chunks, css, html, buildMs: Math.round(performance.now() - t0), cached: hit !== null };
  })();
  cached.catch(() => {
    cached = null;
    markStarted();
  });
  return cached;
}
