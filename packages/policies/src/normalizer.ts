/**
 * Observation normalization, one arithmetic for every policy kind, in training and at deployment:
 *
 *   v = clip((x − mean32) · inv32, ±clip), stored as float32,  mean32 = fround(mean),  inv32 = fround(1/√(var + eps))
 *
 * PPO's RunningNormalizer (below) and BC/diffusion's frozen ObsNormalizer (demos/normalizer.ts) both call
 * `normalizeValue`. Why a float32 reciprocal and a multiply rather than a float64 divide by the std (what the
 * demos path did before): (1) PPO has always normalized this way, so every PPO artifact — the committed go1-flat
 * policy included — gives bit-identical actions; (2) the constants are exactly what the artifact stores (float32
 * mean and var) and what the ONNX export bakes in (Sub → Mul by `obs_inv_std`, float32), so s2r's runtime and the
 * exported graph use the same numbers; (3) a multiply is cheaper than a divide per element. BC/diffusion artifacts
 * written before moved by at most one float32 rounding of the normalized value (see the normalizer test).
 *
 * The running statistics (rsl_rl's EmpiricalNormalization; Chan et al. parallel update) accumulate in float64 so
 * millions of samples don't drift. They ship inside the policy artifact.
 */

/** The one normalization formula: `mean32` and `inv32` are float32 values (see invStd32); the caller stores v as float32. */
export function normalizeValue(x: number, mean32: number, inv32: number, clip: number): number {
  const v = (x - mean32) * inv32;
  return v > clip ? clip : v < -clip ? -clip : v;
}

/** The float32 reciprocal every normalizer multiplies by, from a standard deviation (√(var + eps)). */
export function invStd32(std: number): number {
  return Math.fround(1 / std);
}
export interface NormalizerData {
  mean: Float32Array;
  var: Float32Array;
  count: number;
  /** Normalized values are clipped to ±clip. */
  clip: number;
  /** Added to the variance before the square root. */
  eps: number;
}

export interface NormalizerData64 {
  mean: number[];
  var: number[];
  count: number;
  clip: number;
  eps: number;
}

export class RunningNormalizer {
  readonly size: number;
  readonly mean: Float64Array;
  readonly var: Float64Array;
  count: number;
  clip: number;
  eps: number;
  private readonly m32: Float32Array;
  private readonly inv32: Float32Array;
  /** When frozen, update() is a no-op (evaluation, deployment). */
  frozen = false;

  constructor(size: number, clip = 5, eps = 1e-8) {
    this.size = size;
    this.mean = new Float64Array(size);
    this.var = new Float64Array(size).fill(1);
    this.count = 0;
    this.clip = clip;
    this.eps = eps;
    this.m32 = new Float32Array(size);
    this.inv32 = new Float32Array(size).fill(1);
    this.refresh();
  }

  static from(d: NormalizerData): RunningNormalizer {
    const n = new RunningNormalizer(d.mean.length, d.clip, d.eps);
    n.mean.set(d.mean);
    n.var.set(d.var);
    n.count = d.count;
    n.refresh();
    return n;
  }

  private refresh(): void {
    for (let i = 0; i < this.size; i++) {
      this.m32[i] = this.mean[i]!;
      this.inv32[i] = invStd32(Math.sqrt(this.var[i]! + this.eps));
    }
  }

  /** Fold `rows` rows of x ([rows×size]) into the statistics. */
  update(x: Float32Array, rows: number): void {
    if (this.frozen || rows <= 0) return;
    const d = this.size;
    const bm = new Float64Array(d);
    const bv = new Float64Array(d);
    for (let r = 0; r < rows; r++) for (let i = 0; i < d; i++) bm[i]! += x[r * d + i]!;
    for (let i = 0; i < d; i++) bm[i]! /= rows;
    for (let r = 0; r < rows; r++)
      for (let i = 0; i < d; i++) {
        const e = x[r * d + i]! - bm[i]!;
        bv[i]! += e * e;
      }
    for (let i = 0; i < d; i++) bv[i]! /= rows;
    const n = this.count + rows;
    const wa = this.count / n;
    const wb = rows / n;
    for (let i = 0; i < d; i++) {
      const delta = bm[i]! - this.mean[i]!;
      this.mean[i] = this.mean[i]! + delta * wb;
      this.var[i] = this.var[i]! * wa + bv[i]! * wb + delta * delta * wa * wb;
    }
    this.count = n;
    this.refresh();
  }

  /** out[r,i] = clip((x[r,i] − mean[i]) / √(var[i] + eps)); out may alias x. */
  normalize(x: Float32Array, rows: number, out: Float32Array = x): Float32Array {
    const d = this.size;
    const c = this.clip;
    for (let r = 0; r < rows; r++) {
      const o = r * d;
      for (let i = 0; i < d; i++) out[o + i] = normalizeValue(x[o + i]!, this.m32[i]!, this.inv32[i]!, c);
    }
    return out;
  }

  /** Full-precision statistics, for checkpoints (resuming continues bit-exactly). */
  toData64(): NormalizerData64 {
    return { mean: Array.from(this.mean), var: Array.from(this.var), count: this.count, clip: this.clip, eps: this.eps };
  }

  load(d: NormalizerData | NormalizerData64): void {
    if (d.mean.length !== this.size || d.var.length !== this.size) throw new Error(`normalizer: data has ${d.mean.length} entries, expected ${this.size}`);
    for (let i = 0; i < this.size; i++) {
      this.mean[i] = d.mean[i]!;
      this.var[i] = d.var[i]!;
    }
    this.count = d.count;
    this.clip = d.clip;
    this.eps = d.eps;
    this.refresh();
  }

  toData(): NormalizerData {
    return { mean: Float32Array.from(this.mean), var: Float32Array.from(this.var), count: this.count, clip: this.clip, eps: this.eps };
  }
}
