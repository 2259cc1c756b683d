/**
 * Allocation-free timing statistics for the hot path: a fixed histogram (0.1 µs bins up to 20 ms, then one
 * overflow bin) gives p50/p99 to 0.1 µs without storing samples; max, mean and count are tracked directly.
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

export class LatencyStats {
  private hist = new Uint32Array(BINS + 1);
  count = 0;
  maxUs = 0;
  private sumUs = 0;

  /** Record one sample in microseconds (negative values count as 0: a wake before the deadline is on time). */
  add(us: number): void {
    const v = us > 0 ? us : 0;
    const b = v / RES_US;
    const bin = b >= BINS ? BINS : Math.floor(b);
    this.hist[bin]!++;
    this.count++;
    this.sumUs += v;
    if (v > this.maxUs) this.maxUs = v;
  }

  /** Percentile q in [0, 1], upper edge of the bin (µs). */
  percentile(q: number): number {
    if (this.count === 0) return 0;
    const target = Math.max(1, Math.ceil(q * this.count));
    let acc = 0;
    for (let i = 0; i <= BINS; i++) {
      acc += this.hist[i]!;
      if (acc >= target) return i === BINS ? this.maxUs : Math.min((i + 1) * RES_US, this.maxUs);
    }
    return this.maxUs;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      p50_us: round1(this.percentile(0.5)),
      p99_us: round1(this.percentile(0.99)),
      max_us: round1(this.maxUs),
      mean_us: round1(this.count ? this.sumUs / this.count : 0),
    };
  }

  reset(): void {
    this.hist.fill(0);
    this.count = 0;
    this.maxUs = 0;
    this.sumUs = 0;
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
