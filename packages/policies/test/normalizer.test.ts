/**
 * One observation normalizer: PPO's RunningNormalizer and BC/diffusion's ObsNormalizer normalize with the same
 * arithmetic (float32 mean, multiply by the float32 reciprocal std), training sees what deployment decodes, and
 * the change from the demos path's former float64 divide is at most one float32 rounding of the normalized value.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '@s2r/core';
import { RunningNormalizer } from '../src/normalizer.ts';
import { makeObsNormalizer, normalizeObs, type ObsNormalizer } from '../src/demos/normalizer.ts';
import { encodeTensor, decodeTensor } from '../src/artifact.ts';

const D = 24;
const ROWS = 512;

/** A fixed batch with per-dimension scales from 1e-2 to 1e2 (rad, m/s, N…), and its statistics. */
function batch(): { x: Float32Array; mean: number[]; std: number[] } {
  const rng = Rng.seed(2026);
  const scale = Array.from({ length: D }, (_, i) => 10 ** (-2 + (4 * i) / (D - 1)));
  const offset = Array.from({ length: D }, () => rng.normal(0, 3));
  const x = new Float32Array(ROWS * D);
  for (let r = 0; r < ROWS; r++) for (let i = 0; i < D; i++) x[r * D + i] = offset[i]! + scale[i]! * rng.normal(0, 1);
  const mean = offset.map((_, i) => {
    let s = 0;
    for (let r = 0; r < ROWS; r++) s += x[r * D + i]!;
    return s / ROWS;
  });
  const std = mean.map((m, i) => {
    let s = 0;
    for (let r = 0; r < ROWS; r++) s += (x[r * D + i]! - m) ** 2;
    return Math.sqrt(s / ROWS);
  });
  return { x, mean, std };
}

/** What a BC/diffusion artifact stores and the deployed policy decodes: float32 mean, float32 var = std², eps 0. */
function throughArtifact(n: ObsNormalizer): ObsNormalizer {
  const mean = decodeTensor(encodeTensor(n.mean), 'mean');
  const v = decodeTensor(encodeTensor(n.std.map((s) => s * s)), 'var');
  return { mean: Array.from(mean), std: Array.from(v, (x) => Math.sqrt(x + 0)), clip: n.clip };
}

describe('one observation normalizer', () => {
  it('PPO and BC/diffusion normalize bit-identically from the same stored statistics', () => {
    const { x, mean, std } = batch();
    const on = makeObsNormalizer({ mean, std, min: [], max: [] });
    const stored = throughArtifact(on);
    const running = RunningNormalizer.from({ mean: Float32Array.from(stored.mean), var: Float32Array.from(stored.std, (s) => s * s), count: ROWS, clip: 5, eps: 0 });
    const a = running.normalize(x, ROWS, new Float32Array(x.length));
    const b = new Float32Array(x.length);
    for (let r = 0; r < ROWS; r++) normalizeObs(stored, x.subarray(r * D, (r + 1) * D), b, r * D);
    expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
    expect(a.some((v) => v !== 0)).toBe(true);
  });

  it('training normalizes with exactly what deployment decodes from the artifact', () => {
    const { x, mean, std } = batch();
    const train = makeObsNormalizer({ mean, std, min: [], max: [] });
    const deploy = throughArtifact(train);
    const a = new Float32Array(x.length);
    const b = new Float32Array(x.length);
    for (let r = 0; r < ROWS; r++) {
      normalizeObs(train, x.subarray(r * D, (r + 1) * D), a, r * D);
      normalizeObs(deploy, x.subarray(r * D, (r + 1) * D), b, r * D);
    }
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
  });

  it('BC/diffusion artifacts written before (float64 divide) move by at most one float32 rounding of the normalized value', () => {
    const { x, mean, std } = batch();
    const stored = throughArtifact({ mean, std, clip: 5 });
    const now = new Float32Array(x.length);
    for (let r = 0; r < ROWS; r++) normalizeObs(stored, x.subarray(r * D, (r + 1) * D), now, r * D);
    let maxAbs = 0;
    let maxUlps = 0;
    let moved = 0;
    for (let r = 0; r < ROWS; r++) {
      for (let i = 0; i < D; i++) {
        let old = (x[r * D + i]! - stored.mean[i]!) / stored.std[i]!; // the former demos arithmetic
        old = Math.fround(Math.max(-5, Math.min(5, old)));
        const d = Math.abs(now[r * D + i]! - old);
        // One float32 ulp at |v|: 2^(exponent − 23).
        const ulp = 2 ** (Math.floor(Math.log2(Math.max(Math.abs(old), 2 ** -126))) - 23);
        maxAbs = Math.max(maxAbs, d);
        maxUlps = Math.max(maxUlps, d / ulp);
        if (d > 0) moved++;
      }
    }
    console.log(`normalizer: old (divide) vs one (multiply) on ${ROWS}×${D}: max abs diff ${maxAbs.toExponential(2)}, max ${maxUlps} ulp, ${moved} values moved`);
    expect(maxUlps).toBeLessThanOrEqual(1);
    expect(maxAbs).toBeLessThan(5e-7); // ≤ one ulp of a value clipped to ±5
  });
});
