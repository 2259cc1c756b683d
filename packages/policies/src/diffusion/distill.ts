/**
 * Distil a diffusion policy into a one-step student (onestep.ts): direct distillation of the teacher's deterministic
 * DDIM map, with tfjs for the student's gradient steps and the Float32Array runtime for the teacher's labels.
 *
 *  1. label: draw `pairs` (observation history, x_T) pairs — histories from the demonstrations' windows, normalized by
 *     the teacher's own normalizer; x_T ~ N(0, I) — and label each with the teacher's DDIM chunk from that x_T,
 *     computed by the very runtime that deploys the teacher (ddimSample, same clip), in normalized action units;
 *  2. train: the student f(x_T, t*, obs) → x̂₀ regresses those chunks (MSE), starting from the teacher's weights when
 *     it has the teacher's shape; Adam with warm-up then cosine decay, EMA as the teacher's trainer;
 *  3. report: the held-out pairs' MSE of the exported (EMA) student through the deploy runtime, against the
 *     variance of the teacher's chunks (what a constant guess would score).
 * Every random draw comes from `Rng.seed(seed)` split by purpose, so a seed gives one artifact.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@s2r/core';
import { initBackend } from '../backend.ts';
import { buildArtifact, readArtifact, saveArtifact, type PolicyArtifact } from '../artifact.ts';
import { encodeTensor } from '../artifact.ts';
import { loadDemos } from '../demos/store.ts';
import type { DemoDataset } from '../demos/dataset.ts';
import { buildWindows } from '../demos/windows.ts';
import { normalizeObs } from '../demos/normalizer.ts';
import { checkDiffusionArtifact, type DiffusionModel } from './artifact.ts';
import { FilmMlpRuntime, initParams, paramShapes, timestepEmbedding, type FilmMlpConfig, type Params } from './film-mlp.ts';
import { TfFilmMlp, emaDecay } from './tf-film-mlp.ts';
import { mse } from './tf-ops.ts';
import { asEpsFn, ddimSample } from './sampler.ts';
import { ddimTimesteps, squaredCosineSchedule } from './schedule.ts';
import { oneStepMap, type OneStepSettings } from './onestep.ts';
import type { DiffusionTrainConfig } from './train.ts';

/**
 * The optimiser / EMA settings mean what they mean in the teacher's trainer (train.ts); `iterations` are the student's
 * gradient steps, and `width` / `blocks` 0 mean the teacher's (the student then starts from the teacher's weights).
 */
export interface DistillConfig extends Pick<DiffusionTrainConfig, 'iterations' | 'batchSize' | 'lr' | 'warmup' | 'emaPower' | 'emaMaxDecay' | 'width' | 'blocks' | 'backend'> {
  seed: number;
  /** (observation history, x_T) pairs labelled by the teacher's DDIM (each costs one teacher chunk, ~3.5 ms). */
  pairs: number;
  /** Fraction of the pairs held out of training, to report how closely the student reproduces the teacher. */
  heldOut: number;
  /** The student's fixed diffusion step; −1 = the teacher's first DDIM step (90 for T = 100 and 10 steps). */
  timestep: number;
  /** DDIM steps of the labelling teacher; 0 = the teacher artifact's own inferenceSteps. */
  teacherSteps: number;
}

export const DEFAULT_DISTILL: DistillConfig = {
  seed: 0,
  pairs: 32768,
  heldOut: 0.05,
  iterations: 3000,
  batchSize: 256,
  lr: 5e-4,
  warmup: 100,
  emaPower: 0.75,
  emaMaxDecay: 0.999,
  width: 0,
  blocks: 0,
  timestep: -1,
  teacherSteps: 0,
};

export interface DistillProgress {
  phase: 'label' | 'train';
  done: number;
  total: number;
  /** Training MSE (normalized action units²); NaN while labelling. */
  loss: number;
  /** Every 500 training steps: the EMA student's MSE on the held-out pairs. */
  heldOutMse?: number;
  elapsedS: number;
}

