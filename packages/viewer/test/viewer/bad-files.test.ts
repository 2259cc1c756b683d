/**
 * Files that are not recordings (issue 16): `s2r view` refuses a zero-byte or non-MCAP file on the command line
 * (and skips one found in a folder, saying so), and the reader's errors give a byte position inside the file.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Recorder } from '@s2r/recording/recorder.ts';
import { readRecording } from '@s2r/recording/reader.ts';

const BIN = fileURLToPath(new URL('../../../cli/bin/s2r.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 's2r-badview-'));
const good = join(dir, 'folder', 'good.mcap');

/** Run `s2r view …` until it exits, or until its URL line appears (then stop it with SIGINT). */
function view(args: string[]): Promise<{ code: number | null; out: string; err: string; served: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'view', ...args, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let served = false;
    child.stdout.on('data', (d) => {
      out += d;
      if (!served && /s2r view: http:/.test(out)) {
        served = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ code, out, err, served }));
  });
}

beforeAll(async () => {
  mkdirSync(join(dir, 'folder'));
  const rec = await Recorder.open(good, { robot: { name: 'toy', urdf: '<robot name="toy"><link name="base"/></robot>' } });
  for (let i = 0; i < 200; i++) rec.jointState(i * 0.01, { names: ['a'], position: [i] });
  await rec.close();
  writeFileSync(join(dir, 'empty.mcap'), '');
  writeFileSync(join(dir, 'text.mcap'), 'this is a text file, not a recording\n');
  writeFileSync(join(dir, 'folder', 'zero.mcap'), '');
});

describe('s2r view on files that are not recordings', () => {
  it('a zero-byte file is refused with one clear line', async () => {
    const r = await view([join(dir, 'empty.mcap')]);
    expect(r.served).toBe(false);
    expect(r.code).toBe(1);
    expect(r.err.trim()).toBe(`s2r view: ${join(dir, 'empty.mcap')}: empty file (0 bytes), not an MCAP recording`);
  });

  it('a file of another kind named .mcap is refused', async () => {
    const r = await view([join(dir, 'text.mcap')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/text\.mcap: not an MCAP recording \(it does not start with the MCAP magic bytes/);
  });

  it('in a folder, a zero-byte .mcap is skipped with a warning and the good recording is served', async () => {
    const r = await view([join(dir, 'folder')]);
    expect(r.served, r.err).toBe(true);
    expect(r.err).toMatch(/skipping .*zero\.mcap: empty file \(0 bytes\)/);
    expect(r.out).toMatch(/good\.mcap/);
    expect(r.out).not.toMatch(/zero\.mcap/);
  });
});

describe('reader errors', () => {
  it('name a byte position inside the file, never a negative one', () => {
    const bytes = readFileSync(good);
    for (const pos of [9, 20]) {
      const c = Buffer.from(bytes);
      c.fill(0xff, pos, pos + 8); // the header record's length (2^64−1), or its profile string's length
      const p = join(dir, `corrupt-${pos}.mcap`);
      writeFileSync(p, c);
      const r = readRecording(p);
      expect(r.complete).toBe(false);
      const m = /reading stopped at byte (-?\d+) of (\d+)\)$/.exec(r.error ?? '');
      expect(m, r.error).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThan(pos);
      expect(Number(m![1])).toBeLessThanOrEqual(bytes.length);
      expect(Number(m![2])).toBe(bytes.length);
    }
  });
});
