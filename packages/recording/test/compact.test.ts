// Format 3 (compact): no MCAP message/chunk indexes, held-back command repeats, reading a time window by hopping
// over chunk headers, and reading the format-2 files written before it (committed fixture).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { McapIndexedReader, McapStreamReader } from '@mcap/core';
import { decompress } from '@foxglove/wasm-zstd';
import { describe, expect, it } from 'vitest';
import { listChunks, Recorder, readRecording, TOPICS } from '../src/index.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 's2r-compact-'));
const ROBOT = { name: 'toy', urdf: '<robot name="toy"><link name="base"/></robot>', actuatedJoints: ['a', 'b'] };
const zstd = { zstd: (b: Uint8Array, n: bigint) => decompress(b, Number(n)) };
const readableOf = (bytes: Uint8Array) => ({ size: async () => BigInt(bytes.length), read: async (o: bigint, n: bigint) => bytes.subarray(Number(o), Number(o + n)) });

/** 2 s at 500 Hz in chunks of 0.1 s: joint state every tick, a policy-rate (50 Hz) command held between. */
async function twoSeconds(path: string, opts: { messageIndexes?: boolean } = {}) {
  const rec = await Recorder.open(path, { robot: ROBOT, chunkSeconds: 0.1, ...opts });
  for (let i = 0; i < 1000; i++) {
    const t = i * 0.002;
    rec.jointState(t, { position: [i, -i] });
    rec.command(t, { mode: 'position', position: [Math.floor(i / 10), 0.5] });
  }
  await rec.close();
}

