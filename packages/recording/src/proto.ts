/**
 * Protobuf encoding of the high-rate channels (MCAP message encoding "protobuf", schema encoding "protobuf":
 * the schema record holds a serialized google.protobuf.FileDescriptorSet, which Foxglove decodes natively).
 *
 * `/tf` uses Foxglove's own `foxglove.FrameTransforms` definition, generated from `@foxglove/schemas`. Joint
 * state, command, action, loop timing and the velocity command use s2r's schemas below. Measured values are
 * `float` (32-bit, ~7 significant digits: 0.1 µrad at 1 rad, more than the sensors resolve) because a float32's
 * bytes compress far better than a double's; the JSON fields they replace were rounded to 1e-6 anyway. Values a
 * user sets (gains, velocity commands) are `double`, so they read back exactly as given.
 */
import protobuf from 'protobufjs';
// Installs Root#toDescriptor / Root.fromDescriptor and exports the google.protobuf descriptor types.
import descriptorNs from 'protobufjs/ext/descriptor.js';
import { foxgloveMessageSchemas, generateProto } from '@foxglove/schemas/internal.js';
import type { TopicKey } from './topics.ts';

/** s2r's own protobuf messages: field names equal the JSON keys of topics.ts, so decoded messages read alike. */
export const S2R_PROTO = `
syntax = "proto3";
package s2r;
// Joint state in actuated-joint order; name defaults to the channel metadata joint_names. rad, rad/s, N·m.
message JointState { repeated string name = 1; repeated float position = 2; repeated float velocity = 3; repeated float effort = 4; }
// Command sent to the actuators after the safety layer. rad, rad/s, N·m, N·m/rad, N·m·s/rad (gains as set: double).
message JointCommand { repeated string name = 1; string mode = 2; repeated float position = 3; repeated float velocity = 4; repeated float effort = 5; repeated double kp = 6; repeated double kd = 7; }
// Raw policy output.
message Action { repeated float action = 1; }
// One control tick: lateness and execution time (µs), deadlines missed since the previous message.
message LoopTiming { float lateness_us = 1; float exec_us = 2; uint32 missed = 3; uint64 tick = 4; }
// The locomotion command the policy tracks: m/s, m/s, rad/s (as given: double, it is 50 Hz at most).
message VelocityCommand { double vx = 1; double vy = 2; double yaw_rate = 3; }
`;

/** Topic key (topics.ts) → protobuf message of the channels written as protobuf; the others stay JSON. */
export const PROTO_TOPICS: Partial<Record<TopicKey, string>> = {
  jointState: 's2r.JointState',
  command: 's2r.JointCommand',
  action: 's2r.Action',
  timing: 's2r.LoopTiming',
  linkPoses: 'foxglove.FrameTransforms',
  velocityCommand: 's2r.VelocityCommand',
};

const FOXGLOVE_TYPES = ['Vector3', 'Quaternion', 'FrameTransform', 'FrameTransforms'] as const;

export interface ProtoSchema {
  name: string;
  type: protobuf.Type;
  /** Serialized FileDescriptorSet holding this message and everything it references. */
  descriptor: Uint8Array;
}

function buildRoot(): protobuf.Root {
  const root = new protobuf.Root();
  // google.protobuf.Timestamp, which foxglove.FrameTransform references, ships with protobufjs.
  root.addJSON(protobuf.common.get('google/protobuf/timestamp.proto')!.nested!);
  const s = foxgloveMessageSchemas as unknown as Record<string, Parameters<typeof generateProto>[0]>;
  for (const n of FOXGLOVE_TYPES) protobuf.parse(generateProto(s[n]!, []), root, { keepCase: true });
  protobuf.parse(S2R_PROTO, root, { keepCase: true });
  root.resolveAll();
  return root;
}

