/**
 * One binary frame for everything s2r sends over NATS (policy versions, rollout segments): a small JSON header
 * plus float32 arrays, little-endian, each 4-byte aligned. JSON alone would triple the bytes (base64 or decimal
 * floats); this keeps a cartpole sample at ~40 bytes.
 *
 * Layout: u32 header length H · H bytes of UTF-8 JSON · zero padding to a multiple of 4 · the arrays in header
 * order. The header's `arrays` lists [name, length] so a reader never trusts the sender about byte offsets.
 */
import { createHash } from 'node:crypto';

export interface Frame<H> {
  header: H;
  arrays: Record<string, Float32Array>;
}

export function encodeFrame<H extends object>(header: H, arrays: Record<string, Float32Array>): Uint8Array {
  const list = Object.entries(arrays).map(([k, a]) => [k, a.length] as [string, number]);
  const hj = new TextEncoder().encode(JSON.stringify({ ...header, arrays: list }));
  const start = 4 + Math.ceil(hj.length / 4) * 4;
  const total = start + list.reduce((s, [, n]) => s + 4 * n, 0);
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, hj.length, true);
  out.set(hj, 4);
  let off = start;
  for (const a of Object.values(arrays)) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
    off += a.byteLength;
  }
  return out;
}

/** Decode a frame; `where` names the message in errors (e.g. "segment w3-12"). */
export function decodeFrame<H>(bytes: Uint8Array, where: string): Frame<H> {
  const fail = (why: string): never => {
    throw new Error(`${where}: malformed frame (${why})`);
  };
  if (bytes.length < 4) fail(`${bytes.length} bytes`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hl = dv.getUint32(0, true);
  if (4 + hl > bytes.length) fail(`header length ${hl} beyond ${bytes.length} bytes`);
  let header: H & { arrays?: [string, number][] };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + hl)));
  } catch (e) {
    return fail(`header: ${(e as Error).message}`);
  }
  const list = header.arrays;
  if (!Array.isArray(list)) return fail('no array list');
  let off = 4 + Math.ceil(hl / 4) * 4;
  const arrays: Record<string, Float32Array> = {};
  for (const [name, n] of list) {
    if (!Number.isInteger(n) || n < 0 || off + 4 * n > bytes.length) fail(`array ${name} of ${n} floats overruns ${bytes.length} bytes`);
    // Copy: the transport's buffer may be reused, and Float32Array needs 4-byte alignment of byteOffset. (Not
    // bytes.slice(): on a Node Buffer that is a view into a shared pool, whose .buffer is the whole pool.)
    const a = new Float32Array(n);
    new Uint8Array(a.buffer).set(bytes.subarray(off, off + 4 * n));
    arrays[name] = a;
    off += 4 * n;
  }
  if (off !== bytes.length) fail(`${bytes.length - off} trailing bytes`);
  delete header.arrays;
  return { header, arrays };
}

export function sha256Bytes(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}
