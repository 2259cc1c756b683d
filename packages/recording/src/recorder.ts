/**
 * Recorder: writes one episode stream (sim rollout, training evaluation or real deployment) to MCAP and,
 * optionally, streams the same messages to an open viewer over WebSocket.
 *
 * Every write is synchronous and cheap (a protobuf or JSON encode of a small object into an in-memory chunk),
 * so it can sit in a 500 Hz control loop. Times are seconds since the start of the recording (a number) or
 * nanoseconds (a bigint); they should be non-decreasing across the whole file — when a file holds several
 * episodes, keep counting time across them and mark boundaries with `episode()`.
 *
 * Encoding (default 'protobuf'): the high-rate channels (joint state, command, action, loop timing, /tf, velocity
 * command) are protobuf, the rest JSON, in zstd chunks. Floats are rounded to a power-of-two quantum so their
 * low bits are zeros that compress, at or below what the sensors resolve: joint positions and command targets
 * 2^-16 rad (15 µrad; a 15-bit encoder behind a 9:1 gearbox, as on Go1-class joints, resolves 21 µrad), link
 * poses 2^-16 m (15 µm) and 2^-16 per quaternion component (≈3e-5 rad), joint velocities 2^-8 rad/s (0.004 rad/s;
 * that encoder differentiated at 500 Hz resolves 0.01 rad/s), efforts 2^-8 N·m (current-based torque estimates
 * resolve ~0.01 N·m), loop timing 0.25 µs; raw actions and gains 2^-20. `encoding: 'json'` writes every channel
 * as JSON at 1e-6 decimal resolution (the format before protobuf; readers read both).
 *
 * The file keeps every call except repeats of the same command: a `/command` equal to the one before it is held
 * back and written only when the next one differs (then both, so a plot still shows the step where it changed)
 * or at the end. A policy at 50 Hz under a 500 Hz loop repeats its targets 9 times out of 10; the held message
 * is written one tick late, so it can sit after a later message of another topic in the file (readers sort).
 * Live sinks and Foxglove get every command as it comes.
 */
import type { RobotModel } from '@s2r/core';
import { McapFileWriter, RecordingWriteError } from './mcap-file-writer.ts';
import { PROTO_TOPICS, encodeProto, protoSchema } from './proto.ts';
import type { LiveSink } from './live-sink.ts';
import { connectLive } from './live-sink.ts';
import type { FoxgloveLive } from './foxglove-live.ts';
import {
  FORMAT_VERSION,
  META_RECORD,
  PROFILE,
  SCHEMAS,
  TOPICS,
  URDF_ATTACHMENT,
  type CommandMsg,
  type ContactsMsg,
  type EpisodeMsg,
  type FrameTransformsMsg,
  type SafetyMsg,
  type SceneMsg,
  type TimingMsg,
  type TopicKey,
} from './topics.ts';

/** What the recorder needs to know about the robot: a parsed RobotModel, or just its name and URDF text. */
export type RecordedRobot =
  | RobotModel
  | { name: string; urdf: string; source?: string; rootDir?: string; actuatedJoints?: readonly string[] };