/** Everything reachable from `type`, copied into a fresh root (so each schema record carries only what it needs). */
function descriptorOf(type: protobuf.Type): Uint8Array {
  const needed = new Set<protobuf.Type>();
  const visit = (t: protobuf.Type): void => {
    if (needed.has(t)) return;
    needed.add(t);
    for (const f of t.fieldsArray) if (f.resolvedType instanceof protobuf.Type) visit(f.resolvedType);
  };
  visit(type);
  const root = new protobuf.Root();
  for (const t of needed) {
    const ns = root.define(t.parent!.fullName.slice(1));
    ns.add(protobuf.Type.fromJSON(t.name, t.toJSON()));
  }
  // One file per package; list earlier files as dependencies so strict descriptor pools (protoc, Python) accept it.
  const set = (root as unknown as { toDescriptor(e: string): { file: { name: string; dependency: string[] }[] } }).toDescriptor('proto3');
  const order = (name: string): number => (name.startsWith('google') ? 0 : name.startsWith('foxglove') ? 1 : 2);
  set.file.sort((a, b) => order(a.name) - order(b.name));
  set.file.forEach((f, i) => (f.dependency = set.file.slice(0, i).map((d) => d.name)));
  return FileDescriptorSet.encode(set as never).finish();
}

const FileDescriptorSet = (descriptorNs as unknown as { FileDescriptorSet: protobuf.Type }).FileDescriptorSet;
const ROOT = buildRoot();
const cache = new Map<string, ProtoSchema>();

/** The schema for a fully qualified message name (e.g. "s2r.JointState", "foxglove.FrameTransforms"). */
export function protoSchema(name: string): ProtoSchema {
  let s = cache.get(name);
  if (!s) {
    const type = ROOT.lookupType(name);
    s = { name, type, descriptor: descriptorOf(type) };
    cache.set(name, s);
  }
  return s;
}

/** Encode a message object shaped like its JSON form (topics.ts). NaN and ±Inf survive (floats keep them). */
export function encodeProto(schema: ProtoSchema, msg: object): Uint8Array {
  return schema.type.encode(msg as never).finish();
}

/**
 * A decoder for messages of `schemaName`, built from the schema record's own FileDescriptorSet (not from this
 * file's definitions: a recording written by another s2r version, or by another tool, decodes by what it says).
 * Decoded messages are plain objects in the JSON shape of topics.ts: scalars always present (0 when unset, as
 * proto3 means), empty repeated fields and empty strings omitted (as the JSON writer omitted them), 64-bit
 * integers as numbers, and google.protobuf.Timestamp as {sec, nsec} (the foxglove JSON time).
 */
/**
 * Decoders by schema name and descriptor bytes. protobufjs generates each type's decode/toObject code per Root:
 * building a fresh one per read makes every read run cold code (the viewer's progressive load reads a file in
 * many time slices, and decoded ~2× slower per message without this cache).
 */
const decoders = new Map<string, (data: Uint8Array) => Record<string, unknown>>();

export function protoDecoder(schemaName: string, descriptor: Uint8Array): (data: Uint8Array) => Record<string, unknown> {
  const key = `${schemaName}\0${Buffer.from(descriptor.buffer, descriptor.byteOffset, descriptor.byteLength).toString('base64')}`;
  let d = decoders.get(key);
  if (!d) decoders.set(key, (d = buildDecoder(schemaName, descriptor)));
  return d;
}

function buildDecoder(schemaName: string, descriptor: Uint8Array): (data: Uint8Array) => Record<string, unknown> {
  const root = (protobuf.Root as unknown as { fromDescriptor(d: Uint8Array, o?: object): protobuf.Root }).fromDescriptor(descriptor, { keepCase: true });
  const type = root.lookupType(schemaName);
  const opts = { longs: Number, enums: String, defaults: true, arrays: false };
  const fixTime = schemaName === 'foxglove.FrameTransforms';
  return (data) => {
    const all = type.toObject(type.decode(data), opts);
    // Copied rather than `delete`d: deleting puts an object in V8's slow dictionary mode, for every reader after.
    const o: Record<string, unknown> = {};
    for (const k in all) {
      const v = all[k];
      if (!((Array.isArray(v) && v.length === 0) || v === '')) o[k] = v;
    }
    if (fixTime)
      for (const t of (o.transforms ?? []) as { timestamp: { seconds?: number; nanos?: number; sec?: number; nsec?: number } | null }[]) {
        const ts = t.timestamp;
        t.timestamp = ts ? { sec: ts.seconds ?? 0, nsec: ts.nanos ?? 0 } : { sec: 0, nsec: 0 };
      }
    return o;
  };
}
