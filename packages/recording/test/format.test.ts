// The recording format as other tools see it: protobuf channels whose schema records are FileDescriptorSets
// (what Foxglove decodes), and recordings written before protobuf/zstd (JSON, uncompressed) still read back.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { McapStreamReader } from '@mcap/core';
import { decompress } from '@foxglove/wasm-zstd';
import protobuf from 'protobufjs';
import 'protobufjs/ext/descriptor.js';
import { describe, expect, it } from 'vitest';
import { Recorder, readRecording, TOPICS } from '../src/index.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 's2r-fmt-'));

/** Every record of a file, through @mcap/core's stream reader with Foxglove's zstd. */
function records(path: string) {
  const r = new McapStreamReader({ decompressHandlers: { zstd: (b: Uint8Array, n: bigint) => decompress(b, Number(n)) } });
  r.append(readFileSync(path));
  const out = [];
  for (let rec; (rec = r.nextRecord()); ) out.push(rec);
  return out;
}

describe('recording format', () => {
  it('high-rate channels are protobuf with FileDescriptorSet schemas that a plain protobufjs decodes', async () => {
    const path = join(tmp(), 'pb.mcap');
    const rec = await Recorder.open(path, { robot: { name: 'toy', urdf: '<robot name="toy"><link name="base"/></robot>', actuatedJoints: ['j0', 'j1'] } });
    rec.jointState(0.5, { position: [0.25, -1.5], velocity: [2, 3], effort: [0.125, Number.NaN] });
    rec.command(0.5, { mode: 'damping', position: [0.1, 0.2], kp: [20, 20], kd: [0.5, 0.5] });
    rec.linkPoses(0.5, ['base'], [1, 2, 0.3, 0, 0, 0, 1]);
    rec.timing(0.5, { lateness_us: 12.5, exec_us: 40, missed: 2, tick: 250 });
    rec.rewardTerms(0.5, { a: 1 }); // low-rate, stays JSON
    await rec.close();

    const all = records(path);
    const schemas = new Map(all.filter((r) => r.type === 'Schema').map((s) => [s.id, s]));
    const channels = new Map(all.filter((r) => r.type === 'Channel').map((c) => [c.topic, c]));
    const expectEnc: Record<string, [string, string, string]> = {
      [TOPICS.jointState]: ['protobuf', 'protobuf', 's2r.JointState'],
      [TOPICS.command]: ['protobuf', 'protobuf', 's2r.JointCommand'],
      [TOPICS.linkPoses]: ['protobuf', 'protobuf', 'foxglove.FrameTransforms'],
      [TOPICS.timing]: ['protobuf', 'protobuf', 's2r.LoopTiming'],
      [TOPICS.rewardTerms]: ['json', 'jsonschema', 's2r.RewardTerms'],
    };
    for (const [topic, [msgEnc, schemaEnc, name]] of Object.entries(expectEnc)) {
      const ch = channels.get(topic)!;
      expect(ch.messageEncoding, topic).toBe(msgEnc);
      expect(schemas.get(ch.schemaId)!.encoding, topic).toBe(schemaEnc);
      expect(schemas.get(ch.schemaId)!.name, topic).toBe(name);
    }
    // Decode with nothing but the file: a protobufjs root from the schema record's FileDescriptorSet, by name.
    const decode = (topic: string) => {
      const ch = channels.get(topic)!;
      const s = schemas.get(ch.schemaId)!;
      const root = (protobuf.Root as any).fromDescriptor(s.data, { keepCase: true }) as protobuf.Root;
      const type = root.lookupType(s.name);
      const msg = all.find((r) => r.type === 'Message' && r.channelId === ch.id) as { data: Uint8Array };
      return type.toObject(type.decode(msg.data), { longs: Number, defaults: true }) as any;
    };
    const js = decode(TOPICS.jointState);
    expect(js.position).toEqual([0.25, -1.5]);
    expect(js.velocity).toEqual([2, 3]);
    expect(js.effort[0]).toBe(0.125);
    expect(js.effort[1]).toBeNaN();
    expect(decode(TOPICS.command)).toMatchObject({ mode: 'damping', kp: [20, 20], kd: [0.5, 0.5] });
    const tf = decode(TOPICS.linkPoses).transforms[0];
    expect(tf).toMatchObject({ parent_frame_id: 'world', child_frame_id: 'base', translation: { x: 1, y: 2 }, rotation: { w: 1 } });
    expect(Math.abs(tf.translation.z - 0.3)).toBeLessThanOrEqual(2 ** -17); // 2^-16 m quantum (recorder.ts)
    expect(tf.timestamp).toEqual({ seconds: 0, nanos: 500_000_000 });
    expect(decode(TOPICS.timing)).toMatchObject({ lateness_us: 12.5, exec_us: 40, missed: 2, tick: 250 });
    // The FrameTransforms descriptor declares the Foxglove and well-known files it depends on.
    const fts = schemas.get(channels.get(TOPICS.linkPoses)!.schemaId)!;
    const set = (protobuf as any).descriptor.FileDescriptorSet.decode(fts.data);
    expect(set.file.map((f: { package: string }) => f.package)).toEqual(['google.protobuf', 'foxglove']);
  });

  it('reads a recording written before protobuf and zstd (JSON, uncompressed; committed fixture)', () => {
    // Written by the recorder of commit 167f994 (packages/viewer/src/recording), 50 ticks at 500 Hz.
    const path = fileURLToPath(new URL('./fixtures/json-v1.mcap', import.meta.url));
    const r = readRecording(path);
    expect(r.complete).toBe(true);
    expect(r.error).toBeUndefined();
    expect(r.meta.task).toBe('json-v1-fixture');
    expect(r.robot?.jointNames).toEqual(['j0', 'j1']);
    const byTopic = (t: string) => r.messages.filter((m) => m.topic === t);
    const js = byTopic(TOPICS.jointState);
    expect(js).toHaveLength(50);
    js.forEach((m, i) => {
      expect(m.data.position[1]).toBe(i);
      expect(m.data.position[0]).toBeCloseTo(Math.sin(i * 0.002), 6);
      expect(m.t).toBeCloseTo(i * 0.002, 9);
    });
    expect(r.channels.every((c) => c.messageEncoding === 'json')).toBe(true);
    expect(byTopic(TOPICS.linkPoses)[1]!.data.transforms[1].rotation.z).toBeCloseTo(Math.sin(0.1), 6);
    expect(byTopic(TOPICS.command).at(-1)!.data.position).toEqual([null, 1]);
    expect(byTopic(TOPICS.episode).map((m) => m.data.event)).toEqual(['start', 'end']);
  });

  it('protobuf and JSON recordings of the same calls read back alike', async () => {
    const dir = tmp();
    const write = async (encoding: 'protobuf' | 'json') => {
      const rec = await Recorder.open(join(dir, `${encoding}.mcap`), { encoding, robot: { name: 'toy', urdf: '<robot name="toy"/>', actuatedJoints: ['a', 'b'] } });
      for (let i = 0; i < 20; i++) {
        const t = i * 0.002;
        rec.jointState(t, { position: [i * 0.5, -0.25], velocity: [1, 2], effort: [0.5, 4] });
        rec.command(t, { mode: 'position', position: [0.5, i] });
        rec.action(t, [0.25, -0.5]);
        rec.timing(t, { lateness_us: 3, exec_us: 40, missed: 0 });
        rec.velocityCommand(t, { vx: 0.5, vy: 0, yaw_rate: 0.25 });
        rec.linkPoses(t, ['base'], [0, 0, 0.5, 0, 0, 0, 1]);
      }
      await rec.close();
      return readRecording(join(dir, `${encoding}.mcap`));
    };
    const pb = await write('protobuf');
    const js = await write('json');
    expect(pb.messages.length).toBe(js.messages.length);
    // Values chosen exactly representable in both encodings: the decoded objects are equal, key for key.
    pb.messages.forEach((m, i) => {
      const j = js.messages[i]!;
      expect([m.topic, m.t]).toEqual([j.topic, j.t]);
      if (m.topic === TOPICS.timing) expect(m.data).toEqual({ ...j.data, tick: 0 }); // proto3: unset tick reads 0
      else expect(m.data).toEqual(j.data);
    });
  });
});