export interface RecorderOptions {
  /** Embedded as the `robot.urdf` attachment so the file is self-contained. */
  robot?: RecordedRobot;
  /** Recording-level facts (task, seed, policy, git commit, hardware, ...). Non-strings are JSON-encoded. */
  meta?: Record<string, unknown>;
  /** Close a chunk at this size (bytes uncompressed, default 1 MiB) or time span (s, default 2): a crash loses at most that. */
  chunkBytes?: number;
  chunkSeconds?: number;
  /** Message encoding of the high-rate channels (default 'protobuf'); 'json' writes the pre-protobuf format. */
  encoding?: 'protobuf' | 'json';
  /** Chunk compression (default 'zstd'). */
  compression?: 'zstd' | 'none';
  /**
   * Write MCAP message and chunk indexes (default false): +16 B per message (1.6 MB per minute of Go1 at 500 Hz).
   * With them, Foxglove opens the file with its indexed reader (seeks without loading the file); without, it
   * reads it front to back and shows "This file is unindexed". s2r's reader needs neither (McapFileWriter).
   */
  messageIndexes?: boolean;
  /** zstd level of the chunks (default ZSTD_LEVEL in zstd.ts). */
  zstdLevel?: number;
  /** Float quanta in protobuf mode: 'sensor' (default, see the header) or 'fine' (format 2's: 2^-20, 2^-12, 1 ns). */
  quanta?: 'sensor' | 'fine';
  /** Hold back repeats of an unchanged command in the file (default true in protobuf mode; see the header). */
  holdRepeatedCommands?: boolean;
  /**
   * Replace an existing file (default false: an existing file is refused with an error naming it, so no caller
   * loses a recording silently; `s2r deploy|eval --overwrite` pass true).
   */
  overwrite?: boolean;
  /**
   * Called once if writing the file fails (e.g. the disk is full): recording to the file stops, the file keeps
   * everything up to its last complete chunk, and later calls keep streaming live but write nothing. Without
   * it, the error is thrown from the call that hit it (once).
   */
  onWriteError?: (e: RecordingWriteError) => void;
  /** Also stream every message to a viewer: a connected sink or its URL (ws://127.0.0.1:PORT/live). */
  live?: LiveSink | string;
  /** Also serve every message to Foxglove clients (see serveFoxglove; the caller owns and closes the server). */
  foxglove?: FoxgloveLive;
}

export type Time = number | bigint;

export interface JointStateInput {
  names?: readonly string[];
  position: ArrayLike<number>;
  velocity?: ArrayLike<number>;
  effort?: ArrayLike<number>;
}

export interface CommandInput {
  names?: readonly string[];
  mode?: string;
  position?: ArrayLike<number>;
  velocity?: ArrayLike<number>;
  effort?: ArrayLike<number>;
  kp?: ArrayLike<number>;
  kd?: ArrayLike<number>;
}

export interface ContactInput {
  link: string;
  inContact: boolean;
  /** World-frame force vector (N) or its magnitude. */
  force: number | ArrayLike<number>;
  point?: ArrayLike<number>;
}

export interface TimingInput {
  lateness_us: number;
  exec_us: number;
  missed: number;
  tick?: number;
}

type Quantize = (x: number) => number;
const q6: Quantize = (x) => Math.round(x * 1e6) / 1e6;
const q20: Quantize = (x) => Math.round(x * 1048576) / 1048576; // 2^-20
const q16: Quantize = (x) => Math.round(x * 65536) / 65536; // 2^-16
const q8: Quantize = (x) => Math.round(x * 256) / 256; // 2^-8
const q12: Quantize = (x) => Math.round(x * 4096) / 4096; // 2^-12 (format 2's velocity/effort quantum)
const qUs: Quantize = (x) => Math.round(x * 4) / 4; // 0.25 µs

function arr(v: ArrayLike<number>, where: string, q: Quantize = q6): number[] {
  if (v == null || typeof v.length !== 'number') throw new TypeError(`Recorder.${where}: expected an array of numbers, got ${String(v)}`);
  const out = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number') throw new TypeError(`Recorder.${where}[${i}]: expected a number, got ${typeof x}`);
    out[i] = q(x); // NaN/Inf stay non-finite (null in JSON): the safety layer wants to see them
  }
  return out;
}

export function toNs(t: Time, where = 'time'): bigint {
  if (typeof t === 'bigint') {
    if (t < 0n) throw new RangeError(`Recorder.${where}: time must be >= 0 ns, got ${t}`);
    return t;
  }
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) throw new RangeError(`Recorder.${where}: time must be a finite number of seconds >= 0, got ${String(t)}`);
  return BigInt(Math.round(t * 1e9));
}

