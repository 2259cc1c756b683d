// Files that must not be clobbered, and a disk that fills up mid-recording: a real tmpfs, real processes.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McapFileWriter, Recorder, readRecording, type RecordingWriteError } from '../src/index.ts';
import { mountTmpfs, type Tmpfs } from '../src/testing/tmpfs.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 's2r-disk-'));
const ROBOT = { name: 'toy', urdf: '<robot name="toy"><link name="base"/></robot>', actuatedJoints: ['j0', 'j1', 'j2'] };

describe('a full disk during recording', () => {
  let fs: Tmpfs;
  beforeAll(() => {
    fs = mountTmpfs('256k');
  });
  afterAll(() => fs?.unmount());

  it('stops recording once with an error naming the file, buffers nothing after, and leaves a file that reads back', async () => {
    const path = join(fs.dir, 'full.mcap');
    const errors: RecordingWriteError[] = [];
    const rec = await Recorder.open(path, { robot: ROBOT, meta: { task: 'disk-full' }, chunkSeconds: 0.05, onWriteError: (e) => errors.push(e) });
    // Pseudo-random values (a fixed LCG) so zstd cannot shrink them away and the 256 KiB fill up.
    let x = 12345;
    const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
    let i = 0;
    for (; i < 400_000 && errors.length === 0; i++) rec.jointState(i * 0.002, { position: [rnd(), rnd(), i], velocity: [rnd(), rnd(), rnd()], effort: [rnd(), rnd(), rnd()] });
    expect(errors, 'the 256 KiB tmpfs never filled up').toHaveLength(1);
    expect(errors[0]!.message).toContain(path);
    expect(errors[0]!.code).toBe('ENOSPC');
    expect(rec.writeError).toBe(errors[0]);
    const size = statSync(path).size;
    // Later writes are accepted (the caller's control loop goes on) but write and keep nothing.
    for (let k = 0; k < 50_000; k++) rec.jointState((i + k) * 0.002, { position: [0, 0, 0], velocity: [0, 0, 0], effort: [0, 0, 0] });
    await rec.close();
    expect(errors).toHaveLength(1);
    expect(statSync(path).size).toBe(size);
    expect(existsSync(`${path}.lock`)).toBe(false);

    const r = readRecording(path);
    expect(r.complete).toBe(false);
    expect(r.error).toBeUndefined();
    expect(r.bytesRead).toBe(r.bytesTotal); // cut back to the last complete chunk: no half record at the end
    expect(r.meta.task).toBe('disk-full');
    expect(r.messages.length).toBeGreaterThan(100);
    r.messages.forEach((m, k) => expect(m.data.position[2]).toBe(k));
    rmSync(path); // give the space back for the next test
  });

  it('the writer holds nothing in memory after a failed write', () => {
    const path = join(fs.dir, 'writer.mcap');
    const w = new McapFileWriter(path, { chunkSeconds: 1e9, chunkBytes: 1 << 30, overwrite: true, compression: 'none' });
    w.registerSchema(1, 'x', 'jsonschema', new Uint8Array(0));
    w.registerChannel({ id: 1, schemaId: 1, topic: '/x', messageEncoding: 'json', metadata: new Map() });
    const big = new Uint8Array(64 * 1024).map((_, k) => (k * 7919) & 0xff);
    let thrown: unknown = null;
    for (let k = 0; k < 100 && !thrown; k++) {
      w.addMessage(1, BigInt(k), big);
      try {
        w.flushChunk();
      } catch (e) {
        thrown = e;
      }
    }
    expect(String(thrown)).toMatch(/ENOSPC/);
    expect(w.failed).not.toBeNull();
    for (let k = 0; k < 100; k++) w.addMessage(1, BigInt(1000 + k), big); // 6.4 MB offered
    expect(w.pendingBytes).toBe(0);
    expect(() => w.flushChunk()).not.toThrow();
    w.close();
  });
});

describe('ownership of a recording file', () => {
  it('refuses an existing file by default (no overwrite option given) and leaves it untouched; overwrite: true replaces it', async () => {
    const path = join(tmp(), 'old.mcap');
    writeFileSync(path, 'precious');
    await expect(Recorder.open(path, { robot: ROBOT })).rejects.toThrow(/old\.mcap: file exists; refusing to overwrite it \(pass --overwrite/);
    await expect(Recorder.open(path, { robot: ROBOT, overwrite: false })).rejects.toThrow(/old\.mcap: file exists; refusing to overwrite it \(pass --overwrite/);
    expect(readFileSync(path, 'utf8')).toBe('precious');
    expect(existsSync(`${path}.lock`)).toBe(false);
    const rec = await Recorder.open(path, { robot: ROBOT, overwrite: true });
    rec.jointState(0, { position: [1, 2, 3] });
    await rec.close();
    expect(readRecording(path).messages).toHaveLength(1);
  });

  it('a second writer on the same file is refused while the first holds it, in this process or another', async () => {
    const path = join(tmp(), 'shared.mcap');
    const a = await Recorder.open(path, { robot: ROBOT });
    await expect(Recorder.open(path, { robot: ROBOT, overwrite: true })).rejects.toThrow(new RegExp(`already being recorded by process ${process.pid} \\(this one\\)`));
    a.jointState(0, { position: [1, 2, 3] });
    await a.close();
    expect(readRecording(path).messages).toHaveLength(1); // the refused writer did not truncate it

    // Another process records; we are refused (naming its pid); after it is SIGKILLed, its stale lock is taken over.
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/record-until-killed.ts', import.meta.url)), join(tmp(), 'other.mcap')], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('durable') && resolve());
      child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    const childPath = (child.spawnargs.at(-1))!;
    await expect(Recorder.open(childPath, { robot: ROBOT, overwrite: true })).rejects.toThrow(new RegExp(`already being recorded by process ${child.pid}\\b`));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(existsSync(`${childPath}.lock`)).toBe(true); // a killed writer leaves its lock behind...
    const b = await Recorder.open(childPath, { robot: ROBOT, overwrite: true }); // ...which is stale, so taken over
    b.jointState(0, { position: [4, 5, 6] });
    await b.close();
    expect(readRecording(childPath).messages.map((m) => m.data.position)).toEqual([[4, 5, 6]]);
  });
});
