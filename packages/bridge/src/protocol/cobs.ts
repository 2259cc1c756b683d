/**
 * Consistent Overhead Byte Stuffing (Cheshire & Baker 1999): removes every 0x00 from a frame so 0x00 can
 * delimit frames. Overhead: at most 1 byte per 254 input bytes (+1). Both functions write into caller buffers
 * so the hot path does not allocate.
 */

/** Worst-case encoded size of `n` input bytes (without the delimiter). */
export function cobsMaxEncoded(n: number): number {
  return n + Math.ceil(n / 254) + (n === 0 ? 1 : 0);
}

/** Encode src[0..len) into dst at dstOff. Returns the number of bytes written (no delimiter). */
export function cobsEncode(src: Uint8Array, len: number, dst: Uint8Array, dstOff = 0): number {
  let codeIdx = dstOff;
  let out = dstOff + 1;
  let code = 1;
  for (let i = 0; i < len; i++) {
    const b = src[i]!;
    if (b === 0) {
      dst[codeIdx] = code;
      codeIdx = out++;
      code = 1;
    } else {
      dst[out++] = b;
      code++;
      // A full block (254 data bytes) closes without an implied zero; open the next block only if bytes remain,
      // so 254 non-zero bytes encode as FF + data with no trailing 01 (the canonical form in the vectors).
      if (code === 0xff && i + 1 < len) {
        dst[codeIdx] = code;
        codeIdx = out++;
        code = 1;
      }
    }
  }
  dst[codeIdx] = code;
  return out - dstOff;
}

/**
 * Decode src[start..end) (no delimiter, no zeros inside) into dst. Returns the decoded length, or -1 when a
 * code byte points past the end of the frame (malformed COBS), -2 if a 0x00 is inside, -3 if dst is too small.
 */
export function cobsDecode(src: Uint8Array, start: number, end: number, dst: Uint8Array): number {
  let i = start;
  let out = 0;
  while (i < end) {
    const code = src[i++]!;
    if (code === 0) return -2;
    const runEnd = i + code - 1;
    if (runEnd > end) return -1;
    if (out + (code - 1) > dst.length) return -3;
    while (i < runEnd) {
      const b = src[i++]!;
      if (b === 0) return -2;
      dst[out++] = b;
    }
    // A block shorter than 254 data bytes stands for "data then a zero", except the last block of the frame.
    if (code !== 0xff && i < end) {
      if (out >= dst.length) return -3;
      dst[out++] = 0;
    }
  }
  return out;
}