export class Recorder {
  readonly path: string | null;
  /** Default joint order: the robot's actuated joints, else the names given with the first joint state. */
  jointNames: readonly string[] | undefined;
  #writer: McapFileWriter | null;
  #live: LiveSink | null;
  #ownsLive: boolean;
  #enc = new TextEncoder();
  #channels = new Map<string, number>();
  #nextId = 1;
  #count = 0;
  #closed = false;
  #lastNs = 0n;
  #proto: boolean;
  /** Float quantizers: general (actions, gains), positions/poses, velocity/effort, timing µs (see the header). */
  #q: Quantize;
  #qp: Quantize;
  #qd: Quantize;
  #qt: Quantize;
  #sig: Quantize;
  #hold: boolean;
  /** The last /command written to the file and the repeat of it held back (see the header). */
  #lastCmd: Uint8Array | null = null;
  #heldCmd: { id: number; ns: bigint; data: Uint8Array } | null = null;
  #onWriteError: ((e: RecordingWriteError) => void) | undefined;
  #fox: FoxgloveLive | null;
  /** This recording's time 0 on the Foxglove server's clock (ns). */
  #foxEpoch: bigint;
  /** Recorder channel id → Foxglove server channel id. */
  #foxIds = new Map<number, number>();
  #writeError: RecordingWriteError | null = null;

  private constructor(path: string | null, writer: McapFileWriter | null, live: LiveSink | null, ownsLive: boolean, opts: RecorderOptions, jointNames?: readonly string[]) {
    this.path = path;
    this.#writer = writer;
    this.#live = live;
    this.#ownsLive = ownsLive;
    this.jointNames = jointNames;
    this.#proto = (opts.encoding ?? 'protobuf') === 'protobuf';
    this.#q = this.#proto ? q20 : q6;
    const sensor = this.#proto && (opts.quanta ?? 'sensor') === 'sensor';
    this.#qp = sensor ? q16 : this.#q;
    this.#qd = sensor ? q8 : this.#proto ? q12 : q6;
    this.#qt = sensor ? qUs : round3;
    this.#sig = sensor ? sig7 : (x: number) => x;
    this.#hold = this.#proto && (opts.holdRepeatedCommands ?? true);
    this.#onWriteError = opts.onWriteError;
    this.#fox = opts.foxglove ?? null;
    this.#foxEpoch = this.#fox?.nextEpoch() ?? 0n;
  }

  /**
   * Open a recording. `path` null records nothing to disk (live streaming only).
   * The URDF attachment and the `s2r` metadata record are written immediately, before any message.
   */
  static async open(path: string | null, opts: RecorderOptions = {}): Promise<Recorder> {
    if (path === null && !opts.live && !opts.foxglove) throw new Error('Recorder.open: need a file path, a live sink or a Foxglove server');
    const robot = opts.robot;
    const jointNames = robot ? robot.actuatedJoints?.slice() : undefined;
    const writer = path
      ? new McapFileWriter(path, { chunkBytes: opts.chunkBytes, chunkSeconds: opts.chunkSeconds, compression: opts.compression, messageIndexes: opts.messageIndexes, zstdLevel: opts.zstdLevel, overwrite: opts.overwrite ?? false, profile: PROFILE })
      : null;
    const meta: Record<string, string> = { format_version: FORMAT_VERSION, created: new Date().toISOString() };
    if (robot) {
      meta.robot_name = robot.name;
      if (robot.source) meta.urdf_path = robot.source;
      if (robot.rootDir) meta.robot_root = robot.rootDir;
      if (jointNames) meta.joint_names = JSON.stringify(jointNames);
    }
    for (const [k, v] of Object.entries(opts.meta ?? {})) meta[k] = typeof v === 'string' ? v : JSON.stringify(v);
    if (writer) {
      writer.addMetadata(META_RECORD, meta);
      if (robot) writer.addAttachment(URDF_ATTACHMENT, 'application/xml', new TextEncoder().encode(robot.urdf));
    }
    let live: LiveSink | null = null;
    let ownsLive = false;
    if (typeof opts.live === 'string') {
      live = connectLive(opts.live);
      ownsLive = true;
    } else if (opts.live) live = opts.live;
    live?.hello({ meta, urdf: robot?.urdf, urdfPath: robot?.source, robotRoot: robot?.rootDir });
    return new Recorder(path, writer, live, ownsLive, opts, jointNames);
  }

