/**
 * Regenerates hardware/protocol-vectors.json from the TypeScript codec:
 *   npx tsx hardware/firmware/tools/gen-vectors.ts
 * The C tests (hardware/firmware/test) and the TS tests (packages/bridge/test/protocol*.test.ts) both read the
 * file, so a divergence between the two codecs fails one side. The CRC and COBS sections are known answers from
 * the literature (CRC catalogue check value, Wikipedia's COBS examples), not generated, so they also guard the
 * generator itself.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  cobsEncode, crc16, encodeFrame, FrameEncoder, MAX_ENCODED_BYTES, namesHash, RESET_MAGIC,
  type Message,
} from '../../../packages/bridge/src/protocol/index.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const seq = (a: number, b: number) => Uint8Array.from({ length: b - a + 1 }, (_, i) => a + i);
const cat = (...xs: Uint8Array[]) => Uint8Array.from(xs.flatMap((x) => [...x]));
const h = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

/** Frame a raw decoded payload (header+body) with a correct CRC: used to build frames the encoder refuses. */
function rawFrame(payload: Uint8Array, crcXor = 0): Uint8Array {
  const c = crc16(payload) ^ crcXor;
  const full = cat(payload, Uint8Array.of(c & 0xff, c >> 8));
  const out = new Uint8Array(full.length + 8);
  const n = cobsEncode(full, full.length, out);
  return cat(out.subarray(0, n), Uint8Array.of(0));
}
function header(type: number, s: number, t: number, version = 1): Uint8Array {
  return Uint8Array.of(version, type, s & 0xff, s >> 8, t & 0xff, (t >> 8) & 0xff, (t >> 16) & 0xff, t >>> 24);
}

const go1 = [
  'FR_hip_joint', 'FR_thigh_joint', 'FR_calf_joint', 'FL_hip_joint', 'FL_thigh_joint', 'FL_calf_joint',
  'RR_hip_joint', 'RR_thigh_joint', 'RR_calf_joint', 'RL_hip_joint', 'RL_thigh_joint', 'RL_calf_joint',
];

const messages: { name: string; message: Message }[] = [
  { name: 'heartbeat', message: { type: 'heartbeat', seq: 1, timeUs: 1000, status: 0, echoSeq: 0xffff } },
  { name: 'heartbeat_reply', message: { type: 'heartbeat', seq: 0x1234, timeUs: 0x89abcdef, status: 0x0085, echoSeq: 7 } },
  { name: 'estop', message: { type: 'estop', seq: 2, timeUs: 2000, reason: 1 } },
  { name: 'reset', message: { type: 'reset', seq: 3, timeUs: 3000 } },
  { name: 'config_request', message: { type: 'config_request', seq: 4, timeUs: 4000, stateRateHz: 500 } },
  { name: 'error_estopped', message: { type: 'error', seq: 5, timeUs: 5000, code: 17, detail: 0, refSeq: 42 } },
  {
    name: 'config_3',
    message: {
      type: 'config', seq: 6, timeUs: 6000, flags: 1, fwVersion: 0x0100, namesHash: namesHash(['j0', 'j1', 'j2']),
      controlRateHz: 1000, stateRateHz: 500, heartbeatMs: 100, watchdogMs: 50, dampMs: 1000,
      limits: [
        { posMin: -1.5, posMax: 1.5, velMax: 20, effortMax: 23.5 },
        { posMin: -0.75, posMax: 4.5, velMax: 20, effortMax: 23.5 },
        { posMin: -2.75, posMax: -0.875, velMax: 15.5, effortMax: 33.5 },
      ],
    },
  },
  {
    name: 'state_2',
    message: {
      type: 'state', seq: 7, timeUs: 123456, status: 0x00c0, mode: 'position', lastCmdSeq: 99, cmdAgeUs: 250,
      gyro: [0.5, -0.25, 0.125], quat: [0, 0, 0, 1],
      position: [0.5, -1.25], velocity: [0.0625, -3], effort: [1.5, -0.5],
    },
  },
  {
    name: 'state_wrap',
    message: {
      type: 'state', seq: 0xffff, timeUs: 0xffffffff, status: 0x0007, mode: 'estop', lastCmdSeq: 0xffff, cmdAgeUs: 0xffffffff,
      gyro: [0, 0, 0], quat: [0.5, -0.5, 0.5, -0.5], position: [3.140625], velocity: [0], effort: [-0.0078125],
    },
  },
  {
    name: 'command_3',
    message: {
      type: 'command', seq: 8, timeUs: 8000, mode: 'position',
      position: [0.1015625, 0.8, -1.5], velocity: [0, 0.25, -0.25], effort: [0, 0, 1],
      kp: [20, 20, 20], kd: [0.5, 0.5, 0.5],
    },
  },
  {
    name: 'command_damping_12',
    message: {
      type: 'command', seq: 9, timeUs: 9000, mode: 'damping',
      position: go1.map((_, i) => i * 0.125 - 0.75), velocity: go1.map(() => 0), effort: go1.map(() => 0),
      kp: go1.map(() => 0), kd: go1.map(() => 1),
    },
  },
  {
    name: 'command_zero_torque_1',
    message: { type: 'command', seq: 10, timeUs: 10000, mode: 'zero_torque', position: [0], velocity: [0], effort: [0], kp: [0], kd: [0] },
  },
];