export interface DistillOptions {
  /** The diffusion teacher: an artifact in memory or its path. */
  teacher: PolicyArtifact | string;
  /** Where the observation histories come from: the demonstrations (or their folder) the teacher learned from. */
  demos: DemoDataset | string;
  config?: Partial<DistillConfig>;
  out?: string;
  onProgress?: (p: DistillProgress) => void;
  /** Stop early (Ctrl-C): the student so far is exported. */
  signal?: AbortSignal;
}

export interface DistillResult {
  artifact: PolicyArtifact;
  config: DistillConfig;
  /** Held-out MSE of the student against the teacher's chunks, normalized action units². */
  heldOutMse: number;
  /** Variance of the teacher's held-out chunks around their mean (the MSE of a constant guess). */
  heldOutVar: number;
  seconds: number;
}

function check(cfg: DistillConfig): void {
  const posInt = (k: keyof DistillConfig) => {
    if (!(Number.isInteger(cfg[k]) && (cfg[k] as number) >= 1)) throw new RangeError(`distillDiffusion: ${k} must be a positive integer, got ${JSON.stringify(cfg[k])}`);
  };
  for (const k of ['pairs', 'iterations', 'batchSize', 'warmup'] as const) posInt(k);
  if (!(cfg.heldOut > 0 && cfg.heldOut < 1) || Math.floor(cfg.pairs * cfg.heldOut) < 1 || cfg.pairs - Math.floor(cfg.pairs * cfg.heldOut) < 1) throw new RangeError(`distillDiffusion: heldOut must leave ≥ 1 pair on each side, got ${cfg.heldOut} of ${cfg.pairs} pairs`);
  if (!(cfg.lr > 0)) throw new RangeError(`distillDiffusion: lr must be > 0, got ${cfg.lr}`);
  for (const k of ['width', 'blocks', 'teacherSteps'] as const) if (!(Number.isInteger(cfg[k]) && cfg[k] >= 0)) throw new RangeError(`distillDiffusion: ${k} must be an integer ≥ 0 (0 = the teacher's), got ${cfg[k]}`);
  if (!Number.isInteger(cfg.timestep) || cfg.timestep < -1) throw new RangeError(`distillDiffusion: timestep must be −1 (auto) or a diffusion step, got ${cfg.timestep}`);
}