  /** Messages recorded so far, one per call (the file may hold fewer: repeated commands are held back). */
  get messageCount(): number {
    return this.#count;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes on disk so far: the header, attachments and completed chunks (the open chunk is in memory). */
  get bytesWritten(): number {
    return this.#writer?.bytesWritten ?? 0;
  }

  /** The write error that stopped recording to the file, if one did. */
  get writeError(): RecordingWriteError | null {
    return this.#writeError;
  }

  // ------------------------------------------------------------------ typed channels

  jointState(t: Time, s: JointStateInput): void {
    if (!this.jointNames && s.names) this.jointNames = [...s.names];
    const names = s.names ?? this.jointNames;
    const n = s.position.length;
    if (names && names.length !== n) throw new RangeError(`Recorder.jointState: ${n} positions for ${names.length} joint names`);
    const msg: Record<string, unknown> = {};
    if (s.names && !sameNames(s.names, this.jointNames)) msg.name = [...s.names];
    msg.position = arr(s.position, 'jointState.position', this.#qp);
    if (s.velocity) msg.velocity = checkLen(arr(s.velocity, 'jointState.velocity', this.#qd), n, 'jointState.velocity');
    if (s.effort) msg.effort = checkLen(arr(s.effort, 'jointState.effort', this.#qd), n, 'jointState.effort');
    this.#emit('jointState', t, msg, names ? { joint_names: JSON.stringify(names) } : undefined);
  }

  /**
   * World poses of links (or scene bodies such as "block"), as foxglove.FrameTransforms with parent "world".
   * `poses` is L×7 flat: x y z (m), qx qy qz qw. The viewer fills links or instants without a pose by forward
   * kinematics from the joint states, so for long 500 Hz recordings it is fine to call this at a lower rate.
   */
  linkPoses(t: Time, names: readonly string[], poses: ArrayLike<number>): void {
    if (poses.length !== names.length * 7) throw new RangeError(`Recorder.linkPoses: ${poses.length} numbers for ${names.length} links (need 7 per link: x y z qx qy qz qw)`);
    const ns = toNs(t, 'linkPoses');
    const timestamp = { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
    const transforms: FrameTransformsMsg['transforms'] = new Array(names.length);
    const q = this.#qp;
    for (let i = 0; i < names.length; i++) {
      const o = i * 7;
      transforms[i] = {
        timestamp,
        parent_frame_id: 'world',
        child_frame_id: names[i]!,
        translation: { x: q(poses[o]!), y: q(poses[o + 1]!), z: q(poses[o + 2]!) },
        rotation: { x: q(poses[o + 3]!), y: q(poses[o + 4]!), z: q(poses[o + 5]!), w: q(poses[o + 6]!) },
      };
    }
    this.#emit('linkPoses', ns, { transforms });
  }

  /** The command actually sent to the actuators (after the safety layer). Accepts bridge's RobotCommand. */
  command(t: Time, c: CommandInput): void {
    const msg: CommandMsg = {};
    if (c.names && !sameNames(c.names, this.jointNames)) msg.name = [...c.names];
    if (c.mode !== undefined) msg.mode = c.mode;
    for (const k of ['position', 'velocity', 'effort', 'kp', 'kd'] as const) {
      const v = c[k];
      if (v) msg[k] = arr(v, `command.${k}`, k === 'velocity' || k === 'effort' ? this.#qd : k === 'position' ? this.#qp : this.#q);
    }
    this.#emit('command', t, msg);
  }

  /** The policy's raw action, before scaling, clipping and safety. */
  action(t: Time, action: ArrayLike<number>): void {
    this.#emit('action', t, { action: arr(action, 'action', this.#q) });
  }

  /** Per-step reward terms (weighted values, as summed into the reward) and optionally their total. */
  rewardTerms(t: Time, terms: Record<string, number>, total?: number): void {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(terms)) {
      if (typeof v !== 'number') throw new TypeError(`Recorder.rewardTerms: term "${k}" is ${typeof v}, expected a number`);
      out[k] = this.#sig(v);
    }
    this.#emit('rewardTerms', t, total === undefined ? { terms: out } : { terms: out, total: this.#sig(total) });
  }

  contacts(t: Time, contacts: readonly ContactInput[]): void {
    const msg: ContactsMsg = {
      contacts: contacts.map((c, i) => {
        if (typeof c.link !== 'string') throw new TypeError(`Recorder.contacts[${i}].link: expected a link name`);
        const force = typeof c.force === 'number' ? q6(c.force) : (arr(c.force, `contacts[${i}].force`) as [number, number, number]);
        const out: ContactsMsg['contacts'][number] = { link: c.link, in_contact: !!c.inContact, force };
        if (c.point) out.point = arr(c.point, `contacts[${i}].point`) as [number, number, number];
        return out;
      }),
    };
    this.#emit('contacts', t, msg);
  }

  /** One control tick's timing: lateness and execution time (µs), deadlines missed since the last message. */
  timing(t: Time, s: TimingInput): void {
    const msg: TimingMsg = { lateness_us: this.#qt(s.lateness_us), exec_us: this.#qt(s.exec_us), missed: s.missed | 0 };
    if (s.tick !== undefined) msg.tick = s.tick;
    this.#emit('timing', t, msg);
  }

  /** One safety-layer intervention. */
  safety(t: Time, e: SafetyMsg): void {
    if (typeof e.kind !== 'string' || !e.kind) throw new TypeError('Recorder.safety: kind (a non-empty string) is required');
    this.#emit('safety', t, { ...e });
  }

  /** The domain-randomization values drawn for an episode (or at an interval event). */
  domainRandomization(t: Time, values: Record<string, unknown>, episode?: number): void {
    this.#emit('domainRandomization', t, episode === undefined ? { values } : { episode, values });
  }

  /** Episode boundary: `{index, event: 'start'}` at its first step, `{index, event: 'end', return, length, reason}` at its last. */
  episode(t: Time, e: EpisodeMsg): void {
    if (e.event !== 'start' && e.event !== 'end') throw new TypeError(`Recorder.episode: event must be 'start' or 'end', got ${String(e.event)}`);
    this.#emit('episode', t, { ...e });
  }

  /** Non-robot bodies (z1-push block and goal) and terrain. Usually once at t=0; again when they change. */
  scene(t: Time, s: SceneMsg): void {
    this.#emit('scene', t, s);
  }

  /** The velocity command a locomotion policy tracks (m/s, m/s, rad/s). */
  velocityCommand(t: Time, c: { vx: number; vy: number; yaw_rate: number }): void {
    this.#emit('velocityCommand', t, { vx: c.vx, vy: c.vy, yaw_rate: c.yaw_rate });
  }

  /** Any other JSON message on a topic of your own (schema name defaults to the topic). */
  write(topic: string, t: Time, msg: unknown, schemaName = topic): void {
    const ns = toNs(t, `write(${topic})`);
    const id = this.#channel(topic, schemaName, { title: schemaName, type: 'object' });
    this.#put(id, topic, ns, msg);
  }

  /** Push the open chunk to disk now (e.g. before a risky operation). */
  flush(): void {
    const writer = this.#writer;
    if (writer && !this.#writeError) {
      this.#writeHeld(writer);
      this.#writing(() => writer.flushChunk());
    }
  }

  /** Finish the file (summary, indexes, footer). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (this.#writer && !this.#writeError) this.#writeHeld(this.#writer);
      this.#writing(() => this.#writer?.close());
    } finally {
      if (this.#live && this.#ownsLive) await this.#live.close();
    }
  }

  // ------------------------------------------------------------------ internals

  #emit(key: TopicKey, t: Time, msg: unknown, channelMeta?: Record<string, string>): void {
    const ns = toNs(t, key);
    const topic = TOPICS[key];
    const protoName = this.#proto ? PROTO_TOPICS[key] : undefined;
    const id = this.#channels.get(topic) ?? this.#channel(topic, SCHEMAS[key].name, SCHEMAS[key].schema, channelMeta, protoName);
    this.#put(id, topic, ns, msg, protoName);
  }

  #channel(topic: string, schemaName: string, schema: object, channelMeta?: Record<string, string>, protoName?: string): number {
    const existing = this.#channels.get(topic);
    if (existing !== undefined) return existing;
    const id = this.#nextId++;
    if (protoName) this.#writer?.registerSchema(id, protoName, 'protobuf', protoSchema(protoName).descriptor);
    else this.#writer?.registerSchema(id, schemaName, 'jsonschema', this.#enc.encode(JSON.stringify(schema)));
    this.#writer?.registerChannel({ id, schemaId: id, topic, messageEncoding: protoName ? 'protobuf' : 'json', metadata: new Map(Object.entries(channelMeta ?? {})) });
    if (this.#fox)
      this.#foxIds.set(id, protoName ? this.#fox.channel(topic, 'protobuf', protoName, protoSchema(protoName).descriptor) : this.#fox.channel(topic, 'json', schemaName, JSON.stringify(schema)));
    this.#channels.set(topic, id);
    return id;
  }

  #put(channelId: number, topic: string, ns: bigint, msg: unknown, protoName?: string): void {
    if (this.#closed) throw new Error(`Recorder(${this.path ?? 'live'}): write to ${topic} after close()`);
    const json = this.#live || !protoName ? JSON.stringify(msg) : '';
    const writer = this.#writer && !this.#writeError ? this.#writer : null;
    const foxId = this.#foxIds.get(channelId);
    const toFox = foxId !== undefined && this.#fox!.wants(foxId);
    if (writer || toFox) {
      // Encoded once, for the file and for Foxglove alike (same bytes, same schema).
      const data = protoName ? encodeProto(protoSchema(protoName), protoName === 'foxglove.FrameTransforms' ? toProtoTransforms(msg as FrameTransformsMsg) : (msg as object)) : this.#enc.encode(json);
      if (writer) this.#toFile(writer, channelId, topic, ns, data);
      if (toFox) this.#fox!.send(foxId, this.#foxEpoch + ns, data);
    }
    this.#live?.send(topic, ns, json);
    if (ns > this.#lastNs) this.#lastNs = ns;
    this.#count++;
  }

  #toFile(writer: McapFileWriter, channelId: number, topic: string, ns: bigint, data: Uint8Array): void {
    if (this.#hold && topic === TOPICS.command) {
      if (this.#lastCmd && sameBytes(this.#lastCmd, data)) {
        this.#heldCmd = { id: channelId, ns, data }; // a repeat: hold the latest one back (see the header)
        return;
      }
      this.#writeHeld(writer);
      this.#lastCmd = data;
    }
    this.#writing(() => writer.addMessage(channelId, ns, data));
  }

  /** Write the held-back repeat of the last command, if any: the command is about to change, or the file to end. */
  #writeHeld(writer: McapFileWriter): void {
    const h = this.#heldCmd;
    if (!h) return;
    this.#heldCmd = null;
    this.#writing(() => writer.addMessage(h.id, h.ns, h.data));
  }

  /** Run a file write; a RecordingWriteError stops file recording and goes to onWriteError (or is thrown once). */
  #writing(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (!(e instanceof RecordingWriteError)) throw e;
      this.#writeError = e;
      if (this.#onWriteError) this.#onWriteError(e);
      else throw e;
    }
  }
}

/** foxglove.FrameTransform's protobuf timestamp is google.protobuf.Timestamp {seconds, nanos}; JSON has {sec, nsec}. */
function toProtoTransforms(m: FrameTransformsMsg): object {
  return { transforms: m.transforms.map((t) => ({ ...t, timestamp: { seconds: t.timestamp.sec, nanos: t.timestamp.nsec } })) };
}

function sameNames(a: readonly string[], b: readonly string[] | undefined): boolean {
  if (!b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function checkLen(v: number[], n: number, where: string): number[] {
  if (v.length !== n) throw new RangeError(`Recorder.${where}: ${v.length} values, expected ${n} (one per joint)`);
  return v;
}

const round3 = (x: number): number => Math.round(x * 1e3) / 1e3;
/** 7 significant digits (a float32's precision, which rewards are computed in): "0.01234568", not 17 digits of noise. */
const sig7 = (x: number): number => (Number.isFinite(x) && x !== 0 ? Number(x.toPrecision(7)) : x);
