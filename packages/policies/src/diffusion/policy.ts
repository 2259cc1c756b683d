/**
 * The deployable diffusion policy: Float32Array denoiser + DDIM, no tfjs. Deterministic given its Rng.
 *
 * `actChunk(history)` returns H×A actions in raw action units. `act(obs)` runs the receding horizon itself:
 * it keeps the To-frame history, re-plans every `execute` steps and serves the queued actions in between;
 * with temporal ensembling on, each step's action is the exp(−decay·i)-weighted mean of every live chunk's
 * prediction for that step (i = 0 the oldest), as in ACT.
 */
import { Rng } from '@s2r/sim/rng.ts';
import { FilmMlpRuntime, type ObsContext } from './film-mlp.ts';
import { squaredCosineSchedule, type NoiseSchedule } from './schedule.ts';
import { ddimSample } from './sampler.ts';
import { checkDiffusionArtifact, readDiffusionArtifact, type DiffusionArtifact, type DiffusionChunkSettings } from './artifact.ts';
import { denormalizeAction, normalizeObs } from '../demos/normalizer.ts';
import { flattenHistory, ObsHistory, type DemoPolicy } from './chunked-policy.ts';

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

export class DiffusionPolicy implements DemoPolicy {
  readonly kind = 'diffusion';
  readonly obsDim: number;
  readonly actDim: number;
  readonly chunk: DiffusionChunkSettings;
  readonly artifact: DiffusionArtifact;
  inferenceSteps: number;
  private readonly net: FilmMlpRuntime;
  private readonly schedule: NoiseSchedule;
  private readonly rng: Rng;
  private readonly history: ObsHistory;
  private readonly normObs: Float32Array;
  private ctx: ObsContext | undefined;
  /** Live chunks for act(): start step and actions. */
  private chunks: { start: number; actions: Float32Array }[] = [];
  private tStep = 0;
  private lastPlan = -Infinity;

  constructor(artifact: DiffusionArtifact | unknown, opts: DiffusionPolicyOptions = {}) {
    const { artifact: a, params } = checkDiffusionArtifact(artifact, 'diffusion artifact', opts.expectSpecHash);
    this.artifact = a;
    this.obsDim = a.net.config.obsDim;
    this.actDim = a.net.config.actDim;
    this.chunk = { ...a.chunk, execute: opts.execute ?? a.chunk.execute, ensemble: opts.ensemble ?? a.chunk.ensemble };
    if (!(this.chunk.execute >= 1 && this.chunk.execute <= this.chunk.horizon)) throw new Error(`DiffusionPolicy: execute must be in [1, ${this.chunk.horizon}], got ${this.chunk.execute}`);
    this.inferenceSteps = opts.inferenceSteps ?? a.diffusion.inferenceSteps;
    this.net = new FilmMlpRuntime(a.net.config, params);
    this.schedule = squaredCosineSchedule(a.diffusion.trainSteps);
    this.rng = opts.rng ?? Rng.seed(0);
    this.history = new ObsHistory(this.chunk.obsHistory, this.obsDim);
    this.normObs = new Float32Array(this.chunk.obsHistory * this.obsDim);
  }

  reset(): void {
    this.history.reset();
    this.chunks = [];
    this.tStep = 0;
    this.lastPlan = -Infinity;
  }

  /** Normalized-space chunk for a flat raw history (To × O). */
  private sampleNormalized(flat: Float32Array): Float32Array {
    const { obsDim: O } = this;
    const on = this.artifact.normalizer.obs;
    for (let k = 0; k < this.chunk.obsHistory; k++) normalizeObs(on, flat.subarray(k * O, (k + 1) * O), this.normObs, k * O);
    this.ctx = this.net.prepareObs(this.normObs, this.ctx);
    const ctx = this.ctx;
    const X = this.chunk.horizon * this.actDim;
    return ddimSample(this.schedule, (x, t, out) => this.net.eps(x, t, ctx, out), X, this.inferenceSteps, this.rng, { clip: this.artifact.diffusion.clip });
  }

  actChunk(obsHistory: ArrayLike<number> | ArrayLike<number>[]): Float32Array {
    const flat = flattenHistory(obsHistory, this.chunk.obsHistory, this.obsDim, 'DiffusionPolicy.actChunk');
    const xn = this.sampleNormalized(flat);
    const A = this.actDim;
    const out = new Float32Array(this.chunk.horizon * A);
    for (let k = 0; k < this.chunk.horizon; k++) denormalizeAction(this.artifact.normalizer.action, xn, k * A, out, k * A);
    return out;
  }

  act(obs: ArrayLike<number>): Float32Array {
    const hist = this.history.push(obs, 'DiffusionPolicy.act');
    const { horizon, execute, ensemble, ensembleDecay } = this.chunk;
    const A = this.actDim;
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

export function loadDiffusionPolicy(path: string, opts: DiffusionPolicyOptions = {}): DiffusionPolicy {
  const { artifact } = readDiffusionArtifact(path, opts.expectSpecHash);
  return new DiffusionPolicy(artifact, opts);
}