export async function distillDiffusion(opts: DistillOptions): Promise<DistillResult> {
  const cfg: DistillConfig = { ...DEFAULT_DISTILL, ...opts.config };
  check(cfg);
  const where = typeof opts.teacher === 'string' ? opts.teacher : 'teacher artifact';
  const t = checkDiffusionArtifact(typeof opts.teacher === 'string' ? await readArtifact(opts.teacher) : opts.teacher, where);
  if (t.model.onestep) throw new Error(`distillDiffusion: ${where} is already a one-step student; distil its DDIM teacher`);
  const d = typeof opts.demos === 'string' ? loadDemos(opts.demos) : opts.demos;
  const tn = t.model.net;
  if (d.meta.obsDim !== tn.obsDim) throw new Error(`distillDiffusion: the demonstrations have ${d.meta.obsDim} observation values, the teacher ${tn.obsDim}`);
  const T = t.model.diffusion.trainSteps;
  const teacherSteps = cfg.teacherSteps || t.model.diffusion.inferenceSteps;
  if (teacherSteps > T) throw new RangeError(`distillDiffusion: teacherSteps ${teacherSteps} exceeds the teacher's ${T} training steps`);
  const timestep = cfg.timestep >= 0 ? cfg.timestep : ddimTimesteps(T, teacherSteps)[0]!;
  if (timestep >= T) throw new RangeError(`distillDiffusion: timestep must be < ${T}, got ${timestep}`);
  await initBackend(cfg.backend, { quiet: true });
  const rng = Rng.seed(cfg.seed);
  const t0 = performance.now();
  const el = () => (performance.now() - t0) / 1000;

  // 1. Label (obs history, x_T) pairs with the teacher's DDIM chunk, in normalized action units.
  const To = tn.obsHistory;
  const O = tn.obsDim;
  const F = To * O;
  const X = tn.horizon * tn.actDim;
  const N = cfg.pairs;
  const win = buildWindows(d.episodes, To, 1);
  if (win.count === 0) throw new Error('distillDiffusion: the demonstrations have no steps');
  const obsN = new Float32Array(N * F);
  const xT = new Float32Array(N * X);
  const y = new Float32Array(N * X);
  const teacher = new FilmMlpRuntime(tn, t.params);
  const sched = squaredCosineSchedule(T);
  const pairRng = rng.split('pairs');
  const noiseRng = rng.split('noise');
  const unused = rng.split('ddim'); // ddimSample draws nothing when given x_T
  for (let i = 0; i < N; i++) {
    if (opts.signal?.aborted) throw new Error('distillDiffusion: aborted while labelling (nothing to export yet)');
    const w = pairRng.int(win.count);
    for (let k = 0; k < To; k++) {
      const r = win.obsRows[w * To + k]!;
      normalizeObs(t.obsNormalizer, d.obs.subarray(r * O, (r + 1) * O), obsN, i * F + k * O);
    }
    const xi = xT.subarray(i * X, (i + 1) * X);
    noiseRng.fillNormal(xi);
    const ctx = teacher.prepareObs(obsN.subarray(i * F, (i + 1) * F));
    const eps = asEpsFn(t.model.diffusion.prediction, sched, (x, tt, out) => teacher.eps(x, tt, ctx, out));
    y.set(ddimSample(sched, eps, X, teacherSteps, unused, { clip: t.model.diffusion.clip, xT: xi }), i * X);
    if ((i + 1) % 1024 === 0 || i === N - 1) opts.onProgress?.({ phase: 'label', done: i + 1, total: N, loss: NaN, elapsedS: el() });
  }

  // 2. Train the student on the first N − held pairs.
  const held = Math.floor(N * cfg.heldOut);
  const trainN = N - held;
  const net: FilmMlpConfig = { ...tn, width: cfg.width || tn.width, blocks: cfg.blocks || tn.blocks };
  const sameShape = net.width === tn.width && net.blocks === tn.blocks;
  const init: Params = sameShape ? Object.fromEntries(Object.entries(t.params).map(([k, v]) => [k, new Float32Array(v)])) : initParams(net, rng.split('init'));
  const model = new TfFilmMlp(net, init);
  /** MSE of the student with these weights on the held-out pairs, through the deploy runtime (normalized units²). */
  const heldOutError = (p: Params): number => {
    const student = new FilmMlpRuntime(net, p);
    const out = new Float32Array(X);
    let se = 0;
    for (let i = trainN; i < N; i++) {
      oneStepMap(student, student.prepareObs(obsN.subarray(i * F, (i + 1) * F)), timestep, t.model.diffusion.clip, xT.subarray(i * X, (i + 1) * X), out);
      for (let j = 0; j < X; j++) se += (out[j]! - y[i * X + j]!) ** 2;
    }
    return se / (held * X);
  };
  const B = cfg.batchSize;
  const E = net.timeEmbDim;
  const tEmbB = new Float32Array(B * E);
  const emb = timestepEmbedding(timestep, E);
  for (let b = 0; b < B; b++) tEmbB.set(emb, b * E);
  const obsB = new Float32Array(B * F);
  const xB = new Float32Array(B * X);
  const yB = new Float32Array(B * X);
  const batchRng = rng.split('batch');
  const opt = tf.train.adam(cfg.lr);
  const tEmbT = tf.tensor2d(tEmbB, [B, E]);
  let loss = NaN;
  let done = 0;
  try {
    for (let it = 0; it < cfg.iterations; it++) {
      if (opts.signal?.aborted) break;
      done = it + 1;
      for (let b = 0; b < B; b++) {
        const i = batchRng.int(trainN);
        obsB.set(obsN.subarray(i * F, (i + 1) * F), b * F);
        xB.set(xT.subarray(i * X, (i + 1) * X), b * X);
        yB.set(y.subarray(i * X, (i + 1) * X), b * X);
      }
      const warm = Math.min(1, (it + 1) / cfg.warmup);
      (opt as unknown as { learningRate: number }).learningRate = cfg.lr * warm * 0.5 * (1 + Math.cos((Math.PI * it) / cfg.iterations));
      const lossT = tf.tidy((): tf.Scalar => {
        const xt = tf.tensor2d(xB, [B, X]);
        const ob = tf.tensor2d(obsB, [B, F]);
        const target = tf.tensor2d(yB, [B, X]);
        return opt.minimize(() => mse(model.forward(xt, tEmbT, ob), target), true, model.trainable)!;
      });
      model.updateEma(emaDecay(it, cfg.emaPower, cfg.emaMaxDecay));
      if (it % 50 === 0 || it === cfg.iterations - 1) {
        const l = (await lossT.data())[0]!;
        if (!Number.isFinite(l)) throw new Error(`distillDiffusion: loss became ${l} at iteration ${it}`);
        loss = Number.isNaN(loss) ? l : 0.8 * loss + 0.2 * l;
        // The held-out curve every 500 steps (about a second): a training loss far below it means too few pairs.
        const ho = it % 500 === 0 && it > 0 && opts.onProgress ? { heldOutMse: heldOutError(model.exportParams('ema')) } : {};
        opts.onProgress?.({ phase: 'train', done: it + 1, total: cfg.iterations, loss: l, elapsedS: el(), ...ho });
      }
      lossT.dispose();
    }
  } finally {
    tEmbT.dispose();
    opt.dispose();
  }
  const params = model.exportParams('ema');
  model.dispose();

  // 3. Held-out agreement through the deploy runtime.
  const heldOutMse = heldOutError(params);
  const mean = new Float64Array(X);
  for (let i = trainN; i < N; i++) for (let j = 0; j < X; j++) mean[j]! += y[i * X + j]! / held;
  let sv = 0;
  for (let i = trainN; i < N; i++) for (let j = 0; j < X; j++) sv += (y[i * X + j]! - mean[j]!) ** 2;
  const heldOutVar = sv / (held * X);

  const onestep: OneStepSettings = { timestep, method: 'ddim-distillation', teacher: { inferenceSteps: teacherSteps, sha256: t.artifact.integrity.sha256 } };
  const m: DiffusionModel = { ...t.model, net, diffusion: { ...t.model.diffusion, inferenceSteps: 1, prediction: 'sample' }, onestep };
  const tensors: PolicyArtifact['tensors'] = {};
  for (const [name, shape] of Object.entries(paramShapes(net))) tensors[`denoiser.${name}`] = encodeTensor(params[name]!, shape);
  const a = t.artifact;
  const artifact = buildArtifact({
    kind: 'diffusion',
    task: a.task,
    specs: { observation: a.specs.observation, action: a.specs.action, privileged: a.specs.privileged ?? null },
    normalizer: a.normalizer,
    control: a.control,
    model: m as unknown as Record<string, unknown>,
    tensors,
    training: {
      algo: 'diffusion-distill',
      config: { ...cfg },
      teacher: { source: where, sha256: a.integrity.sha256, training: a.training },
      demos: typeof opts.demos === 'string' ? opts.demos : '(in memory)',
      iterations: done,
      finalLoss: loss,
      heldOutMse,
      heldOutVar,
    },
  });
  if (opts.out) await saveArtifact(opts.out, artifact);
  return { artifact, config: cfg, heldOutMse, heldOutVar, seconds: el() };
}
