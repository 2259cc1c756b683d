/**
 * The deployable diffusion policy (house `Policy`, kind 'diffusion'): Float32Array denoiser + DDIM, no tfjs.
 * Deterministic given its Rng. A one-step student (model.onestep, onestep.ts) replaces the DDIM loop by one denoiser
 * call on the drawn x_T, into buffers owned by the policy.
 *
 * `actChunk(history)` returns H×A actions in raw action units. `act(obs)` runs the receding horizon itself:
 * it keeps the To-frame history, re-plans every `execute` steps and serves the queued actions in between;
 * with temporal ensembling on, each step's action is the exp(−decay·i)-weighted mean of every live chunk's
 * prediction for that step (i = 0 the oldest), as in ACT.
 */
import { Rng } from '@s2r/core';
import { readArtifact, type PolicyArtifact } from '../artifact.ts';
import { metaFromArtifact, type Policy, type PolicyMeta } from '../policy.ts';
import { FilmMlpRuntime, type ObsContext } from './film-mlp.ts';
import { squaredCosineSchedule, type NoiseSchedule } from './schedule.ts';
import { asEpsFn, ddimSample } from './sampler.ts';
import { checkDiffusionArtifact, type DiffusionChunkSettings, type DiffusionModel } from './artifact.ts';
import { denormalizeAction, normalizeObs, type ObsNormalizer } from '../demos/normalizer.ts';
import { toAbsolute } from '../demos/action-frame.ts';
import { flattenHistory, ObsHistory } from './chunked-policy.ts';
import { oneStepSample } from './onestep.ts';

export interface DiffusionPolicyOptions {
  /** Noise source of the sampler; default Rng.seed(0). */
  rng?: Rng;
  /** Override the artifact's DDIM step count. */
  inferenceSteps?: number;
  /** Override execute / ensembling. */
  execute?: number;
  ensemble?: boolean;
  /** The task's spec hash; loading fails if the artifact was trained for another layout. */
  expectSpecHash?: string;
}

export class DiffusionPolicy implements Policy {
  readonly kind = 'diffusion';
  readonly obsSize: number;
  readonly actSize: number;
  readonly meta: PolicyMeta;
  readonly chunk: DiffusionChunkSettings;
  readonly model: DiffusionModel;
  inferenceSteps: number;
  private readonly obsNorm: ObsNormalizer;
  private readonly net: FilmMlpRuntime;
  private readonly schedule: NoiseSchedule;
  private readonly rng: Rng;
  private readonly history: ObsHistory;
  private readonly normObs: Float32Array;
  private readonly bounds: { low: number; high: number };
  private ctx: ObsContext | undefined;
  /** One-step students (model.onestep): the noise and x̂₀ buffers, reused every chunk. */
  private readonly xT: Float32Array;
  private readonly x0: Float32Array;
  private chunks: { start: number; actions: Float32Array }[] = [];
  private tStep = 0;
  private lastPlan = -Infinity;

  constructor(artifact: PolicyArtifact | unknown, opts: DiffusionPolicyOptions = {}, where = 'diffusion artifact') {
    const c = checkDiffusionArtifact(artifact, where, opts.expectSpecHash);
    this.meta = metaFromArtifact(c.artifact, where);
    this.model = c.model;
    this.obsNorm = c.obsNormalizer;
    this.obsSize = c.model.net.obsDim;
    this.actSize = c.model.net.actDim;
    this.chunk = { ...c.model.chunk, execute: opts.execute ?? c.model.chunk.execute, ensemble: opts.ensemble ?? c.model.chunk.ensemble };
    if (!(Number.isInteger(this.chunk.execute) && this.chunk.execute >= 1 && this.chunk.execute <= this.chunk.horizon)) throw new Error(`DiffusionPolicy: execute must be an integer in [1, ${this.chunk.horizon}], got ${this.chunk.execute}`);
    if (c.model.onestep && opts.inferenceSteps !== undefined && opts.inferenceSteps !== 1) throw new Error(`DiffusionPolicy: ${where} is a one-step student; inferenceSteps cannot be ${opts.inferenceSteps}`);
    this.inferenceSteps = opts.inferenceSteps ?? c.model.diffusion.inferenceSteps;
    this.net = new FilmMlpRuntime(c.model.net, c.params);
    this.schedule = squaredCosineSchedule(c.model.diffusion.trainSteps);
    this.rng = opts.rng ?? Rng.seed(0);
    this.history = new ObsHistory(this.chunk.obsHistory, this.obsSize);
    this.normObs = new Float32Array(this.chunk.obsHistory * this.obsSize);
    this.bounds = c.artifact.specs.action;
    this.xT = new Float32Array(this.chunk.horizon * this.actSize);
    this.x0 = new Float32Array(this.chunk.horizon * this.actSize);
  }

