/**
 * One-step diffusion: a FiLM-MLP student that maps the sampler's starting noise x_T and the observation straight to
 * the chunk its teacher's DDIM would have produced from that same noise (direct distillation of the deterministic
 * DDIM map, Luhman & Luhman 2021; a consistency model's one-step sampler evaluates the same kind of function).
 *
 * Why this form: DDIM with η = 0 is a deterministic function x_T ↦ x₀ given the observation, so a net trained to
 * regress it keeps the teacher's multi-modality (different x_T land in different modes) while needing one denoiser
 * evaluation instead of `inferenceSteps`. The student is the teacher's own FiLM MLP evaluated at one fixed diffusion
 * step (the teacher's first DDIM step) and predicting x₀ ('sample'), so it starts from the teacher's weights and its
 * artifact is an ordinary kind 'diffusion' artifact with a `model.onestep` block: it loads wherever a diffusion policy
 * loads (loadPolicy, the residual base, the bridge's chunk queue), with the same chunk / horizon metadata.
 */
import type { Rng } from '@s2r/core';
import { ArtifactError } from '../artifact.ts';
import type { FilmMlpRuntime, ObsContext } from './film-mlp.ts';

/** `model.onestep` of a one-step diffusion artifact. */
export interface OneStepSettings {
  /** The fixed diffusion step the student's denoiser is evaluated at (index into the teacher's schedule). */
  timestep: number;
  /** How the student was obtained. */
  method: 'ddim-distillation';
  /** The teacher it reproduces: its DDIM step count and its artifact's integrity hash (sha256). */
  teacher: { inferenceSteps: number; sha256: string };
}

/**
 * Checks `model.onestep` against the rest of the diffusion model block. A one-step artifact must predict x₀ and store
 * one inference step, so an older reader that ignores the block would still not silently run it as a 10-step DDIM
 * ε-model. Errors name the field.
 */
export function checkOneStep(raw: unknown, diffusion: { trainSteps: number; inferenceSteps: number; prediction: string }, where: string): OneStepSettings {
  const o = raw as Partial<OneStepSettings> | null;
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new ArtifactError(`${where}: model.onestep`, 'must be an object {timestep, method, teacher}');
  if (!(Number.isInteger(o.timestep) && o.timestep! >= 0 && o.timestep! < diffusion.trainSteps)) throw new ArtifactError(`${where}: model.onestep.timestep`, `must be an integer in [0, ${diffusion.trainSteps - 1}], got ${JSON.stringify(o.timestep)}`);
  if (o.method !== 'ddim-distillation') throw new ArtifactError(`${where}: model.onestep.method`, `must be "ddim-distillation", got ${JSON.stringify(o.method)}`);
  const t = o.teacher;
  if (!t || !(Number.isInteger(t.inferenceSteps) && t.inferenceSteps >= 1) || typeof t.sha256 !== 'string') throw new ArtifactError(`${where}: model.onestep.teacher`, 'must be {inferenceSteps: positive integer, sha256: string}');
  if (diffusion.prediction !== 'sample') throw new ArtifactError(`${where}: model.diffusion.prediction`, `a one-step student predicts x₀: must be "sample", got ${JSON.stringify(diffusion.prediction)}`);
  if (diffusion.inferenceSteps !== 1) throw new ArtifactError(`${where}: model.diffusion.inferenceSteps`, `a one-step artifact stores 1, got ${diffusion.inferenceSteps}`);
  return { timestep: o.timestep!, method: o.method, teacher: { inferenceSteps: t.inferenceSteps, sha256: t.sha256 } };
}

/**
 * One chunk in normalized action units: x_T ~ N(0, I) from the Rng into `xT`, then x̂₀ = f(x_T, t*, obs) clipped to
 * ±clip into `out`. Allocation-free: the caller owns both buffers (H·A each) and the prepared observation context.
 */
export function oneStepSample(net: FilmMlpRuntime, ctx: ObsContext, timestep: number, rng: Rng, clip: number, xT: Float32Array, out: Float32Array): Float32Array {
  rng.fillNormal(xT);
  oneStepMap(net, ctx, timestep, clip, xT, out);
  return out;
}

/** The student's deterministic map x_T ↦ x̂₀ (clipped), for a given starting noise. */
export function oneStepMap(net: FilmMlpRuntime, ctx: ObsContext, timestep: number, clip: number, xT: Float32Array, out: Float32Array): void {
  net.eps(xT, timestep, ctx, out); // a 'sample' denoiser: its output is x̂₀
  for (let i = 0; i < out.length; i++) {
    const v = out[i]!;
    out[i] = v > clip ? clip : v < -clip ? -clip : v;
  }
}
