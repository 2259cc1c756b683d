/**
 * Message shapes and their byte layout (hardware/PROTOCOL.md §4). All numbers little-endian; floats are IEEE-754
 * float32. A decoded frame is: header (8) + body + CRC (2). These functions work on decoded (un-COBSed) frames;
 * frame.ts adds CRC + COBS + delimiter.
 */
import {
  BODY,
  CRC_BYTES,
  HEADER_BYTES,
  MAX_JOINTS,
  MODE_NAMES,
  Mode,
  MsgType,
  PROTOCOL_VERSION,
  RESET_MAGIC,
  type FrameErrorName,
  type ModeName,
} from './constants.ts';

interface Base {
  /** Sender's sequence number (u16, +1 per frame sent, wraps). */
  seq: number;
  /** Sender's monotonic clock in µs (u32, wraps every 71.6 min). */
  timeUs: number;
}
export type Vec3 = [number, number, number];
export type Quat = [number, number, number, number];

export interface StateMsg extends Base {
  type: 'state';
  status: number;
  mode: ModeName;
  /** seq of the last COMMAND the device applied (0xFFFF before the first). */
  lastCmdSeq: number;
  /** µs since that command was received (saturates at 0xFFFFFFFF). */
  cmdAgeUs: number;
  /** Base-frame angular velocity, rad/s. */
  gyro: Vec3;
  /** Base orientation [x, y, z, w] (world ← base). */
  quat: Quat;
  position: number[];
  velocity: number[];
  effort: number[];
}
export interface CommandMsg extends Base {
  type: 'command';
  /** Requested mode; a raw number only when decoding a byte that is not a command mode. */
  mode: 'position' | 'damping' | 'zero_torque' | number;
  position: number[];
  velocity: number[];
  effort: number[];
  kp: number[];
  kd: number[];
}
export interface HeartbeatMsg extends Base {
  type: 'heartbeat';
  status: number;
  /** seq of the heartbeat this one answers, 0xFFFF when unsolicited. */
  echoSeq: number;
}
export interface EstopMsg extends Base {
  type: 'estop';
  reason: number;
}
export interface ResetMsg extends Base {
  type: 'reset';
}
export interface JointLimits {
  posMin: number;
  posMax: number;
  velMax: number;
  effortMax: number;
}
export interface ConfigMsg extends Base {
  type: 'config';
  flags: number;
  fwVersion: number;
  namesHash: number;
  controlRateHz: number;
  stateRateHz: number;
  heartbeatMs: number;
  watchdogMs: number;
  dampMs: number;
  limits: JointLimits[];
}
export interface ConfigRequestMsg extends Base {
  type: 'config_request';
  /** Requested state stream rate (Hz); 0 keeps the device's current rate. */
  stateRateHz: number;
}
export interface ErrorMsg extends Base {
  type: 'error';
  code: number;
  detail: number;
  refSeq: number;
}
export type Message = StateMsg | CommandMsg | HeartbeatMsg | EstopMsg | ResetMsg | ConfigMsg | ConfigRequestMsg | ErrorMsg;

export type DecodeResult = { ok: true; msg: Message } | { ok: false; error: FrameErrorName; detail: string };

/** Decoded frame length (header + body + CRC) of a message. */
export function frameLength(msg: Message): number {
  const b = BODY[msg.type];
  const n = msg.type === 'state' ? msg.position.length : msg.type === 'command' ? msg.position.length : msg.type === 'config' ? msg.limits.length : 0;
  return HEADER_BYTES + b.fixed + b.perJoint * n + CRC_BYTES;
}

function checkJoints(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_JOINTS) throw new RangeError(`${what}: joint count ${n} outside 1..${MAX_JOINTS}`);
}
function checkLen(arr: ArrayLike<number>, n: number, what: string): void {
  if (arr.length !== n) throw new RangeError(`${what}: length ${arr.length}, expected ${n} (one per joint)`);
}

/**
 * Write header + body of `msg` into `buf` (from offset 0). Returns the byte count (CRC not included).
 * Throws RangeError naming the field for a message that cannot be encoded (wrong joint count, bad array length).
 */
