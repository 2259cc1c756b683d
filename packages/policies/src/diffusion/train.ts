/**
 * Diffusion Policy training (DDPM objective) on demonstrations, with tfjs; exports the EMA weights into a
 * 'diffusion' artifact that runs without tfjs.
 *
 * Per step: draw B windows (To obs frames, H actions), t ~ U{0..T−1}, ε ~ N(0, I);
 * x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε;  loss = ‖ε_θ(x_t, t, obs) − ε‖² (prediction 'epsilon', default) or
 * ‖x̂₀_θ(x_t, t, obs) − x₀‖² (prediction 'sample').  Adam with linear warm-up then cosine decay,
 * EMA with diffusers' warm-up decay (power 0.75). Every random draw comes from the seeded Rng.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@s2r/core';
import { initBackend } from '../backend.ts';
import { squaredCosineSchedule } from './schedule.ts';
import { DEFAULT_FILM_MLP, initParams, timestepEmbedding, type FilmMlpConfig } from './film-mlp.ts';
import { TfFilmMlp, emaDecay } from './tf-film-mlp.ts';
import { mse } from './tf-ops.ts';
import type { Prediction } from './sampler.ts';
import { defaultControl, makeDiffusionArtifact } from './artifact.ts';
import { saveArtifact, type PolicyArtifact } from '../artifact.ts';
import { prepareDemos, type DemoTrainOptions } from '../demos/train-options.ts';
import { sampleBatch } from '../demos/windows.ts';

export interface DiffusionTrainConfig {
  seed: number;
  /** Chunk length H. */
  horizon: number;
  /** Actions executed per chunk. */
  execute: number;
  /** Observation frames To. */
  obsHistory: number;
  ensemble: boolean;
  ensembleDecay: number;
  /** DDPM training steps T. */
  diffusionSteps: number;
  /** DDIM steps stored as the artifact's default. */
  inferenceSteps: number;
  /** Gradient steps. */
  iterations: number;
  batchSize: number;
  lr: number;
  warmup: number;
  emaPower: number;
  emaMaxDecay: number;
  width: number;
  blocks: number;
  timeEmbDim: number;
  timeFeatDim: number;
  /** Train on successful episodes only (default) or all. */
  successOnly: boolean;
  /** Learn the expert's clean action (DART-style labels, default) or the executed noisy one. */
  label: 'expert' | 'executed';
  /** Observation terms zeroed after normalization (e.g. ['last_action'] against copycat imitation). */
  ignoreObsTerms: string[];
  /** 'relative': chunks are moves from the command in force when planning (demos/action-frame.ts). */
  actionFrame: 'auto' | 'absolute' | 'relative';
  /**
   * Relative frame only (the absolute frame keeps min / max and clip 1): map the [q, 1−q] quantiles of each chunk step's moves to [−1, 1] (0: min / max) and
   * let samples reach ±targetClip, so rare large moves stay representable without squeezing the typical ones.
   */
  rangeQuantile: number;
  targetClip: number;
  /**
   * Denoiser target: 'epsilon' (Chi et al.'s default) or 'sample' (x₀; diffusers' prediction_type "sample").
   * Same DDPM forward process and samplers. x₀-prediction regresses the chunk directly at every noise level: on
   * z1-push after 3000 iterations its next-step error on demo states was 0.0041 action units against ε's 0.0067,
   * and success 64% against 14%. ε stays the default because it keeps distinct modes apart better (test/diffusion).
   */
  prediction: Prediction;
  backend?: string;
}

export const DEFAULT_DIFFUSION_TRAIN: DiffusionTrainConfig = {
  seed: 0,
  horizon: 16,
  execute: 8,
  obsHistory: 2,
  ensemble: false,
  ensembleDecay: 0.01,
  diffusionSteps: 100,
  inferenceSteps: 10,
  iterations: 3000,
  batchSize: 256,
  lr: 1e-3,
  warmup: 100,
  emaPower: 0.75,
  emaMaxDecay: 0.9999,
  ...DEFAULT_FILM_MLP,
  successOnly: true,
  label: 'expert',
  ignoreObsTerms: [],
  actionFrame: 'auto',
  rangeQuantile: 0.01,
  targetClip: 3,
  prediction: 'epsilon',
};

export type { TrainProgress } from '../demos/train-options.ts';

export type DiffusionTrainOptions = DemoTrainOptions<DiffusionTrainConfig>;

export interface DiffusionTrainResult {
  artifact: PolicyArtifact;
  config: DiffusionTrainConfig;
  finalLoss: number;
  seconds: number;
}

