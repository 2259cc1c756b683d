/**
 * Samplers over an ε-prediction model, Float32Array only (no tfjs), deterministic given the Rng.
 *
 * DDIM (Song et al. 2021, η = 0), as diffusers' DDIMScheduler with clip_sample and set_alpha_to_one:
 *   x̂₀ = (x_t − √(1−ᾱ_t) ε̂)/√ᾱ_t, clipped to ±clip (actions are normalized to [−1, 1]); ε̂ is then
 *   recomputed from the clipped x̂₀, and x_prev = √ᾱ_prev x̂₀ + √(1−ᾱ_prev) ε̂, with ᾱ_prev = 1 past the end.
 * DDPM (Ho et al. 2020) ancestral sampling with the posterior variance β̃_t ("fixed_small"). Used as the
 * reference the DDIM sampler is tested against, and available for evaluation.
 */
import type { Rng } from '@s2r/core';
import { ddimTimesteps, type NoiseSchedule } from './schedule.ts';

/** Writes ε̂(x, t) into out. */
export type EpsFn = (x: Float32Array, t: number, out: Float32Array) => void;

/** What the denoiser outputs: the noise ε (Ho et al.) or the clean sample x₀ (diffusers' "sample"). */
export type Prediction = 'epsilon' | 'sample';

/**
 * An ε̂ function for the samplers from a denoiser of either kind: a sample-predicting net's x̂₀ becomes
 * ε̂ = (x_t − √ᾱ_t x̂₀)/√(1−ᾱ_t), which the samplers turn back into the same x̂₀.
 */
export function asEpsFn(prediction: Prediction, schedule: NoiseSchedule, net: EpsFn): EpsFn {
  if (prediction === 'epsilon') return net;
  const acp = schedule.alphasCumprod;
  return (x, t, out) => {
    net(x, t, out);
    const sa = Math.sqrt(acp[t]!);
    const sb = Math.sqrt(1 - acp[t]!);
    for (let i = 0; i < x.length; i++) out[i] = (x[i]! - sa * out[i]!) / sb;
  };
}

export interface SampleOptions {
  /** Clip x̂₀ to ±clip; Infinity disables (default 1: actions are normalized to [−1, 1]). */
  clip?: number;
  /** Start from this x_T instead of drawing it (the Rng is then unused by DDIM). */
  xT?: Float32Array;
}

function clampX0(x: Float32Array, eps: Float32Array, ab: number, clip: number, x0: Float32Array): void {
  const sa = Math.sqrt(ab);
  const sb = Math.sqrt(1 - ab);
  for (let i = 0; i < x.length; i++) {
    let v = (x[i]! - sb * eps[i]!) / sa;
    if (v > clip) v = clip;
    else if (v < -clip) v = -clip;
    x0[i] = v;
  }
  if (clip !== Infinity) for (let i = 0; i < x.length; i++) eps[i] = (x[i]! - sa * x0[i]!) / sb;
}

export function ddimSample(schedule: NoiseSchedule, eps: EpsFn, dim: number, inferenceSteps: number, rng: Rng, opts: SampleOptions = {}): Float32Array {
  const clip = opts.clip ?? 1;
  const x = new Float32Array(dim);
  if (opts.xT) x.set(opts.xT);
  else rng.fillNormal(x);
  const e = new Float32Array(dim);
  const x0 = new Float32Array(dim);
  const ts = ddimTimesteps(schedule.steps, inferenceSteps);
  const acp = schedule.alphasCumprod;
  for (let k = 0; k < ts.length; k++) {
    const t = ts[k]!;
    const ab = acp[t]!;
    const abPrev = k + 1 < ts.length ? acp[ts[k + 1]!]! : 1;
    eps(x, t, e);
    clampX0(x, e, ab, clip, x0);
    const a = Math.sqrt(abPrev);
    const b = Math.sqrt(1 - abPrev);
    for (let i = 0; i < dim; i++) x[i] = a * x0[i]! + b * e[i]!;
  }
  return x;
}

export function ddpmSample(schedule: NoiseSchedule, eps: EpsFn, dim: number, rng: Rng, opts: SampleOptions = {}): Float32Array {
  const clip = opts.clip ?? 1;
  const x = new Float32Array(dim);
  if (opts.xT) x.set(opts.xT);
  else rng.fillNormal(x);
  const e = new Float32Array(dim);
  const x0 = new Float32Array(dim);
  const { alphas, betas, alphasCumprod: acp } = schedule;
  for (let t = schedule.steps - 1; t >= 0; t--) {
    const ab = acp[t]!;
    const abPrev = t > 0 ? acp[t - 1]! : 1;
    eps(x, t, e);
    clampX0(x, e, ab, clip, x0);
    const c0 = (Math.sqrt(abPrev) * betas[t]!) / (1 - ab);
    const ct = (Math.sqrt(alphas[t]!) * (1 - abPrev)) / (1 - ab);
    const sd = t > 0 ? Math.sqrt((betas[t]! * (1 - abPrev)) / (1 - ab)) : 0;
    for (let i = 0; i < dim; i++) x[i] = c0 * x0[i]! + ct * x[i]! + (sd > 0 ? sd * rng.normal() : 0);
  }
  return x;
}
