/**
 * Builds the browser app (three.js, uPlot, the app's TypeScript) into one ES module with esbuild, in memory,
 * once per process. No CDN and no network: everything comes from node_modules.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface AppAssets {
  js: string;
  /** Lazily loaded chunks (mesh simplifier, plots), by file name: served at /<name>. */
  chunks: Map<string, string>;
  css: string;
  html: string;
  buildMs: number;
}

let cached: Promise<AppAssets> | null = null;
let markStarted: () => void = () => undefined;
/**
 * Resolves once the build is handed to esbuild's own process: from then on it runs beside this thread, so the
 * server reads the first recording window meanwhile instead of before (or after) it.
 */
export let buildStarted: Promise<void> = Promise.resolve();

export function buildApp(): Promise<AppAssets> {
  if (!cached) buildStarted = new Promise((r) => (markStarted = r));
  cached ??= (async () => {
    const t0 = performance.now();
    const esbuild = await import('esbuild');
    const entry = fileURLToPath(new URL('../app/main.ts', import.meta.url));
    // Code splitting keeps what the first frame needs (three + the app) in app.js; the mesh simplifier and the
    // plots load after it.
    const building = esbuild.build({
      entryPoints: { app: entry },
      bundle: true,
      splitting: true,
      outdir: '/s2r-viewer',
      chunkNames: 'chunk-[hash]',
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      write: false,
      legalComments: 'none',
      logLevel: 'silent',
    });
    markStarted();
    const out = await building;
    let js = '';
    const chunks = new Map<string, string>();
    for (const f of out.outputFiles) {
      const name = f.path.slice(f.path.lastIndexOf('/') + 1);
      if (name === 'app.js') js = f.text;
      else chunks.set(name, f.text);
    }
    const require = createRequire(import.meta.url);
    const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
    const css = uplotCss + '\n' + readFileSync(new URL('../app/style.css', import.meta.url), 'utf8');
    const html = readFileSync(new URL('../app/index.html', import.meta.url), 'utf8');
    return { js, chunks, css, html, buildMs: Math.round(performance.now() - t0) };
  })();
  cached.catch(() => {
    cached = null;
    markStarted();
  });
  return cached;
}