export async function trainDiffusion(opts: DiffusionTrainOptions): Promise<DiffusionTrainResult> {
  const cfg: DiffusionTrainConfig = { ...DEFAULT_DIFFUSION_TRAIN, ...opts.config };
  if (cfg.prediction !== 'epsilon' && cfg.prediction !== 'sample') throw new RangeError(`trainDiffusion: prediction must be "epsilon" or "sample", got ${JSON.stringify(cfg.prediction)}`);
  if (!(cfg.execute >= 1 && cfg.execute <= cfg.horizon)) throw new RangeError(`trainDiffusion: execute must be in [1, horizon=${cfg.horizon}], got ${cfg.execute}`);
  await initBackend(cfg.backend, { quiet: true });
  const { d, eps, O, A, on, an, cols, win, frame, actionRange } = prepareDemos('trainDiffusion', opts.demos, cfg, cfg.horizon, { quantile: cfg.rangeQuantile, clip: cfg.targetClip });

  const net: FilmMlpConfig = {
    actDim: A, obsDim: O, horizon: cfg.horizon, obsHistory: cfg.obsHistory,
    width: cfg.width, blocks: cfg.blocks, timeEmbDim: cfg.timeEmbDim, timeFeatDim: cfg.timeFeatDim,
  };
  const rng = Rng.seed(cfg.seed);
  const model = new TfFilmMlp(net, initParams(net, rng.split('init')));
  const schedule = squaredCosineSchedule(cfg.diffusionSteps);
  const T = cfg.diffusionSteps;
  const E = cfg.timeEmbDim;
  const tTable = new Float32Array(T * E);
  for (let t = 0; t < T; t++) timestepEmbedding(t, E, tTable.subarray(t * E, (t + 1) * E));
  const sqrtAb = Array.from(schedule.alphasCumprod, Math.sqrt);
  const sqrt1mAb = Array.from(schedule.alphasCumprod, (a) => Math.sqrt(1 - a));

  const B = cfg.batchSize;
  const X = cfg.horizon * A;
  const obsB = new Float32Array(B * cfg.obsHistory * O);
  const x0B = new Float32Array(B * X);
  const xtB = new Float32Array(B * X);
  const epsB = new Float32Array(B * X);
  const tEmbB = new Float32Array(B * E);
  const batchRng = rng.split('batch');
  const noiseRng = rng.split('noise');
  const opt = tf.train.adam(cfg.lr);
  const t0 = performance.now();
  let lossAvg = NaN;
  const every = opts.progressEvery ?? 50;
  let done = 0;
  for (let it = 0; it < cfg.iterations; it++) {
    if (opts.signal?.aborted) break;
    done = it + 1;
    sampleBatch(win, cols, B, batchRng, obsB, x0B);
    noiseRng.fillNormal(epsB);
    for (let b = 0; b < B; b++) {
      const t = noiseRng.int(T);
      tEmbB.set(tTable.subarray(t * E, (t + 1) * E), b * E);
      const sa = sqrtAb[t]!;
      const sb = sqrt1mAb[t]!;
      for (let i = b * X; i < (b + 1) * X; i++) xtB[i] = sa * x0B[i]! + sb * epsB[i]!;
    }
    const warm = Math.min(1, (it + 1) / Math.max(1, cfg.warmup));
    const lr = cfg.lr * warm * 0.5 * (1 + Math.cos((Math.PI * it) / cfg.iterations));
    (opt as unknown as { learningRate: number }).learningRate = lr;
    const lossT = tf.tidy((): tf.Scalar => {
      const xt = tf.tensor2d(xtB, [B, X]);
      const te = tf.tensor2d(tEmbB, [B, E]);
      const ob = tf.tensor2d(obsB, [B, cfg.obsHistory * O]);
      const target = tf.tensor2d(cfg.prediction === 'sample' ? x0B : epsB, [B, X]);
      return opt.minimize(() => mse(model.forward(xt, te, ob), target), true, model.trainable)!;
    });
    model.updateEma(emaDecay(it, cfg.emaPower, cfg.emaMaxDecay));
    if (it % every === 0 || it === cfg.iterations - 1) {
      const l = (await lossT.data())[0]!;
      lossAvg = Number.isNaN(lossAvg) ? l : 0.8 * lossAvg + 0.2 * l;
      if (!Number.isFinite(l)) throw new Error(`trainDiffusion: loss became ${l} at iteration ${it}`);
      opts.onProgress?.({ iteration: it + 1, iterations: cfg.iterations, loss: l, lr, elapsedS: (performance.now() - t0) / 1000 });
    }
    lossT.dispose();
  }
  const params = model.exportParams('ema');
  model.dispose();
  opt.dispose();
  const artifact = makeDiffusionArtifact({
    task: d.meta.task,
    observationSpec: d.meta.observationSpec,
    actionSpec: d.meta.actionSpec,
    control: defaultControl(d.meta.actionSpec, d.meta.dt, opts.control ?? d.meta.control),
    obsNormalizer: on,
    actionNormalizer: an,
    actionRange,
    ...(frame ? { actionFrame: frame } : {}),
    rows: win.count,
    chunk: { horizon: cfg.horizon, execute: cfg.execute, obsHistory: cfg.obsHistory, ensemble: cfg.ensemble, ensembleDecay: cfg.ensembleDecay },
    trainSteps: T,
    inferenceSteps: cfg.inferenceSteps,
    clip: frame ? cfg.targetClip : 1,
    prediction: cfg.prediction,
    net,
    params,
    training: { algo: 'diffusion', config: { ...cfg }, demos: typeof opts.demos === 'string' ? opts.demos : '(in memory)', episodesUsed: eps.length, iterations: done, finalLoss: lossAvg },
  });
  if (opts.out) await saveArtifact(opts.out, artifact);
  return { artifact, config: cfg, finalLoss: lossAvg, seconds: (performance.now() - t0) / 1000 };
}
