/**
 * The few protobuf wire-format pieces s2r needs for ONNX files: read a model's metadata and input shapes, and write
 * a small model (export). Hand-rolled (about 100 lines) rather than a protobuf dependency: ONNX's schema is stable
 * and s2r only touches a handful of its fields.
 */

/** One decoded field: wire type 0 (varint), 1 (64-bit), 2 (bytes), 5 (32-bit). */
export interface PbField {
  no: number;
  wire: number;
  /** Varint / fixed values (as number: ONNX sizes fit in 2^53). */
  int: number;
  /** Length-delimited payload (wire 2). */
  bytes: Uint8Array | null;
}

/** Decode one message level into its fields, in order; throws naming the offset on malformed bytes. */
export function pbDecode(buf: Uint8Array, where = 'protobuf'): PbField[] {
  const out: PbField[] = [];
  let i = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (let k = 0; k < 10; k++) {
      if (i >= buf.length) throw new Error(`${where}: truncated varint at byte ${i}`);
      const b = buf[i++]!;
      v += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) return v;
    }
    throw new Error(`${where}: varint longer than 10 bytes at byte ${i}`);
  };
  while (i < buf.length) {
    const key = varint();
    const no = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) out.push({ no, wire, int: varint(), bytes: null });
    else if (wire === 2) {
      const n = varint();
      if (i + n > buf.length) throw new Error(`${where}: field ${no} of ${n} bytes runs past the end (${buf.length})`);
      out.push({ no, wire, int: 0, bytes: buf.subarray(i, i + n) });
      i += n;
    } else if (wire === 1) {
      i += 8;
      out.push({ no, wire, int: 0, bytes: null });
    } else if (wire === 5) {
      i += 4;
      out.push({ no, wire, int: 0, bytes: null });
    } else throw new Error(`${where}: unsupported wire type ${wire} (field ${no}) at byte ${i}`);
  }
  if (i !== buf.length) throw new Error(`${where}: message ends inside a field`);
  return out;
}

const utf8 = new TextDecoder();
export const pbString = (b: Uint8Array | null): string => (b ? utf8.decode(b) : '');

/** Append-only protobuf writer: nested messages are written as finished byte arrays. */
export class PbWriter {
  private parts: number[] = [];

  private varint(v: number): void {
    if (!(Number.isInteger(v) && v >= 0)) throw new Error(`protobuf: varint must be a non-negative integer, got ${v}`);
    while (v >= 0x80) {
      this.parts.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    this.parts.push(v);
  }

  int(no: number, v: number): this {
    this.varint(no * 8);
    // Negative int64 (e.g. −1 dims) would be ten bytes of two's complement; ONNX export here never writes one.
    this.varint(v);
    return this;
  }

  bytes(no: number, b: Uint8Array): this {
    this.varint(no * 8 + 2);
    this.varint(b.length);
    for (let k = 0; k < b.length; k++) this.parts.push(b[k]!);
    return this;
  }

  string(no: number, s: string): this {
    return this.bytes(no, new TextEncoder().encode(s));
  }

  message(no: number, m: PbWriter): this {
    return this.bytes(no, m.finish());
  }

  /** Packed repeated float (wire 2), little-endian float32. */
  floats(no: number, xs: ArrayLike<number>): this {
    const b = new Uint8Array(xs.length * 4);
    const dv = new DataView(b.buffer);
    for (let k = 0; k < xs.length; k++) dv.setFloat32(k * 4, xs[k]!, true);
    return this.bytes(no, b);
  }

  /** Single float32 field (wire 5). */
  float(no: number, x: number): this {
    this.varint(no * 8 + 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, x, true);
    for (const v of b) this.parts.push(v);
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}
