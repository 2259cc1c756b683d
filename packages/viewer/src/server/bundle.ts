/**
 * Builds the browser app (three.js, uPlot, the app's TypeScript) into one ES module with esbuild, in memory,
 * once per process. No CDN and no network: everything comes from node_modules.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface AppAssets {
  js: string;
  css: string;
  html: string;
  buildMs: number;
}

let cached: Promise<AppAssets> | null = null;

export function buildApp(): Promise<AppAssets> {
  cached ??= (async () => {
    const t0 = performance.now();
    const esbuild = await import('esbuild');
    const entry = fileURLToPath(new URL('../app/main.ts', import.meta.url));
    const out = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      write: false,
      legalComments: 'none',
      logLevel: 'silent',
    });
    const js = out.outputFiles[0]!.text;
    const require = createRequire(import.meta.url);
    const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
    const css = uplotCss + '\n' + readFileSync(new URL('../app/style.css', import.meta.url), 'utf8');
    const html = readFileSync(new URL('../app/index.html', import.meta.url), 'utf8');
    return { js, css, html, buildMs: Math.round(performance.now() - t0) };
  })();
  cached.catch(() => (cached = null));
  return cached;
}
