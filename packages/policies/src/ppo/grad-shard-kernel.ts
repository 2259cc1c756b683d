/**
 * One PPO gradient shard (see grad-shards.ts): the layout shared with the workers and the pure shard kernel. Its own
 * file so the gradient workers load only this, not the env plumbing the main side imports.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TfMlp } from '../nn/mlp.ts';
import { ppoLoss } from './loss.ts';
import type { Minibatch } from './storage.ts';

/** Loss settings a shard needs (a plain-data subset of PpoConfig, it crosses to the workers). */
export interface ShardLossCfg {
  clip: number;
  clipValueLoss: boolean;
  valueCoef: number;
  entropyCoef: number;
}

export interface ShardLayout {
  /** Minibatch rows, shards, obs/critic/action sizes. */
  B: number;
  K: number;
  D: number;
  C: number;
  A: number;
  actorSizes: number[];
  criticSizes: number[];
  activation: 'elu' | 'tanh' | 'relu';
  /** Parameter count: actor [w0, b0, …], log σ, critic [w0, b0, …], flattened in that order (the optimizer's). */
  P: number;
  loss: ShardLossCfg;
}

export const STATS = 5; // surrogate, valueLoss, entropy, kl, clipFraction
export const SHARD_CTRL = { SEQ: 0, DONE: 1, STOP: 2, ERROR: 3, SIZE: 4 } as const;

export interface ShardSabs {
  ctrl: SharedArrayBuffer;
  params: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  stats: SharedArrayBuffer;
  mb: Record<keyof MinibatchArrays, SharedArrayBuffer>;
}

export type MinibatchArrays = Pick<Minibatch, 'obs' | 'criticObs' | 'actions' | 'values' | 'returns' | 'advantages' | 'logProbs' | 'proxLogProbs' | 'mu' | 'sigma'>;
export const MB_KEYS: (keyof MinibatchArrays)[] = ['obs', 'criticObs', 'actions', 'values', 'returns', 'advantages', 'logProbs', 'proxLogProbs', 'mu', 'sigma'];

export function mlpParamCount(sizes: number[]): number {
  let n = 0;
  for (let i = 0; i + 1 < sizes.length; i++) n += sizes[i]! * sizes[i + 1]! + sizes[i + 1]!;
  return n;
}

/**
 * Gradient of shard k of the minibatch at the given networks (their current variables) and log σ, written to
 * `grad` [P] in optimizer order, and its loss terms to `stats` [STATS]. Pure function of its inputs.
 */
export function shardGradient(L: ShardLayout, actor: TfMlp, critic: TfMlp, logStd: Float32Array, mb: MinibatchArrays, k: number, grad: Float32Array, stats: Float64Array): void {
  const rows = L.B / L.K;
  const f = k * rows;
  const { D, C, A } = L;
  const sub = (x: Float32Array, w: number) => x.subarray(f * w, (f + rows) * w);
  tf.tidy(() => {
    const aActs = actor.forwardTrain(tf.tensor2d(sub(mb.obs, D), [rows, D]));
    const cActs = critic.forwardTrain(tf.tensor2d(sub(mb.criticObs, C), [rows, C]));
    const mu = aActs[aActs.length - 1]!.dataSync();
    const v = cActs[cActs.length - 1]!.dataSync();
    const out = ppoLoss({
      B: rows, A, mu, logStd, values: v,
      actions: sub(mb.actions, A), oldLogProbs: sub(mb.logProbs, 1), proxLogProbs: sub(mb.proxLogProbs, 1), oldValues: sub(mb.values, 1),
      returns: sub(mb.returns, 1), advantages: sub(mb.advantages, 1), oldMu: sub(mb.mu, A), oldSigma: sub(mb.sigma, A),
      ...L.loss, meanOver: L.B, entropy: k === 0,
    });
    stats[0] = out.surrogate;
    stats[1] = out.valueLoss;
    stats[2] = out.entropy;
    stats[3] = out.kl;
    stats[4] = out.clipFraction;
    const gA = actor.backward(aActs, tf.tensor2d(out.dMu, [rows, A])).grads;
    const gC = critic.backward(cActs, tf.tensor2d(out.dValues, [rows, 1])).grads;
    let o = 0;
    for (const g of gA) {
      const d = g.dataSync() as Float32Array;
      grad.set(d, o);
      o += d.length;
    }
    grad.set(out.dLogStd, o);
    o += A;
    for (const g of gC) {
      const d = g.dataSync() as Float32Array;
      grad.set(d, o);
      o += d.length;
    }
  });
}