// float32 round trip must be exact so that JSON numbers compare equal on both sides.
const f32 = new Float32Array(1);
JSON.stringify(messages, (_k, v) => {
  if (typeof v === 'number' && !Number.isInteger(v)) {
    f32[0] = v;
    if (f32[0] !== v && !(v === 0.8)) throw new Error(`vector value ${v} is not exact in float32`);
  }
  return v;
});

const frames = messages.map(({ name, message }) => {
  const wire = encodeFrame(message);
  // 0.8 is not exact in float32: store the value the receiver decodes.
  const m = JSON.parse(JSON.stringify(message), (_k, v) => (v === 0.8 ? Math.fround(0.8) : v));
  return { name, wire: hex(wire), expect: 'ok', message: m };
});

const hb = encodeFrame(messages[0]!.message);
const hbPayload = cat(header(3, 1, 1000), Uint8Array.of(0, 0, 0xff, 0xff));
const statePayload = (() => {
  const enc = new FrameEncoder();
  const w = enc.encode(messages[7]!.message);
  void w;
  return enc.raw.slice(0, 8 + 38 + 24);
})();
const bad: { name: string; wire: string; expect: string; why: string }[] = [
  { name: 'bad_crc', wire: hex(rawFrame(hbPayload, 0x0001)), expect: 'crc', why: 'heartbeat whose CRC low bit is flipped' },
  {
    name: 'bad_crc_bitflip_body',
    wire: hex((() => { const p = statePayload.slice(); p[20]! ^= 0x10; const c = crc16(statePayload); const full = cat(p, Uint8Array.of(c & 0xff, c >> 8)); const o = new Uint8Array(200); const n = cobsEncode(full, full.length, o); return cat(o.subarray(0, n), Uint8Array.of(0)); })()),
    expect: 'crc', why: 'state frame with one body bit flipped after the CRC was computed',
  },
  { name: 'truncated_header', wire: hex(cat(hb.subarray(0, 5), Uint8Array.of(0))), expect: 'truncated', why: 'first 5 encoded bytes of a heartbeat, then a delimiter (link cut mid-frame)' },
  { name: 'truncated_tiny', wire: '0201' + '00', expect: 'truncated', why: 'a 1-byte frame' },
  { name: 'truncated_state_tail', wire: hex(cat(encodeFrame(messages[7]!.message).subarray(0, 40), Uint8Array.of(0))), expect: 'crc', why: 'state cut after 40 encoded bytes: long enough for a header, so the CRC fails' },
  { name: 'wrong_version', wire: hex(rawFrame(cat(header(3, 1, 1000, 2), Uint8Array.of(0, 0, 0xff, 0xff)))), expect: 'version', why: 'version byte 2 with a valid CRC' },
  { name: 'version_zero', wire: hex(rawFrame(cat(header(3, 1, 1000, 0), Uint8Array.of(0, 0, 0xff, 0xff)))), expect: 'version', why: 'version byte 0 with a valid CRC' },
  { name: 'unknown_type', wire: hex(rawFrame(cat(header(0x42, 1, 1000), Uint8Array.of(1, 2, 3, 4)))), expect: 'type', why: 'message type 0x42 with a valid CRC' },
  { name: 'heartbeat_short_body', wire: hex(rawFrame(cat(header(3, 1, 1000), Uint8Array.of(0, 0, 0xff)))), expect: 'length', why: 'heartbeat with a 3-byte body' },
  { name: 'state_zero_joints', wire: hex(rawFrame(cat(header(1, 1, 1000), new Uint8Array(38)))), expect: 'length', why: 'state whose joint count byte is 0' },
  {
    name: 'command_17_joints', expect: 'length', why: 'command declaring 17 joints (MAX_JOINTS is 16)',
    wire: hex(rawFrame(cat(header(2, 1, 1000), Uint8Array.of(1, 17), new Uint8Array(20 * 17)))),
  },
  { name: 'state_body_short_for_n', wire: hex(rawFrame(statePayload.subarray(0, statePayload.length - 12))), expect: 'length', why: 'state declaring 2 joints carrying 1, with a valid CRC' },
  { name: 'oversize_encoded', wire: hex(cat(new Uint8Array(MAX_ENCODED_BYTES + 85).fill(0x55), Uint8Array.of(0))), expect: 'oversize', why: `${MAX_ENCODED_BYTES + 85} non-zero bytes before a delimiter (limit ${MAX_ENCODED_BYTES})` },
  {
    name: 'oversize_decoded', expect: 'oversize', why: '514 encoded bytes that decode to 513 bytes (limit 512)',
    wire: hex((() => { const d = new Uint8Array(513).fill(7); for (let i = 100; i < 513; i += 100) d[i] = 0; const o = new Uint8Array(600); const n = cobsEncode(d, d.length, o); return cat(o.subarray(0, n), Uint8Array.of(0)); })()),
  },
  { name: 'cobs_overrun', wire: '05112200', expect: 'truncated', why: 'COBS code byte 0x05 promises 4 data bytes, only 2 follow before the delimiter' },
];

