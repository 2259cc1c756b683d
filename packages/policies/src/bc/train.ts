/**
 * Behaviour cloning with an MLP (the benchmark's baseline): MSE between the MLP's output and the expert's
 * normalized action, same demonstrations, windows and normalizers as the diffusion policy.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mse } from '../diffusion/tf-ops.ts';
import { Rng } from '@s2r/core';
import { initBackend } from '../backend.ts';
import { TfMlp, initMlp } from '../nn/mlp.ts';
import { sampleBatch } from '../demos/windows.ts';
import { makeBcArtifact } from './artifact.ts';
import { defaultControl } from '../diffusion/artifact.ts';
import { saveArtifact, type PolicyArtifact } from '../artifact.ts';
import { prepareDemos, type DemoTrainOptions } from '../demos/train-options.ts';

/** tfjs variable names are global per engine; each trained MLP gets its own prefix. */
let bcInstance = 0;

export interface BcTrainConfig {
  seed: number;
  obsHistory: number;
  hidden: number[];
  activation: 'elu' | 'relu' | 'tanh';
  iterations: number;
  batchSize: number;
  lr: number;
  successOnly: boolean;
  label: 'expert' | 'executed';
  /** Observation terms zeroed after normalization (e.g. ['last_action'] against copycat imitation). */
  ignoreObsTerms: string[];
  /** 'relative': predict the move from the previous command (demos/action-frame.ts). */
  actionFrame: 'auto' | 'absolute' | 'relative';
  backend?: string;
}

export const DEFAULT_BC_TRAIN: BcTrainConfig = {
  seed: 0,
  obsHistory: 2,
  hidden: [256, 256],
  activation: 'elu',
  iterations: 3000,
  batchSize: 256,
  lr: 1e-3,
  successOnly: true,
  label: 'expert',
  ignoreObsTerms: [],
  actionFrame: 'auto',
};

export type BcTrainOptions = DemoTrainOptions<BcTrainConfig>;

export async function trainBc(opts: BcTrainOptions): Promise<{ artifact: PolicyArtifact; config: BcTrainConfig; finalLoss: number; seconds: number }> {
  const cfg: BcTrainConfig = { ...DEFAULT_BC_TRAIN, ...opts.config };
  await initBackend(cfg.backend, { quiet: true });
  const { d, eps, O, A, on, an, cols, win, frame, actionRange } = prepareDemos('trainBc', opts.demos, cfg, 1);
  const rng = Rng.seed(cfg.seed);
  const mlp = new TfMlp(initMlp([cfg.obsHistory * O, ...cfg.hidden, A], rng.split('init'), 1), cfg.activation, `bc-mlp${bcInstance++}`);
  const opt = tf.train.adam(cfg.lr);
  const B = cfg.batchSize;
  const obsB = new Float32Array(B * cfg.obsHistory * O);
  const actB = new Float32Array(B * A);
  const br = rng.split('batch');
  const t0 = performance.now();
  let last = NaN;
  const every = opts.progressEvery ?? 50;
  let done = 0;
  for (let it = 0; it < cfg.iterations; it++) {
    if (opts.signal?.aborted) break;
    done = it + 1;
    sampleBatch(win, cols, B, br, obsB, actB);
    const lr = cfg.lr * 0.5 * (1 + Math.cos((Math.PI * it) / cfg.iterations));
    (opt as unknown as { learningRate: number }).learningRate = lr;
    const loss = tf.tidy((): tf.Scalar => {
      const x = tf.tensor2d(obsB, [B, cfg.obsHistory * O]);
      const y = tf.tensor2d(actB, [B, A]);
      return opt.minimize(() => mse(mlp.forward(x), y), true, mlp.variables)!;
    });
    if (it % every === 0 || it === cfg.iterations - 1) {
      last = (await loss.data())[0]!;
      if (!Number.isFinite(last)) throw new Error(`trainBc: loss became ${last} at iteration ${it}`);
      opts.onProgress?.({ iteration: it + 1, iterations: cfg.iterations, loss: last, lr, elapsedS: (performance.now() - t0) / 1000 });
    }
    loss.dispose();
  }
  const layers = mlp.export();
  for (const v of mlp.variables) v.dispose();
  opt.dispose();
  const artifact = makeBcArtifact({
    task: d.meta.task,
    observationSpec: d.meta.observationSpec,
    actionSpec: d.meta.actionSpec,
    control: defaultControl(d.meta.actionSpec, d.meta.dt, opts.control ?? d.meta.control),
    obsNormalizer: on,
    actionNormalizer: an,
    actionRange,
    ...(frame ? { actionFrame: frame } : {}),
    rows: win.count,
    obsHistory: cfg.obsHistory,
    activation: cfg.activation,
    layers,
    training: { algo: 'bc-mlp', config: { ...cfg }, demos: typeof opts.demos === 'string' ? opts.demos : '(in memory)', episodesUsed: eps.length, iterations: done, finalLoss: last },
  });
  if (opts.out) await saveArtifact(opts.out, artifact);
  return { artifact, config: cfg, finalLoss: last, seconds: (performance.now() - t0) / 1000 };
}
