import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Recorder } from '@s2r/recording/recorder.ts';

const BIN = fileURLToPath(new URL('../../../cli/bin/s2r.mjs', import.meta.url));
let file: string;

function run(args: string[], until?: RegExp): Promise<{ code: number | null; out: string; err: string; match?: RegExpExecArray; child: ReturnType<typeof spawn> }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let done = false;
    child.stdout.on('data', (d) => {
      out += d;
      const m = until?.exec(out);
      if (m && !done) {
        done = true;
        resolve({ code: null, out, err, match: m, child });
      }
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      if (!done) resolve({ code, out, err, child });
    });
  });
}

beforeAll(async () => {
  file = join(mkdtempSync(join(tmpdir(), 's2r-viewcli-')), 'ep.mcap');
  const rec = await Recorder.open(file, { robot: { name: 'toy', urdf: '<robot name="toy"><link name="base"/></robot>' } });
  rec.jointState(0, { names: ['a'], position: [0] });
  await rec.close();
});

describe('npx s2r view', () => {
  it('serves on loopback, prints its URL, and stops cleanly on SIGINT', async () => {
    const r = await run(['view', file, '--port', '0'], /s2r view: (http:\/\/127\.0\.0\.1:\d+\/)/);
    expect(r.match).toBeTruthy();
    const url = r.match![1]!;
    const session = await (await fetch(`${url}api/session`)).json();
    expect(session.recordings).toEqual([{ id: '0', name: 'ep.mcap' }]);
    const html = await (await fetch(url)).text();
    expect(html).toContain('<script type="module" src="/app.js">');
    const exit = new Promise<number | null>((res) => r.child.on('exit', (c) => res(c)));
    r.child.kill('SIGINT');
    expect(await exit).toBe(0);
  });

  it('explains bad input', async () => {
    const missing = await run(['view', '/nonexistent/run.mcap', '--port', '0']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('/nonexistent/run.mcap: no such file or folder');
    const badPort = await run(['view', file, '--port', 'abc']);
    expect(badPort.code).toBe(2);
    expect(badPort.err).toContain('--port must be a number');
    const none = await run(['view']);
    expect(none.code).toBe(2);
    expect(none.err).toContain('give a .mcap file or a run folder');
    const help = await run(['view', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('--host ADDR');
  });
});