// A byte stream mixing good frames, garbage and bad frames: checks streaming and the counters together.
const stream = cat(
  Uint8Array.of(0), // leading resync delimiter: an empty frame, ignored
  encodeFrame(messages[0]!.message),
  h('deadbeef'), Uint8Array.of(0), // 4 garbage bytes then a delimiter: code 0xde promises 221 bytes → truncated
  encodeFrame(messages[7]!.message),
  rawFrame(hbPayload, 0x8000), // bad CRC
  Uint8Array.of(0, 0), // two empty frames
  encodeFrame(messages[9]!.message),
);
const streams = [
  { name: 'mixed', wire: hex(stream), expect_counts: { frames: 3, empty: 3, cobs: 0, crc: 1, truncated: 1, version: 0, type: 0, length: 0, oversize: 0 }, expect_types: ['heartbeat', 'state', 'command'] },
];

const out = {
  protocol_version: 1,
  note: 'Shared by the TS and C test suites. wire = bytes on the link, lowercase hex, including the 0x00 delimiter. Regenerate with: npx tsx hardware/firmware/tools/gen-vectors.ts',
  crc16_ccitt_false: [
    { ascii: '123456789', crc: 0x29b1 },
    { ascii: '', crc: 0xffff },
    { ascii: 'A', crc: crc16(new TextEncoder().encode('A')) },
  ],
  cobs: [
    ['00', '0101'], ['0000', '010101'], ['001100', '01021101'], ['11220033', '0311220233'], ['11223344', '0511223344'],
    ['11000000', '0211010101'], [hex(seq(1, 254)), 'ff' + hex(seq(1, 254))], ['00' + hex(seq(1, 254)), '01ff' + hex(seq(1, 254))],
    [hex(seq(1, 255)), 'ff' + hex(seq(1, 254)) + '02ff'], [hex(seq(2, 255)) + '00', 'ff' + hex(seq(2, 255)) + '0101'],
    [hex(seq(3, 255)) + '0001', 'fe' + hex(seq(3, 255)) + '0201'],
  ].map(([decoded, encoded]) => ({ decoded, encoded })),
  names_hash: [
    { names: ['j0', 'j1', 'j2'], hash: namesHash(['j0', 'j1', 'j2']) },
    { names: go1, hash: namesHash(go1) },
    { names: ['a'], hash: namesHash(['a']) },
  ],
  reset_magic: RESET_MAGIC,
  frames,
  bad_frames: bad,
  streams,
};
const path = fileURLToPath(new URL('../../protocol-vectors.json', import.meta.url));
writeFileSync(path, JSON.stringify(out, null, 1) + '\n');
console.log(`wrote ${path}: ${frames.length} frames, ${bad.length} bad frames, ${streams.length} streams`);
