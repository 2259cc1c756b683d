/**
 * Wire constants of the s2r serial protocol (hardware/PROTOCOL.md). The C twin is
 * hardware/firmware/include/s2r_protocol.h; the shared test vectors (hardware/protocol-vectors.json) keep them equal.
 */

/** Protocol version byte, first byte of every decoded frame. Bumped on any incompatible layout change. */
export const PROTOCOL_VERSION = 1;

/** Header: version u8, type u8, seq u16, time_us u32 (all little-endian) = 8 bytes. */
export const HEADER_BYTES = 8;
/** CRC-16/CCITT-FALSE, appended little-endian after header + body. */
export const CRC_BYTES = 2;
/** Smallest valid decoded frame: a header and a CRC with an empty body. */
export const MIN_FRAME_BYTES = HEADER_BYTES + CRC_BYTES;
/** Largest decoded frame (header + body + CRC) a receiver must accept; larger is 'oversize'. */
export const MAX_FRAME_BYTES = 512;
/** COBS adds one byte per 254 (rounded up): 512 → 515 encoded bytes, not counting the 0x00 delimiter. */
export const MAX_ENCODED_BYTES = MAX_FRAME_BYTES + Math.ceil(MAX_FRAME_BYTES / 254);
/** Joint count range in state / command / config. 16 covers a Go1 (12) or an arm with gripper (7). */
export const MAX_JOINTS = 16;

export const MsgType = {
  state: 0x01,
  command: 0x02,
  heartbeat: 0x03,
  estop: 0x04,
  reset: 0x05,
  config: 0x06,
  config_request: 0x07,
  error: 0x7f,
} as const;
export type MsgTypeName = keyof typeof MsgType;

/** Body sizes in bytes; per-joint messages are fixed + perJoint × n. */
export const BODY = {
  state: { fixed: 38, perJoint: 12 },
  command: { fixed: 2, perJoint: 20 },
  heartbeat: { fixed: 4, perJoint: 0 },
  estop: { fixed: 1, perJoint: 0 },
  reset: { fixed: 4, perJoint: 0 },
  config: { fixed: 18, perJoint: 16 },
  config_request: { fixed: 2, perJoint: 0 },
  error: { fixed: 4, perJoint: 0 },
} as const;

/** RESET carries this magic (bytes 'R','S','E','T') so that no other frame can clear an e-stop by accident. */
export const RESET_MAGIC = 0x54455352;

/** Device mode byte (state) and requested mode (command: only zero_torque, position, damping). */
export const Mode = {
  zero_torque: 0,
  position: 1,
  damping: 2,
  hold: 3,
  estop: 4,
  idle: 5,
} as const;
export type ModeName = keyof typeof Mode;
export const MODE_NAMES: readonly ModeName[] = ['zero_torque', 'position', 'damping', 'hold', 'estop', 'idle'];

/** Status bits in state and heartbeat (u16). */
export const Status = {
  DAMPING: 0x0001,
  ESTOP: 0x0002,
  WATCHDOG: 0x0004,
  HOLD: 0x0008,
  LIMIT: 0x0010,
  OVERRUN: 0x0020,
  IMU_VALID: 0x0040,
  ACTIVE: 0x0080,
  LINK_ERROR: 0x0100,
  REJECTED: 0x0200,
} as const;

/** Config flags byte. */
export const ConfigFlags = { HAS_IMU: 0x01 } as const;

/**
 * Error classes. 1..7 are frame-level (what a decoder counts and drops); 16.. are device-level
 * rejections a firmware reports in an ERROR message. The numbers are the ERROR message's code byte.
 */
export const ErrorCode = {
  crc: 1,
  truncated: 2,
  version: 3,
  type: 4,
  length: 5,
  oversize: 6,
  cobs: 7,
  joint_count: 16,
  estopped: 17,
  bad_value: 18,
  bad_mode: 19,
  bad_magic: 20,
} as const;
export type ErrorName = keyof typeof ErrorCode;
export type FrameErrorName = 'crc' | 'truncated' | 'version' | 'type' | 'length' | 'oversize' | 'cobs';
export const FRAME_ERRORS: readonly FrameErrorName[] = ['crc', 'truncated', 'version', 'type', 'length', 'oversize', 'cobs'];

export function errorName(code: number): ErrorName | `unknown_${number}` {
  for (const [k, v] of Object.entries(ErrorCode)) if (v === code) return k as ErrorName;
  return `unknown_${code}`;
}