export function writePayload(msg: Message, buf: Uint8Array): number {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  dv.setUint8(0, PROTOCOL_VERSION);
  dv.setUint8(1, MsgType[msg.type]);
  dv.setUint16(2, msg.seq & 0xffff, true);
  dv.setUint32(4, msg.timeUs >>> 0, true);
  let o = HEADER_BYTES;
  switch (msg.type) {
    case 'state': {
      const n = msg.position.length;
      checkJoints(n, 'state');
      checkLen(msg.velocity, n, 'state.velocity');
      checkLen(msg.effort, n, 'state.effort');
      dv.setUint16(o, msg.status & 0xffff, true);
      dv.setUint8(o + 2, Mode[msg.mode]);
      dv.setUint8(o + 3, n);
      dv.setUint16(o + 4, msg.lastCmdSeq & 0xffff, true);
      dv.setUint32(o + 6, msg.cmdAgeUs >>> 0, true);
      o += 10;
      for (let i = 0; i < 3; i++, o += 4) dv.setFloat32(o, msg.gyro[i]!, true);
      for (let i = 0; i < 4; i++, o += 4) dv.setFloat32(o, msg.quat[i]!, true);
      for (let j = 0; j < n; j++) {
        dv.setFloat32(o, msg.position[j]!, true);
        dv.setFloat32(o + 4, msg.velocity[j]!, true);
        dv.setFloat32(o + 8, msg.effort[j]!, true);
        o += 12;
      }
      return o;
    }
    case 'command':
      return writeCommandBody(dv, typeof msg.mode === 'number' ? MODE_NAMES[msg.mode] ?? `#${msg.mode}` : msg.mode, msg.position, msg.velocity, msg.effort, msg.kp, msg.kd);
    case 'heartbeat':
      dv.setUint16(o, msg.status & 0xffff, true);
      dv.setUint16(o + 2, msg.echoSeq & 0xffff, true);
      return o + 4;
    case 'estop':
      dv.setUint8(o, msg.reason & 0xff);
      return o + 1;
    case 'reset':
      dv.setUint32(o, RESET_MAGIC, true);
      return o + 4;
    case 'config': {
      const n = msg.limits.length;
      checkJoints(n, 'config');
      dv.setUint8(o, n);
      dv.setUint8(o + 1, msg.flags & 0xff);
      dv.setUint16(o + 2, msg.fwVersion & 0xffff, true);
      dv.setUint32(o + 4, msg.namesHash >>> 0, true);
      dv.setUint16(o + 8, msg.controlRateHz & 0xffff, true);
      dv.setUint16(o + 10, msg.stateRateHz & 0xffff, true);
      dv.setUint16(o + 12, msg.heartbeatMs & 0xffff, true);
      dv.setUint16(o + 14, msg.watchdogMs & 0xffff, true);
      dv.setUint16(o + 16, msg.dampMs & 0xffff, true);
      o += BODY.config.fixed;
      for (const l of msg.limits) {
        dv.setFloat32(o, l.posMin, true);
        dv.setFloat32(o + 4, l.posMax, true);
        dv.setFloat32(o + 8, l.velMax, true);
        dv.setFloat32(o + 12, l.effortMax, true);
        o += 16;
      }
      return o;
    }
    case 'config_request':
      dv.setUint16(o, msg.stateRateHz & 0xffff, true);
      return o + 2;
    case 'error':
      dv.setUint8(o, msg.code & 0xff);
      dv.setUint8(o + 1, msg.detail & 0xff);
      dv.setUint16(o + 2, msg.refSeq & 0xffff, true);
      return o + 4;
  }
}

const COMMAND_MODES = new Set<ModeName>(['position', 'damping', 'zero_torque']);

/** Command body straight from typed arrays (the SerialHardware hot path uses this without building a message). */
export function writeCommandBody(
  dv: DataView,
  mode: string,
  position: ArrayLike<number>,
  velocity: ArrayLike<number>,
  effort: ArrayLike<number>,
  kp: ArrayLike<number>,
  kd: ArrayLike<number>,
): number {
  const n = position.length;
  checkJoints(n, 'command');
  checkLen(velocity, n, 'command.velocity');
  checkLen(effort, n, 'command.effort');
  checkLen(kp, n, 'command.kp');
  checkLen(kd, n, 'command.kd');
  if (!COMMAND_MODES.has(mode as ModeName)) throw new RangeError(`command.mode: "${mode}" is not position | damping | zero_torque`);
  let o = HEADER_BYTES;
  dv.setUint8(o, Mode[mode as ModeName]);
  dv.setUint8(o + 1, n);
  o += 2;
  for (let j = 0; j < n; j++) {
    dv.setFloat32(o, position[j]!, true);
    dv.setFloat32(o + 4, velocity[j]!, true);
    dv.setFloat32(o + 8, effort[j]!, true);
    dv.setFloat32(o + 12, kp[j]!, true);
    dv.setFloat32(o + 16, kd[j]!, true);
    o += 20;
  }
  return o;
}

const TYPE_NAMES = new Map<number, keyof typeof MsgType>(Object.entries(MsgType).map(([k, v]) => [v, k as keyof typeof MsgType]));

function lenError(type: string, got: number, want: number | string): DecodeResult {
  return { ok: false, error: 'length', detail: `${type}: body is ${got} bytes, expected ${want}` };
}

/**
 * Parse a decoded, CRC-checked frame body. `len` excludes the CRC. Checks version, type and body length in that
 * order (PROTOCOL.md §3.3) and never throws.
 */