describe('compact recording (format 3)', () => {
  it('has no message or chunk indexes: @mcap/core sees an unindexed file (Foxglove reads it front to back) and its stream reader reads every message', async () => {
    const path = join(tmp(), 'compact.mcap');
    await twoSeconds(path);
    const bytes = readFileSync(path);
    // Foxglove opens a file with its indexed reader only when it has chunk indexes; McapIndexedReader would yield
    // nothing from chunks without message indexes, so a compact file must have neither.
    const idx = await McapIndexedReader.Initialize({ readable: readableOf(bytes), decompressHandlers: zstd });
    expect(idx.chunkIndexes).toHaveLength(0);
    expect(idx.statistics?.messageCount).toBe(1000n + 200n);
    expect(idx.statistics?.chunkCount).toBe(listChunks(path).length);
    const r = new McapStreamReader({ decompressHandlers: zstd, validateCrcs: true });
    r.append(bytes);
    const kinds = new Map<string, number>();
    for (let rec; (rec = r.nextRecord()); ) kinds.set(rec.type, (kinds.get(rec.type) ?? 0) + 1);
    expect(kinds.get('Message')).toBe(1200);
    expect(kinds.get('MessageIndex')).toBeUndefined();
    expect(kinds.get('ChunkIndex')).toBeUndefined();
    expect(listChunks(path).length).toBeGreaterThanOrEqual(19);
    expect(r.done()).toBe(true);
  });

  it('holds back repeated commands: the file keeps each change and the last repeat before it, so the steps stay where they were', async () => {
    const path = join(tmp(), 'cmd.mcap');
    await twoSeconds(path);
    const cmds = readRecording(path, { topics: [TOPICS.command] }).messages;
    // Targets change every 10 ticks (0.02 s): 100 changes, each with the repeat just before the next change.
    expect(cmds).toHaveLength(200);
    for (let k = 0; k < 100; k++) {
      expect(cmds[2 * k]!.t).toBeCloseTo(k * 0.02, 9);
      expect(cmds[2 * k + 1]!.t).toBeCloseTo(k * 0.02 + 0.018, 9);
      expect(cmds[2 * k]!.data.position).toEqual([k, 0.5]);
      expect(cmds[2 * k + 1]!.data.position).toEqual([k, 0.5]);
    }
    // The whole file comes back in time order even though each held repeat was written one tick late.
    const all = readRecording(path).messages;
    for (let i = 1; i < all.length; i++) expect(all[i]!.logTime >= all[i - 1]!.logTime).toBe(true);
  });

  it("format 2's choices stay available: every command (holdRepeatedCommands: false) and fine quanta (quanta: 'fine')", async () => {
    const path = join(tmp(), 'fine.mcap');
    const rec = await Recorder.open(path, { robot: ROBOT, quanta: 'fine', holdRepeatedCommands: false });
    for (let i = 0; i < 5; i++) {
      rec.jointState(i * 0.002, { position: [0.1, 1e-5], velocity: [0.001, 0], effort: [0.001, 0] });
      rec.command(i * 0.002, { position: [0.1, 0.2] });
    }
    await rec.close();
    const r = readRecording(path);
    expect(r.messages.filter((m) => m.topic === TOPICS.command)).toHaveLength(5);
    const js = r.messages.find((m) => m.topic === TOPICS.jointState)!.data;
    expect(js.position[1]).toBeCloseTo(1e-5, 6); // 2^-20 keeps 10 µrad; the sensor quantum 2^-16 would round it to 1.5e-5
    expect(js.velocity[0]).toBeCloseTo(0.001, 3); // 2^-12, where 2^-8 rounds 0.001 rad/s to 0
  });

  it('reads a time window by hopping over chunk headers: chunks outside it are never read (a corrupted one is not noticed)', async () => {
    const path = join(tmp(), 'window.mcap');
    await twoSeconds(path);
    const chunks = listChunks(path);
    expect(chunks.length).toBeGreaterThanOrEqual(19);
    const full = readRecording(path, { topics: [TOPICS.jointState] });
    const win = readRecording(path, { topics: [TOPICS.jointState], timeRange: [0.5, 0.6] });
    expect(win.error).toBeUndefined();
    expect(win.complete).toBe(true);
    expect(win.robot?.urdf).toBe(ROBOT.urdf); // the attachment is read whatever the window
    expect(win.meta.format_version).toBe('3');
    expect(win.messages.map((m) => m.data.position[0])).toEqual(full.messages.filter((m) => m.t >= 0.5 && m.t <= 0.6).map((m) => m.data.position[0]));
    expect(win.messages).toHaveLength(51);
    // Damage the last chunk: the full read reports it, the window read never touches it.
    const bytes = Buffer.from(readFileSync(path));
    const last = chunks.at(-1)!;
    const at = last.offset + Math.floor(last.length * 0.6);
    bytes[at] = bytes[at]! ^ 0x55;
    writeFileSync(path, bytes);
    expect(readRecording(path).error).toMatch(/crc|zstd|decompress|corrupt|size/i);
    expect(readRecording(path, { timeRange: [0, 0.3] }).error).toBeUndefined();
    expect(() => readRecording(path, { timeRange: [1, 0.5] })).toThrow(/timeRange must be \[start, end\]/);
  });

  it('reads a time window of a file cut short by a crash (no summary, half a chunk at the end)', async () => {
    const dir = tmp();
    const path = join(dir, 'full.mcap');
    await twoSeconds(path);
    const bytes = readFileSync(path);
    const chunks = listChunks(path);
    const cut = join(dir, 'cut.mcap');
    writeFileSync(cut, bytes.subarray(0, chunks[10]!.offset + Math.floor(chunks[10]!.length / 2)));
    expect(listChunks(cut)).toHaveLength(10);
    const head = readRecording(cut, { topics: [TOPICS.jointState], timeRange: [0, 0.05] });
    expect(head.complete).toBe(false);
    expect(head.error).toBeUndefined();
    expect(head.messages.map((m) => m.data.position[0])).toEqual([...Array(26).keys()]);
    const all = readRecording(cut, { topics: [TOPICS.jointState], timeRange: [0, Infinity] });
    const seq = readRecording(cut, { topics: [TOPICS.jointState] });
    expect(all.messages.length).toBe(seq.messages.length);
    expect(all.messages.length).toBeGreaterThan(0);
  });

  it('with messageIndexes: true the file is indexed as before, and the window read skips the indexes', async () => {
    const path = join(tmp(), 'indexed.mcap');
    await twoSeconds(path, { messageIndexes: true });
    const idx = await McapIndexedReader.Initialize({ readable: readableOf(readFileSync(path)), decompressHandlers: zstd });
    expect(idx.chunkIndexes.length).toBe(listChunks(path).length);
    let n = 0;
    for await (const _ of idx.readMessages({ topics: [TOPICS.jointState], startTime: 500_000_000n, endTime: 600_000_000n })) n++;
    expect(n).toBe(51);
    expect(readRecording(path, { topics: [TOPICS.jointState], timeRange: [0.5, 0.6] }).messages).toHaveLength(51);
  });

  it('reads a format-2 recording (protobuf + zstd with message indexes, written before format 3; committed fixture)', async () => {
    // Written by the recorder of commit a78869b: 50 ticks at 500 Hz, chunks of 0.02 s, every command written.
    const path = fileURLToPath(new URL('./fixtures/pb-zstd-v2.mcap', import.meta.url));
    const idx = await McapIndexedReader.Initialize({ readable: readableOf(readFileSync(path)), decompressHandlers: zstd });
    expect(idx.chunkIndexes.length).toBeGreaterThan(3); // the old layout: chunk and message indexes
    for (const r of [readRecording(path), readRecording(path, { timeRange: [0, Infinity] })]) {
      expect(r.complete).toBe(true);
      expect(r.error).toBeUndefined();
      expect(r.meta).toMatchObject({ format_version: '2', task: 'pb-zstd-v2-fixture' });
      expect(r.robot?.jointNames).toEqual(['j0', 'j1']);
      const by = (t: string) => r.messages.filter((m) => m.topic === t);
      const js = by(TOPICS.jointState);
      expect(js).toHaveLength(50);
      js.forEach((m, i) => {
        expect(m.data.position[1]).toBe(i);
        expect(m.data.position[0]).toBeCloseTo(Math.sin(i * 0.002), 6);
        expect(m.t).toBeCloseTo(i * 0.002, 9);
      });
      expect(by(TOPICS.command)).toHaveLength(50);
      expect(by(TOPICS.command)[49]!.data).toMatchObject({ mode: 'position', position: [0.25, 6], kp: [20, 20] });
      expect(by(TOPICS.timing)[3]!.data).toMatchObject({ exec_us: 40, tick: 3 });
      expect(by(TOPICS.linkPoses)[1]!.data.transforms[1].rotation.z).toBeCloseTo(Math.sin(0.1), 6);
      expect(by(TOPICS.episode).map((m) => m.data.event)).toEqual(['start', 'end']);
    }
  });
});