  /**
   * Run `chunks` throw-away chunk inferences on a zero history, then reset, so V8 has optimised the denoiser
   * before real time (the first cold chunks take tens of ms instead of ~3.5). The sampler's Rng is restored, so
   * warming up does not change the actions that follow.
   */
  warmup(chunks = 30): void {
    const st = this.rng.getState();
    const h = new Float32Array(this.chunk.obsHistory * this.obsSize);
    for (let i = 0; i < chunks; i++) this.actChunk(h);
    this.rng.setState(st);
    this.reset();
  }

  reset(): void {
    this.history.reset();
    this.chunks = [];
    this.tStep = 0;
    this.lastPlan = -Infinity;
  }

  actChunk(obsHistory: ArrayLike<number> | ArrayLike<number>[]): Float32Array {
    const flat = flattenHistory(obsHistory, this.chunk.obsHistory, this.obsSize, 'DiffusionPolicy.actChunk');
    const O = this.obsSize;
    const A = this.actSize;
    for (let k = 0; k < this.chunk.obsHistory; k++) normalizeObs(this.obsNorm, flat.subarray(k * O, (k + 1) * O), this.normObs, k * O);
    const ctx = (this.ctx = this.net.prepareObs(this.normObs, this.ctx));
    const os = this.model.onestep;
    const xn = os
      ? oneStepSample(this.net, ctx, os.timestep, this.rng, this.model.diffusion.clip, this.xT, this.x0)
      : ddimSample(this.schedule, asEpsFn(this.model.diffusion.prediction, this.schedule, (x, t, out) => this.net.eps(x, t, ctx, out)), this.chunk.horizon * A, this.inferenceSteps, this.rng, { clip: this.model.diffusion.clip });
    const out = new Float32Array(this.chunk.horizon * A);
    const n = this.model.actionNormalizer;
    if (n.min.length === A) for (let k = 0; k < this.chunk.horizon; k++) denormalizeAction(n, xn, k * A, out, k * A);
    else denormalizeAction(n, xn, 0, out, 0); // one range per (chunk step, joint)
    toAbsolute(this.model.actionFrame, flat, (this.chunk.obsHistory - 1) * O, out, A, this.bounds.low, this.bounds.high);
    return out;
  }

  act(obs: ArrayLike<number>): Float32Array {
    const hist = this.history.push(obs, 'DiffusionPolicy.act');
    const { horizon, execute, ensemble, ensembleDecay } = this.chunk;
    const A = this.actSize;
    if (this.tStep - this.lastPlan >= execute) {
      this.chunks.push({ start: this.tStep, actions: this.actChunk(hist) });
      this.lastPlan = this.tStep;
    }
    // Drop chunks that no longer cover this step; without ensembling only the newest is used.
    this.chunks = this.chunks.filter((c) => this.tStep - c.start < horizon);
    const out = new Float32Array(A);
    if (!ensemble) {
      const c = this.chunks[this.chunks.length - 1]!;
      out.set(c.actions.subarray((this.tStep - c.start) * A, (this.tStep - c.start + 1) * A));
    } else {
      let wsum = 0;
      this.chunks.forEach((c, i) => {
        const w = Math.exp(-ensembleDecay * i);
        const o = (this.tStep - c.start) * A;
        for (let j = 0; j < A; j++) out[j]! += w * c.actions[o + j]!;
        wsum += w;
      });
      for (let j = 0; j < A; j++) out[j]! /= wsum;
    }
    this.tStep++;
    return out;
  }
}

/** House plug-in hook: `loadPolicy` builds kind 'diffusion' through this. */
export function fromArtifact(a: PolicyArtifact, where: string): DiffusionPolicy {
  return new DiffusionPolicy(a, {}, where);
}

export async function loadDiffusionPolicy(path: string, opts: DiffusionPolicyOptions = {}): Promise<DiffusionPolicy> {
  const a = await readArtifact(path, opts.expectSpecHash ? { specHash: opts.expectSpecHash } : {});
  return new DiffusionPolicy(a, opts, path);
}
