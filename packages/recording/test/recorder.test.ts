import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { McapIndexedReader } from '@mcap/core';
import { decompress } from '@foxglove/wasm-zstd';
import { describe, expect, it } from 'vitest';
import { listChunks, Recorder, readRecording, TOPICS } from '../src/index.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 's2r-rec-'));
const URDF = '<robot name="toy"><link name="base"/><link name="l1"/><joint name="j0" type="revolute"><parent link="base"/><child link="l1"/><axis xyz="0 0 1"/><limit lower="-1" upper="1" effort="1" velocity="1"/></joint></robot>';

describe('Recorder → readRecording', () => {
  it('round-trips every channel, the URDF attachment and the meta record', async () => {
    const path = join(tmp(), 'ep.mcap');
    const rec = await Recorder.open(path, { robot: { name: 'toy', urdf: URDF, actuatedJoints: ['j0', 'j1'] }, meta: { task: 'toy-task', seed: 3 } });
    rec.episode(0, { index: 0, event: 'start', seed: 3 });
    rec.scene(0, { bodies: [{ name: 'goal', shape: { type: 'sphere', radius: 0.05 }, pose: { position: [1, 0, 0], orientation: [0, 0, 0, 1] }, role: 'goal' }] });
    rec.domainRandomization(0, { friction: 0.8, added_mass_kg: 0.5 }, 0);
    for (let i = 0; i < 100; i++) {
      const t = i * 0.01;
      rec.jointState(t, { position: new Float32Array([0.1 * i, -0.1 * i]), velocity: [1, 2], effort: [3, 4] });
      rec.command(t, { mode: 'position', position: new Float64Array([0.5, 0.25]), kp: [20, 20], kd: [0.5, 0.5] });
      rec.linkPoses(t, ['base', 'l1'], [0, 0, 0.3 + i * 1e-3, 0, 0, 0, 1, 0.1, 0, 0.3, 0, 0, Math.sin(0.1), Math.cos(0.1)]);
      rec.timing(t, { lateness_us: 12.3456, exec_us: 40, missed: 0 });
      if (i % 10 === 0) {
        rec.action(t, [0.1, -0.2]);
        rec.rewardTerms(t, { tracking: 0.9, torques: -0.01 }, 0.89);
        rec.contacts(t, [{ link: 'l1', inContact: true, force: [0, 0, 30] }]);
        rec.velocityCommand(t, { vx: 0.5, vy: 0, yaw_rate: 0.1 });
      }
    }
    rec.safety(0.5, { kind: 'position_limit', joint: 'j0', value: 1.2, limit: 1 });
    rec.episode(0.99, { index: 0, event: 'end', return: 12.5, length: 100, reason: 'truncated' });
    await rec.close();

    const r = readRecording(path);
    expect(r.complete).toBe(true);
    expect(r.error).toBeUndefined();
    expect(r.profile).toBe('s2r');
    expect(r.meta.task).toBe('toy-task');
    expect(r.meta.seed).toBe('3');
    expect(r.robot?.urdf).toBe(URDF);
    expect(r.robot?.jointNames).toEqual(['j0', 'j1']);
    const byTopic = (t: string) => r.messages.filter((m) => m.topic === t);
    expect(byTopic(TOPICS.jointState)).toHaveLength(100);
    expect(byTopic(TOPICS.linkPoses)).toHaveLength(100);
    expect(byTopic(TOPICS.action)).toHaveLength(10);
    const js = byTopic(TOPICS.jointState)[42]!;
    expect(js.t).toBeCloseTo(0.42, 9);
    expect(js.data.position[0]).toBeCloseTo(4.2, 5);
    expect(js.data.name).toBeUndefined(); // default names live in the channel metadata
    expect(r.channels.find((c) => c.topic === TOPICS.jointState)?.metadata.joint_names).toBe('["j0","j1"]');
    expect(r.channels.find((c) => c.topic === TOPICS.linkPoses)?.schemaName).toBe('foxglove.FrameTransforms');
    const tf = byTopic(TOPICS.linkPoses)[10]!.data.transforms[1];
    expect(tf.child_frame_id).toBe('l1');
    expect(tf.parent_frame_id).toBe('world');
    // Poses are kept to 2^-16 (recorder.ts header): within half a quantum of the value given.
    expect(Math.abs(tf.rotation.z - Math.sin(0.1))).toBeLessThanOrEqual(2 ** -17);
    expect(tf.timestamp).toEqual({ sec: 0, nsec: 100_000_000 });
    expect(byTopic(TOPICS.timing)[0]!.data.lateness_us).toBe(12.25); // 0.25 µs quantum
    // 100 equal commands: the file keeps the first and the last (the repeats between are held back).
    expect(byTopic(TOPICS.command).map((m) => m.t)).toEqual([0, 0.99]);
    expect(byTopic(TOPICS.rewardTerms)[0]!.data).toEqual({ terms: { tracking: 0.9, torques: -0.01 }, total: 0.89 });
    expect(byTopic(TOPICS.safety)[0]!.data).toMatchObject({ kind: 'position_limit', joint: 'j0' });
    expect(byTopic(TOPICS.episode).map((m) => m.data.event)).toEqual(['start', 'end']);
    expect(byTopic(TOPICS.contacts)[0]!.data.contacts[0]).toEqual({ link: 'l1', in_contact: true, force: [0, 0, 30] });
    // Messages come back in time order.
    for (let i = 1; i < r.messages.length; i++) expect(r.messages[i]!.logTime >= r.messages[i - 1]!.logTime).toBe(true);
  });

  it('with messageIndexes, writes an indexed MCAP (zstd chunks, summary, chunk indexes, CRCs) that @mcap/core\'s indexed reader reads with the @foxglove/wasm-zstd decompressor', async () => {
    const path = join(tmp(), 'idx.mcap');
    const rec = await Recorder.open(path, { robot: { name: 'toy', urdf: URDF }, chunkBytes: 4096, messageIndexes: true });
    for (let i = 0; i < 500; i++) rec.jointState(i * 0.002, { names: ['a', 'b'], position: [i, -i] });
    await rec.close();
    const bytes = readFileSync(path);
    const readable = { size: async () => BigInt(bytes.length), read: async (o: bigint, n: bigint) => bytes.subarray(Number(o), Number(o + n)) };
    // Foxglove's own decompressor, not the package's wrapper: the file must read in any @mcap/core-based tool.
    const decompressHandlers = { zstd: (buf: Uint8Array, size: bigint) => decompress(buf, Number(size)) };
    const reader = await McapIndexedReader.Initialize({ readable, decompressHandlers });
    expect(reader.chunkIndexes.length).toBeGreaterThan(5);
    expect(reader.chunkIndexes.every((c) => c.compression === 'zstd' && c.compressedSize < c.uncompressedSize)).toBe(true);
    expect(reader.statistics?.messageCount).toBe(500n);
    expect(reader.attachmentIndexes.map((a) => a.name)).toEqual(['robot.urdf']);
    expect(reader.dataSectionCrc).toBeDefined();
    let n = 0;
    let last = -1n;
    for await (const m of reader.readMessages({ validateCrcs: true })) {
      expect(m.logTime >= last).toBe(true);
      last = m.logTime;
      n++;
    }
    expect(n).toBe(500);
    // First joint state carries no name list because the first call's names became the channel default.
    const r = readRecording(path);
    expect(r.messages[0]!.data.name).toBeUndefined();
    expect(r.channels[0]!.metadata.joint_names).toBe('["a","b"]');
  });

  it('rejects bad input with errors that name the field', async () => {
    const rec = await Recorder.open(join(tmp(), 'bad.mcap'), { robot: { name: 'toy', urdf: URDF, actuatedJoints: ['j0', 'j1'] } });
    expect(() => rec.jointState(0, { position: [1, 2, 3] })).toThrow(/3 positions for 2 joint names/);
    expect(() => rec.jointState(-1, { position: [1, 2] })).toThrow(/time must be/);
    expect(() => rec.jointState(Number.NaN, { position: [1, 2] })).toThrow(/time must be/);
    expect(() => rec.linkPoses(0, ['a'], [1, 2, 3])).toThrow(/need 7 per link/);
    expect(() => rec.rewardTerms(0, { a: 'x' as unknown as number })).toThrow(/term "a"/);
    expect(() => rec.jointState(0, { position: [1, 2], velocity: [1] })).toThrow(/jointState.velocity/);
    // NaN values are recorded rather than rejected: the safety layer needs to see them (protobuf keeps NaN).
    rec.command(0, { position: [Number.NaN, 1] });
    await rec.close();
    expect(() => rec.action(1, [0])).toThrow(/after close/);
    const r = readRecording(rec.path!);
    expect(r.messages.find((m) => m.topic === TOPICS.command)?.data.position).toEqual([Number.NaN, 1]);
    // In the JSON encoding they are stored as null.
    const j = await Recorder.open(join(tmp(), 'nan.mcap'), { encoding: 'json' });
    j.command(0, { position: [Number.NaN, 1] });
    await j.close();
    expect(readRecording(j.path!).messages[0]!.data.position).toEqual([null, 1]);
  });

  it('a SIGKILLed recorder leaves a file that reads back up to its last complete chunk', async () => {
    const path = join(tmp(), 'killed.mcap');
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/record-until-killed.ts', import.meta.url)), path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let lastDurable = -1;
    let durableCount = 0;
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) {
          const m = /^durable (\d+)$/.exec(l);
          if (m) {
            lastDurable = Number(m[1]);
            durableCount++;
          }
        }
        if (durableCount >= 4) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', (code, sig) => {
        if (sig !== 'SIGKILL') reject(new Error(`child exited early: code ${code} signal ${sig}`));
      });
    });
    await new Promise((r) => child.once('exit', r));
    expect(child.signalCode).toBe('SIGKILL');
    expect(statSync(path).size).toBeGreaterThan(0);

    const r = readRecording(path);
    expect(r.complete).toBe(false); // no summary, no footer
    expect(r.error).toBeUndefined();
    expect(r.meta.task).toBe('sigkill-test');
    expect(r.robot?.urdf).toContain('<robot name="toy">');
    // Every message reported durable is there, in order, with the exact values written.
    expect(r.messages.length).toBeGreaterThanOrEqual(lastDurable + 1);
    r.messages.forEach((m, i) => {
      expect(m.data.position[1]).toBe(i);
      expect(m.t).toBeCloseTo(i * 0.002, 9);
      expect(Math.abs(m.data.position[0] - Math.sin(i * 0.002))).toBeLessThanOrEqual(2 ** -17);
    });
    // And nothing beyond complete chunks: what was read ends on a record boundary.
    expect(r.bytesRead).toBeLessThanOrEqual(r.bytesTotal);
  });

  it('a file cut at any byte reads back as a clean prefix (half-written chunk at the end)', async () => {
    const dir = tmp();
    const path = join(dir, 'full.mcap');
    const rec = await Recorder.open(path, { robot: { name: 'toy', urdf: URDF }, chunkBytes: 2048 });
    for (let i = 0; i < 300; i++) rec.jointState(i * 0.002, { names: ['a'], position: [i] });
    await rec.close();
    const bytes = readFileSync(path);
    let prev = -1;
    for (const frac of [0.05, 0.2, 0.37, 0.5, 0.73, 0.9, 0.97, 0.999]) {
      const cut = join(dir, `cut-${frac}.mcap`);
      writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * frac)));
      const r = readRecording(cut);
      expect(r.complete).toBe(false);
      expect(r.error).toBeUndefined();
      r.messages.forEach((m, i) => expect(m.data.position[0]).toBe(i));
      expect(r.messages.length).toBeGreaterThanOrEqual(prev);
      prev = r.messages.length;
    }
    expect(prev).toBe(300); // cut inside the summary: all data chunks survive
  });

  it('a corrupted chunk is reported, with the messages before it kept', async () => {
    const dir = tmp();
    const path = join(dir, 'crc.mcap');
    // Uncompressed JSON, so the test can find a message's text in the file.
    const rec = await Recorder.open(path, { robot: { name: 'toy', urdf: URDF }, chunkBytes: 2048, encoding: 'json', compression: 'none' });
    for (let i = 0; i < 300; i++) rec.jointState(i * 0.002, { names: ['a'], position: [i] });
    await rec.close();
    const bytes = Buffer.from(readFileSync(path));
    // Flip a digit inside a message of a middle chunk: only the chunk CRC can catch it.
    const mid = bytes.indexOf('"position":[150]');
    expect(mid).toBeGreaterThan(0);
    bytes[mid + 13] = '7'.charCodeAt(0);
    writeFileSync(path, bytes);
    const r = readRecording(path);
    expect(r.error).toMatch(/crc/i);
    expect(r.messages.length).toBeGreaterThan(0);
    expect(r.messages.length).toBeLessThan(300);
    r.messages.forEach((m, i) => expect(m.data.position[0]).toBe(i));
  });

  it('a corrupted zstd chunk is reported, with the chunks before it kept', async () => {
    const dir = tmp();
    const path = join(dir, 'crc-zstd.mcap');
    const rec = await Recorder.open(path, { robot: { name: 'toy', urdf: URDF }, chunkSeconds: 0.1 });
    for (let i = 0; i < 300; i++) rec.jointState(i * 0.002, { names: ['a', 'b'], position: [i, Math.sin(i)] });
    await rec.close();
    const bytes = Buffer.from(readFileSync(path));
    const third = listChunks(path)[2]!;
    // Flip a byte in the middle of the third chunk record (its compressed records.
    const at = third.offset + Math.floor(third.length * 0.6);
    bytes[at] = bytes[at]! ^ 0x55;
    writeFileSync(path, bytes);
    const r = readRecording(path);
    expect(r.error).toMatch(/crc|zstd|decompress|corrupt|size/i);
    expect(r.messages.length).toBeGreaterThan(0);
    expect(r.messages.length).toBeLessThan(300);
    r.messages.forEach((m, i) => expect(m.data.position[0]).toBe(i));
  });
});

