/**
 * Seeded, splittable random numbers. Every random draw in s2r comes from an `Rng` that is passed in.
 *
 * The generator is xoshiro128** (32-bit state words, fast in JS). `split(key)` derives an independent child
 * stream from the parent's *seed key* and the child key alone — never from how many numbers the parent has
 * drawn — so `root.split('env').split(7)` is the same stream in every process, whatever the worker count.
 */
export type SplitKey = string | number;

function mix32(h: number): number {
  // murmur3 fmix32
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashKey(parent: Uint32Array, key: SplitKey): Uint32Array {
  const out = new Uint32Array(4);
  let k: number[];
  if (typeof key === 'number') {
    if (!Number.isInteger(key) || key < 0 || key > 0xffffffff) throw new RangeError(`Rng.split: numeric key must be a uint32, got ${key}`);
    k = [key, 0x9e3779b9];
  } else {
    k = [0x51ed270b];
    for (let i = 0; i < key.length; i++) k.push(key.charCodeAt(i));
  }
  for (let lane = 0; lane < 4; lane++) {
    let h = mix32(parent[lane]! ^ Math.imul(lane + 1, 0x27d4eb2f));
    for (const c of k) h = mix32(h ^ Math.imul(c, 0xcc9e2d51) ^ parent[(lane + 1) & 3]!);
    out[lane] = h;
  }
  if ((out[0]! | out[1]! | out[2]! | out[3]!) === 0) out[0] = 1; // xoshiro's state must not be all zero
  return out;
}

export class Rng {
  /** The key this stream was seeded from; children derive from it. */
  readonly key: Uint32Array;
  private s: Uint32Array;
  private spareNormal: number | null = null;

  private constructor(key: Uint32Array) {
    this.key = key;
    this.s = new Uint32Array(key);
    for (let i = 0; i < 8; i++) this.nextU32(); // decorrelate from the raw key
  }

  /** A root stream from an integer seed (any safe integer). */
  static seed(seed: number): Rng {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`Rng.seed: seed must be a safe integer, got ${seed}`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 0x100000000) >>> 0;
    return new Rng(hashKey(new Uint32Array([lo, hi, 0x6a09e667, 0xbb67ae85]), 'root'));
  }

  /** Restore a stream from a saved key (fresh position). */
  static fromKey(key: ArrayLike<number>): Rng {
    return new Rng(new Uint32Array(Array.from(key).slice(0, 4)));
  }

  /** An independent child stream named by `key`. Pure function of (this.key, key). */
  split(key: SplitKey): Rng {
    return new Rng(hashKey(this.key, key));
  }

  /** Current generator state (for checkpoints); `setState` restores it exactly. */
  getState(): number[] {
    return [...this.s, this.spareNormal === null ? NaN : this.spareNormal];
  }
  setState(state: number[]): void {
    for (let i = 0; i < 4; i++) this.s[i] = state[i]! >>> 0;
    this.spareNormal = Number.isNaN(state[4]) ? null : state[4]!;
  }

  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 bits. */
  float(): number {
    const a = this.nextU32() >>> 5;
    const b = this.nextU32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    if (!(n > 0) || !Number.isInteger(n)) throw new RangeError(`Rng.int: n must be a positive integer, got ${n}`);
    return Math.floor(this.float() * n);
  }

  /** Standard normal (Marsaglia polar). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return mean + std * v;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.float() - 1;
      v = 2 * this.float() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * m;
    return mean + std * u * m;
  }

  /** Fill `out` with N(mean, std²) draws. */
  fillNormal(out: Float32Array | Float64Array, mean = 0, std = 1): void {
    for (let i = 0; i < out.length; i++) out[i] = this.normal(mean, std);
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T>(arr: T[] | Int32Array | Uint32Array): void {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i]!;
      arr[i] = arr[j]!;
      arr[j] = t;
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
