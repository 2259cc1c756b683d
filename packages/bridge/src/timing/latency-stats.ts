/**
 * Allocation-free timing statistics for the hot path: a fixed histogram (0.1 µs bins up to 20 ms, then one
 * overflow bin) gives p50/p99 to 0.1 µs without storing samples; max, mean and count are tracked directly.
 * The state can live in a SharedArrayBuffer, so another thread computes percentiles for live printing without
 * costing the control thread anything (a torn read only skews one live line, never the final summary).
 */
export interface LatencySummary {
  count: number;
  p50_us: number;
  p99_us: number;
  max_us: number;
  mean_us: number;
}

const RES_US = 0.1; // bin width (µs)
const BINS = 200_000; // 0.1 µs each → 0..20 ms
const HIST_BYTES = (BINS + 1) * 4;

export class LatencyStats {
  /** Bytes of SharedArrayBuffer one instance needs. */
  static readonly BYTES = HIST_BYTES + 3 * 8;
  readonly buffer: SharedArrayBuffer | ArrayBuffer;
  private readonly hist: Uint32Array;
  /** [count, sum µs, max µs] */
  private readonly s: Float64Array;
  private readonly res: number;
  private readonly bins: number;

  /**
   * `range` changes the histogram for slower quantities (e.g. policy inference, tens of ms): bin width in µs and
   * bin count. Only the default range fits a shared buffer of `LatencyStats.BYTES`.
   */
  constructor(buffer?: SharedArrayBuffer, range: { resUs: number; bins: number } = { resUs: RES_US, bins: BINS }) {
    this.res = range.resUs;
    this.bins = range.bins;
    this.buffer = buffer ?? new ArrayBuffer(24 + (this.bins + 1) * 4);
    // Scalars first: a Float64Array view must start on an 8-byte boundary.
    this.s = new Float64Array(this.buffer, 0, 3);
    this.hist = new Uint32Array(this.buffer, 24, this.bins + 1);
  }

  get count(): number {
    return this.s[0]!;
  }
  get maxUs(): number {
    return this.s[2]!;
  }

  /** Record one sample in microseconds (negative values count as 0: a wake before the deadline is on time). */
  add(us: number): void {
    const v = us > 0 ? us : 0;
    const b = v / this.res;
    const bin = b >= this.bins ? this.bins : Math.floor(b);
    this.hist[bin]!++;
    const s = this.s;
    s[0]!++;
    s[1]! += v;
    if (v > s[2]!) s[2] = v;
  }

  /** Percentile q in [0, 1], upper edge of the bin (µs). */
  percentile(q: number): number {
    const count = this.count;
    if (count === 0) return 0;
    const target = Math.max(1, Math.ceil(q * count));
    let acc = 0;
    for (let i = 0; i <= this.bins; i++) {
      acc += this.hist[i]!;
      if (acc >= target) return i === this.bins ? this.maxUs : Math.min((i + 1) * this.res, this.maxUs);
    }
    return this.maxUs;
  }

  summary(): LatencySummary {
    const c = this.count;
    return {
      count: c,
      p50_us: round1(this.percentile(0.5)),
      p99_us: round1(this.percentile(0.99)),
      max_us: round1(this.maxUs),
      mean_us: round1(c ? this.s[1]! / c : 0),
    };
  }

  reset(): void {
    this.hist.fill(0);
    this.s.fill(0);
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