export function readPayload(buf: Uint8Array, len: number): DecodeResult {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const version = buf[0]!;
  if (version !== PROTOCOL_VERSION) return { ok: false, error: 'version', detail: `version byte ${version}, expected ${PROTOCOL_VERSION}` };
  const typeByte = buf[1]!;
  const type = TYPE_NAMES.get(typeByte);
  if (type === undefined) return { ok: false, error: 'type', detail: `unknown message type 0x${typeByte.toString(16).padStart(2, '0')}` };
  const seq = dv.getUint16(2, true);
  const timeUs = dv.getUint32(4, true);
  const body = len - HEADER_BYTES;
  const o = HEADER_BYTES;
  const b = BODY[type];
  if (b.perJoint === 0) {
    if (body !== b.fixed) return lenError(type, body, b.fixed);
  } else {
    if (body < b.fixed) return lenError(type, body, `at least ${b.fixed}`);
    const n = type === 'state' ? buf[o + 3]! : buf[o + (type === 'command' ? 1 : 0)]!;
    if (n < 1 || n > MAX_JOINTS) return { ok: false, error: 'length', detail: `${type}: joint count ${n} outside 1..${MAX_JOINTS}` };
    if (body !== b.fixed + b.perJoint * n) return lenError(type, body, `${b.fixed + b.perJoint * n} for ${n} joints`);
  }
  switch (type) {
    case 'state': {
      const n = buf[o + 3]!;
      const modeByte = buf[o + 2]!;
      const position: number[] = new Array(n);
      const velocity: number[] = new Array(n);
      const effort: number[] = new Array(n);
      let p = o + 38;
      for (let j = 0; j < n; j++, p += 12) {
        position[j] = dv.getFloat32(p, true);
        velocity[j] = dv.getFloat32(p + 4, true);
        effort[j] = dv.getFloat32(p + 8, true);
      }
      return {
        ok: true,
        msg: {
          type,
          seq,
          timeUs,
          status: dv.getUint16(o, true),
          // An unknown mode byte from a newer firmware is reported as 'idle' (the device is not following us).
          mode: MODE_NAMES[modeByte] ?? 'idle',
          lastCmdSeq: dv.getUint16(o + 4, true),
          cmdAgeUs: dv.getUint32(o + 6, true),
          gyro: [dv.getFloat32(o + 10, true), dv.getFloat32(o + 14, true), dv.getFloat32(o + 18, true)],
          quat: [dv.getFloat32(o + 22, true), dv.getFloat32(o + 26, true), dv.getFloat32(o + 30, true), dv.getFloat32(o + 34, true)],
          position,
          velocity,
          effort,
        },
      };
    }
    case 'command': {
      const modeByte = buf[o]!;
      const name = MODE_NAMES[modeByte];
      // A mode the host may not request (hold/estop/idle or unknown) still decodes: the frame is well formed;
      // the firmware rejects it with ERROR bad_mode. It is surfaced as the raw byte.
      const mode = name === 'position' || name === 'damping' || name === 'zero_torque' ? name : modeByte;
      const n = buf[o + 1]!;
      const arrs = [[], [], [], [], []] as number[][];
      let p = o + 2;
      for (let j = 0; j < n; j++, p += 20) for (let k = 0; k < 5; k++) arrs[k]![j] = dv.getFloat32(p + 4 * k, true);
      return {
        ok: true,
        msg: {
          type,
          seq,
          timeUs,
          mode,
          position: arrs[0]!,
          velocity: arrs[1]!,
          effort: arrs[2]!,
          kp: arrs[3]!,
          kd: arrs[4]!,
        },
      };
    }
    case 'heartbeat':
      return { ok: true, msg: { type, seq, timeUs, status: dv.getUint16(o, true), echoSeq: dv.getUint16(o + 2, true) } };
    case 'estop':
      return { ok: true, msg: { type, seq, timeUs, reason: buf[o]! } };
    case 'reset':
      // The magic is checked by the device (ERROR bad_magic), not by the frame layer: the frame itself is valid.
      return { ok: true, msg: { type, seq, timeUs } };
    case 'config': {
      const n = buf[o]!;
      const limits: JointLimits[] = [];
      let p = o + BODY.config.fixed;
      for (let j = 0; j < n; j++, p += 16) {
        limits.push({
          posMin: dv.getFloat32(p, true),
          posMax: dv.getFloat32(p + 4, true),
          velMax: dv.getFloat32(p + 8, true),
          effortMax: dv.getFloat32(p + 12, true),
        });
      }
      return {
        ok: true,
        msg: {
          type,
          seq,
          timeUs,
          flags: buf[o + 1]!,
          fwVersion: dv.getUint16(o + 2, true),
          namesHash: dv.getUint32(o + 4, true),
          controlRateHz: dv.getUint16(o + 8, true),
          stateRateHz: dv.getUint16(o + 10, true),
          heartbeatMs: dv.getUint16(o + 12, true),
          watchdogMs: dv.getUint16(o + 14, true),
          dampMs: dv.getUint16(o + 16, true),
          limits,
        },
      };
    }
    case 'config_request':
      return { ok: true, msg: { type, seq, timeUs, stateRateHz: dv.getUint16(o, true) } };
    case 'error':
      return { ok: true, msg: { type, seq, timeUs, code: buf[o]!, detail: buf[o + 1]!, refSeq: dv.getUint16(o + 2, true) } };
  }
}
