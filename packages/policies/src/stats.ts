/**
 * Evaluation statistics, rliable style: percentile-bootstrap 95% confidence intervals, the interquartile mean
 * (IQM: mean of the middle 50%, robust to outlier runs), and a stratified bootstrap over seeds. All resampling
 * draws from a seeded Rng, so a report is reproducible.
 */
import { Rng } from '@s2r/core';

export function mean(xs: ArrayLike<number>): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

/**
 * Interquartile mean = scipy.stats.trim_mean(x, 0.25): sort, drop ⌊0.25·n⌋ values from each end, average
 * the rest (rliable's `aggregate_iqm`).
 */
export function iqm(xs: ArrayLike<number>): number {
  const n = xs.length;
  if (n === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  const cut = Math.floor(0.25 * n);
  return mean(s.subarray(cut, n - cut));
}

export interface BootstrapOptions {
  /** Resamples (default 2000). */
  iterations?: number;
  /** Confidence level (default 0.95). */
  confidence?: number;
  rng?: Rng;
}

function percentile(sorted: Float64Array, q: number): number {
  // linear interpolation between closest ranks (numpy's default)
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Percentile-bootstrap CI of `stat` over the samples. */
export function bootstrapCI(xs: ArrayLike<number>, stat: (x: Float64Array) => number = mean, o: BootstrapOptions = {}): [number, number] {
  return stratifiedBootstrapCI([xs], (groups) => stat(groups[0]!), o);
}

/**
 * Stratified percentile bootstrap: each group (e.g. the episodes of one seed) is resampled with replacement
 * within itself, then `stat` sees the resampled groups. With one group it is the plain bootstrap.
 */
export function stratifiedBootstrapCI(groups: ArrayLike<number>[], stat: (groups: Float64Array[]) => number, o: BootstrapOptions = {}): [number, number] {
  const iters = o.iterations ?? 2000;
  const conf = o.confidence ?? 0.95;
  const rng = o.rng ?? Rng.seed(0x5eed);
  if (groups.some((g) => g.length === 0)) return [NaN, NaN];
  const bufs = groups.map((g) => new Float64Array(g.length));
  const stats = new Float64Array(iters);
  for (let it = 0; it < iters; it++) {
    for (let k = 0; k < groups.length; k++) {
      const g = groups[k]!;
      const b = bufs[k]!;
      for (let i = 0; i < g.length; i++) b[i] = g[rng.int(g.length)]!;
    }
    stats[it] = stat(bufs);
  }
  stats.sort();
  const a = (1 - conf) / 2;
  return [percentile(stats, a), percentile(stats, 1 - a)];
}

export interface Summary {
  mean: number;
  ci95: [number, number];
  n: number;
}

export function summarize(xs: ArrayLike<number>, rng?: Rng): Summary {
  return { mean: mean(xs), ci95: bootstrapCI(xs, mean, { rng }), n: xs.length };
}

/** IQM over all samples of all groups pooled, with a CI from the bootstrap stratified by group (seed). */
export function iqmStratified(groups: ArrayLike<number>[], rng?: Rng): Summary {
  const pooled = (gs: ArrayLike<number>[]) => {
    const n = gs.reduce((a, g) => a + g.length, 0);
    const all = new Float64Array(n);
    let o = 0;
    for (const g of gs) {
      all.set(g as ArrayLike<number>, o);
      o += g.length;
    }
    return all;
  };
  return { mean: iqm(pooled(groups)), ci95: stratifiedBootstrapCI(groups, (gs) => iqm(pooled(gs)), { rng }), n: pooled(groups).length };
}
