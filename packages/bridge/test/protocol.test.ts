/**
 * TS codec against the shared vectors (hardware/protocol-vectors.json; the C tests read the same file) plus a
 * fuzz pass over the streaming decoder.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rng } from '@s2r/core';
import {
  cobsDecode, cobsEncode, crc16, decodeFrame, encodeFrame, FrameDecoder, FRAME_ERRORS, MAX_ENCODED_BYTES, namesHash,
  type Message,
} from '../src/protocol/index.ts';

const vectors = JSON.parse(readFileSync(new URL('../../../hardware/protocol-vectors.json', import.meta.url), 'utf8'));
const h = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('CRC-16/CCITT-FALSE and COBS known answers', () => {
  it.each(vectors.crc16_ccitt_false as { ascii: string; crc: number }[])('crc16("$ascii") = $crc', ({ ascii, crc }) => {
    expect(crc16(new TextEncoder().encode(ascii))).toBe(crc);
  });
  it.each(vectors.cobs as { decoded: string; encoded: string }[])('COBS $decoded', ({ decoded, encoded }) => {
    const out = new Uint8Array(600);
    const n = cobsEncode(h(decoded), h(decoded).length, out);
    expect(hex(out.subarray(0, n))).toBe(encoded);
    const back = new Uint8Array(600);
    const m = cobsDecode(h(encoded), 0, h(encoded).length, back);
    expect(hex(back.subarray(0, m))).toBe(decoded);
  });
  it.each(vectors.names_hash as { names: string[]; hash: number }[])('names hash of $names.length names', ({ names, hash }) => {
    expect(namesHash(names)).toBe(hash);
  });
  it('names hash depends on order', () => {
    expect(namesHash(['a', 'b'])).not.toBe(namesHash(['b', 'a']));
    expect(namesHash(['ab'])).not.toBe(namesHash(['a', 'b']));
  });
});

describe('frame vectors', () => {
  it.each(vectors.frames as { name: string; wire: string; message: Message }[])('$name encodes and decodes', ({ wire, message }) => {
    expect(hex(encodeFrame(message))).toBe(wire);
    const r = decodeFrame(h(wire));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.msg).toEqual(message);
    // Same through the streaming decoder, fed one byte at a time.
    const got: Message[] = [];
    const d = new FrameDecoder((m) => got.push(m));
    for (const b of h(wire)) d.push(Uint8Array.of(b));
    expect(got).toEqual([message]);
    expect(d.errors).toBe(0);
  });
  it.each(vectors.bad_frames as { name: string; wire: string; expect: string }[])('$name is rejected as $expect', ({ wire, expect: cls }) => {
    const r = decodeFrame(h(wire));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toBe(cls);
      expect(r.detail.length).toBeGreaterThan(0);
    }
    const d = new FrameDecoder(() => {
      throw new Error('a bad frame must not be delivered');
    });
    d.push(h(wire));
    expect(d.counts[cls as keyof typeof d.counts]).toBe(1);
    expect(d.errors).toBe(1);
    expect(d.counts.frames).toBe(0);
  });
  it.each(vectors.streams as { name: string; wire: string; expect_counts: Record<string, number>; expect_types: string[] }[])(
    'stream $name: counts every frame',
    ({ wire, expect_counts, expect_types }) => {
      const types: string[] = [];
      const d = new FrameDecoder((m) => types.push(m.type));
      const bytes = h(wire);
      // Odd chunking: frames split across pushes must not matter.
      for (let i = 0; i < bytes.length; i += 7) d.push(bytes.subarray(i, i + 7));
      for (const [k, v] of Object.entries(expect_counts)) expect(d.counts[k as keyof typeof d.counts], k).toBe(v);
      expect(types).toEqual(expect_types);
    },
  );
  it('encoder names the bad field', () => {
    const cmd = vectors.frames.find((f: { name: string }) => f.name === 'command_3').message;
    expect(() => encodeFrame({ ...cmd, kp: [1, 2] })).toThrow(/command\.kp: length 2, expected 3/);
    expect(() => encodeFrame({ ...cmd, mode: 'hold' })).toThrow(/command\.mode/);
    const many = Array.from({ length: 17 }, () => 0);
    expect(() => encodeFrame({ ...cmd, position: many })).toThrow(/joint count 17 outside 1\.\.16/);
  });
  it('a throwing handler is counted, not propagated', () => {
    const d = new FrameDecoder(() => {
      throw new Error('consumer bug');
    });
    expect(() => d.push(h(vectors.frames[0].wire))).not.toThrow();
    expect(d.counts.handlerErrors).toBe(1);
  });
});

describe('fuzz: streaming decoder never throws and counts every frame', () => {
  it('10^4 random and mutated inputs', () => {
    const rng = Rng.seed(20261125);
    const valid = (vectors.frames as { wire: string }[]).map((f) => h(f.wire));
    let delivered = 0;
    const d = new FrameDecoder(() => delivered++);
    const N = 10_000;
    for (let i = 0; i < N; i++) {
      let input: Uint8Array;
      const kind = i % 4;
      if (kind === 0) {
        input = new Uint8Array(Math.floor(rng.uniform(0, 700)));
        for (let k = 0; k < input.length; k++) input[k] = Math.floor(rng.uniform(0, 256));
      } else {
        // Mutate a valid frame: flip bits, drop or duplicate bytes, truncate.
        input = valid[Math.floor(rng.uniform(0, valid.length))]!.slice();
        const flips = kind === 1 ? 1 : Math.floor(rng.uniform(1, 6));
        for (let f = 0; f < flips; f++) {
          const at = Math.floor(rng.uniform(0, input.length));
          input[at]! ^= 1 << Math.floor(rng.uniform(0, 8));
        }
        if (kind === 3) input = input.subarray(0, Math.floor(rng.uniform(1, input.length)));
      }
      // Close every input with a delimiter so each input is a countable frame (or several).
      const closed = new Uint8Array(input.length + 1);
      closed.set(input);
      let nonEmpty = 0;
      let run = 0;
      for (const b of closed) {
        if (b === 0) {
          if (run > 0) nonEmpty++;
          run = 0;
        } else run++;
      }
      const before = d.counts.frames + d.errors;
      expect(() => d.push(closed)).not.toThrow();
      // Every non-empty frame ends up either delivered or counted in exactly one error class.
      expect(d.counts.frames + d.errors - before).toBe(nonEmpty);
    }
    expect(delivered).toBe(d.counts.frames);
    for (const k of FRAME_ERRORS) expect(Number.isInteger(d.counts[k])).toBe(true);
    expect(d.errors).toBeGreaterThan(N / 2);
    // The decoder still works after all that garbage.
    const got: Message[] = [];
    const d2 = new FrameDecoder((m) => got.push(m));
    d2.push(new Uint8Array(MAX_ENCODED_BYTES * 3).fill(9));
    d2.push(Uint8Array.of(0));
    d2.push(valid[0]!);
    expect(got.length).toBe(1);
    expect(d2.counts.oversize).toBe(1);
  });
});

describe('stream decoder sync (a port opened mid-stream)', () => {
  const frames = vectors.frames as { name: string; wire: string; message: Message }[];
  const a = frames[0]!;
  const b = frames[1]!;
  it('after reset() the tail of a cut frame is a sync drop, not an error; the next frame decodes', () => {
    for (let cut = 1; cut < h(a.wire).length - 1; cut++) {
      const got: Message[] = [];
      let drops = 0;
      const d = new FrameDecoder((m) => got.push(m), undefined, () => drops++);
      d.reset();
      d.push(h(a.wire).subarray(cut)); // reception starts `cut` bytes into frame a
      d.push(h(b.wire));
      expect(d.errors, `cut at ${cut}`).toBe(0);
      expect(d.counts.sync + got.length, `cut at ${cut}`).toBe(2); // the tail is dropped (or, rarely, still a valid frame)
      expect(got[got.length - 1]).toEqual(b.message);
      expect(drops).toBe(d.counts.sync);
    }
  });
  it('after reset() a whole first frame (no leading delimiter) is still delivered, and a lone 0x00 just syncs', () => {
    const got: Message[] = [];
    const d = new FrameDecoder((m) => got.push(m));
    d.reset();
    d.push(h(a.wire));
    d.reset();
    d.push(Uint8Array.of(0));
    d.push(h(b.wire));
    expect(got).toEqual([a.message, b.message]);
    expect(d.counts.sync).toBe(0);
    expect(d.counts.empty).toBe(1);
  });
  it('only the first segment after reset() is forgiven: once synced, a bad frame is an error again; a new decoder starts synced', () => {
    const d = new FrameDecoder(() => {});
    d.reset();
    d.push(Uint8Array.of(1, 2, 3, 0)); // garbage before the first delimiter: sync drop
    d.push(Uint8Array.of(1, 2, 3, 0)); // the same garbage after it: a frame error
    expect(d.counts.sync).toBe(1);
    expect(d.errors).toBe(1);
    const fresh = new FrameDecoder(() => {});
    fresh.push(Uint8Array.of(1, 2, 3, 0));
    expect(fresh.errors).toBe(1);
    expect(fresh.counts.sync).toBe(0);
    const over = new FrameDecoder(() => {});
    over.reset();
    over.push(new Uint8Array(MAX_ENCODED_BYTES + 10).fill(7));
    over.push(Uint8Array.of(0));
    expect(over.counts.sync).toBe(1); // an oversize tail before the first delimiter: also only a sync drop
    expect(over.errors).toBe(0);
  });
});
