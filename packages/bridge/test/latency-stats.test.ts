import { describe, expect, it } from 'vitest';
import { LatencyStats } from '../src/timing/latency-stats.ts';

describe('LatencyStats', () => {
  it('gives percentiles to its bin width within the default 20 ms range', () => {
    const s = new LatencyStats();
    for (let i = 1; i <= 100; i++) s.add(i); // 1..100 µs
    const r = s.summary();
    expect(r.count).toBe(100);
    expect(r.p50_us).toBeCloseTo(50, 0);
    expect(r.p99_us).toBeCloseTo(99, 0);
    expect(r.max_us).toBe(100);
  });

  it('keeps ms-scale samples apart with a wider range (inference latency), where the default would saturate', () => {
    const samplesUs = Array.from({ length: 100 }, (_, i) => 25_000 + i * 1_000); // 25..124 ms
    const narrow = new LatencyStats();
    const wide = new LatencyStats(undefined, { resUs: 10, bins: 200_000 });
    for (const v of samplesUs) {
      narrow.add(v);
      wide.add(v);
    }
    // Past 20 ms the default histogram only knows "overflow": every percentile reads the max.
    expect(narrow.summary().p50_us).toBe(narrow.summary().max_us);
    const w = wide.summary();
    expect(w.p50_us).toBeGreaterThan(73_900);
    expect(w.p50_us).toBeLessThan(74_100);
    expect(w.p99_us).toBeGreaterThan(122_900);
    expect(w.max_us).toBe(124_000);
  });
});
