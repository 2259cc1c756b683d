/**
 * The viewer's bundle is kept on disk between processes (src/server/bundle.ts): a later start serves the cached
 * build, a changed input (here: a cache entry whose recorded hash no longer matches the file) rebuilds it, and an
 * empty S2R_VIEWER_CACHE_DIR writes nothing. Each case is a fresh Node process, as `s2r view` starts are.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BUNDLE = fileURLToPath(new URL('../../src/server/bundle.ts', import.meta.url));
let dir: string;
let script: string;

/** Build (or load) the app in a new process with the given cache dir; what it reports. */
function start(cacheDir: string): Promise<{ cached: boolean; js: string; chunks: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, S2R_VIEWER_CACHE_DIR: cacheDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 's2r-bundle-'));
  script = join(dir, 'start.mts'); // .mts: an ES module wherever the temp dir is
  writeFileSync(
    script,
    `import { createHash } from 'node:crypto';
import { buildApp } from ${JSON.stringify(BUNDLE)};
const a = await buildApp();
console.log(JSON.stringify({ cached: a.cached, js: createHash('sha256').update(a.js).digest('hex'), chunks: [...a.chunks.keys()].sort() }));
`,
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the viewer bundle cache', () => {
  it('a second process serves the first one’s build; a changed input rebuilds it', async () => {
    const cache = join(dir, 'cache');
    const first = await start(cache);
    expect(first.cached).toBe(false);
    const file = join(cache, 'app.json');
    expect(existsSync(file)).toBe(true);

    const second = await start(cache);
    expect(second).toEqual({ ...first, cached: true });

    // As if main.ts had been edited since: its recorded hash no longer matches the file.
    const entry = JSON.parse(readFileSync(file, 'utf8')) as { inputs: Record<string, string> };
    const main = Object.keys(entry.inputs).find((p) => p.endsWith('app/main.ts'));
    expect(main).toBeDefined();
    entry.inputs[main!] = '0'.repeat(64);
    writeFileSync(file, JSON.stringify(entry));
    const third = await start(cache);
    expect(third).toEqual({ ...first, cached: false });
    // ...and the rebuilt entry is good again.
    expect((await start(cache)).cached).toBe(true);

    // A torn file is a miss, not an error.
    writeFileSync(file, '{"esbuild":');
    expect((await start(cache)).cached).toBe(false);
  }, 60_000);

  it('with S2R_VIEWER_CACHE_DIR empty, every start builds and nothing is written', async () => {
    const before = readdirSync(dir).sort();
    expect((await start('')).cached).toBe(false);
    expect((await start('')).cached).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(before);
  }, 60_000);
});
