/**
 * DDPM noise schedule: the squared-cosine schedule of Nichol & Dhariwal (2021), as Diffusion Policy uses it
 * (diffusers' `squaredcos_cap_v2`):
 *   ᾱ(t) = cos²(((t/T) + s)/(1 + s) · π/2),  s = 0.008
 *   β_i  = min(1 − ᾱ((i+1)/T)/ᾱ(i/T), 0.999),   α_i = 1 − β_i,   ᾱ_i = Π_{j≤i} α_j
 * Index i runs 0..T−1; i = 0 is the least noisy step. Values are kept in float64 so that the same table is
 * produced everywhere (training, the Float32Array runtime, tests).
 */
export interface NoiseSchedule {
  /** Number of training diffusion steps T (100 in Diffusion Policy). */
  steps: number;
  betas: Float64Array;
  alphas: Float64Array;
  alphasCumprod: Float64Array;
}

/** The continuous ᾱ(τ) for τ = t/T ∈ [0, 1] before the β cap. */
export function cosineAlphaBar(tau: number, s = 0.008): number {
  const c = Math.cos(((tau + s) / (1 + s)) * (Math.PI / 2));
  return c * c;
}

export function squaredCosineSchedule(steps = 100, maxBeta = 0.999): NoiseSchedule {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`squaredCosineSchedule: steps must be a positive integer, got ${steps}`);
  const betas = new Float64Array(steps);
  const alphas = new Float64Array(steps);
  const alphasCumprod = new Float64Array(steps);
  let acc = 1;
  for (let i = 0; i < steps; i++) {
    const b = Math.min(1 - cosineAlphaBar((i + 1) / steps) / cosineAlphaBar(i / steps), maxBeta);
    betas[i] = b;
    alphas[i] = 1 - b;
    acc *= 1 - b;
    alphasCumprod[i] = acc;
  }
  return { steps, betas, alphas, alphasCumprod };
}

/**
 * DDIM timesteps ("leading" spacing, as diffusers' DDIMScheduler with steps_offset 0): for T = 100 and
 * 10 inference steps, [90, 80, …, 0]. Descending order, i.e. the order the sampler visits them.
 */
export function ddimTimesteps(trainSteps: number, inferenceSteps: number): number[] {
  if (!Number.isInteger(inferenceSteps) || inferenceSteps < 1 || inferenceSteps > trainSteps) {
    throw new RangeError(`ddimTimesteps: inference steps must be an integer in [1, ${trainSteps}], got ${inferenceSteps}`);
  }
  const ratio = Math.floor(trainSteps / inferenceSteps);
  const ts: number[] = [];
  for (let k = inferenceSteps - 1; k >= 0; k--) ts.push(k * ratio);
  return ts;
}
