/**
 * Whole frames: header + body + CRC-16 (LE), COBS-encoded, terminated by 0x00 (PROTOCOL.md §2–3).
 */
import { cobsDecode, cobsEncode } from './cobs.ts';
import { CRC_BYTES, MAX_ENCODED_BYTES, MAX_FRAME_BYTES, MIN_FRAME_BYTES } from './constants.ts';
import { crc16 } from './crc16.ts';
import { readPayload, writePayload, type DecodeResult, type Message } from './messages.ts';

/**
 * Reusable frame encoder: one scratch buffer for the decoded frame, one for the wire bytes, so encoding on the
 * control path allocates nothing. The returned view is valid until the next call.
 */
export class FrameEncoder {
  readonly raw = new Uint8Array(MAX_FRAME_BYTES);
  readonly wire = new Uint8Array(MAX_ENCODED_BYTES + 1);
  readonly rawView = new DataView(this.raw.buffer);

  /** Encode a message. Throws RangeError (naming the field) if it cannot be represented. */
  encode(msg: Message): Uint8Array {
    return this.finish(writePayload(msg, this.raw));
  }

  /** CRC + COBS + delimiter over raw[0..len) (len = header + body), returning a view into `wire`. */
  finish(len: number): Uint8Array {
    const crc = crc16(this.raw, 0, len);
    this.raw[len] = crc & 0xff;
    this.raw[len + 1] = crc >> 8;
    const n = cobsEncode(this.raw, len + CRC_BYTES, this.wire, 0);
    this.wire[n] = 0;
    return this.wire.subarray(0, n + 1);
  }
}

/** Encode one message to a fresh byte array: COBS(header | body | crc16 LE) followed by 0x00. */
export function encodeFrame(msg: Message): Uint8Array {
  return new FrameEncoder().encode(msg).slice();
}

/**
 * Decode one frame's encoded bytes (between delimiters; a trailing 0x00 is allowed). Never throws.
 * `scratch` lets callers avoid allocating.
 */
export function decodeFrame(encoded: Uint8Array, scratch: Uint8Array = new Uint8Array(MAX_FRAME_BYTES)): DecodeResult {
  let end = encoded.length;
  if (end > 0 && encoded[end - 1] === 0) end--;
  if (end > MAX_ENCODED_BYTES) return { ok: false, error: 'oversize', detail: `encoded frame is ${end} bytes, limit ${MAX_ENCODED_BYTES}` };
  const n = cobsDecode(encoded, 0, end, scratch);
  if (n < 0) {
    // -3: decoding ran past the scratch buffer, i.e. the decoded frame exceeds MAX_FRAME_BYTES.
    if (n === -3) return { ok: false, error: 'oversize', detail: `decoded frame exceeds ${MAX_FRAME_BYTES} bytes` };
    // -1: a code byte promises more bytes than the frame has — the frame was cut short.
    if (n === -1) return { ok: false, error: 'truncated', detail: 'a COBS code byte points past the end of the frame' };
    return { ok: false, error: 'cobs', detail: 'a 0x00 inside the frame' };
  }
  return checkDecoded(scratch, n);
}

/** CRC and payload checks on a COBS-decoded frame of n bytes. */
export function checkDecoded(buf: Uint8Array, n: number): DecodeResult {
  if (n < MIN_FRAME_BYTES) return { ok: false, error: 'truncated', detail: `frame is ${n} bytes, minimum ${MIN_FRAME_BYTES}` };
  const want = buf[n - 2]! | (buf[n - 1]! << 8);
  const got = crc16(buf, 0, n - CRC_BYTES);
  if (want !== got) return { ok: false, error: 'crc', detail: `crc 0x${want.toString(16).padStart(4, '0')} in frame, computed 0x${got.toString(16).padStart(4, '0')}` };
  return readPayload(buf, n - CRC_BYTES);
}
