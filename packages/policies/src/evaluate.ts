/**
 * Evaluate a Policy on its task: deterministic actions, a fixed number of episodes per seed spread evenly over
 * the envs (so short episodes are not over-represented), and rliable-style statistics (bootstrap CIs, IQM
 * over seeds). Success = the task's own `success` flag when it has one, else "ended by time-out, not by a
 * termination" (survival: cartpole balanced, the robot did not fall).
 */
import { Rng } from '@s2r/core';
import type { EpisodeStats, VecEnv } from '@s2r/sim/env/types.ts';
import type { Policy } from './policy.ts';
import { specHash, describeSpecDiff } from './artifact.ts';
import { iqmStratified, mean, summarize, type Summary } from './stats.ts';

export interface EvalEpisode {
  seed: number;
  env: number;
  return: number;
  length: number;
  success: boolean;
  terms: Record<string, number>;
}

export interface EvalOptions {
  task?: string;
  /** Episodes per seed (default 20). */
  episodes?: number;
  seeds?: number[];
  /** Envs stepped in parallel (default min(episodes, 16)). */
  numEnvs?: number;
  workers?: number;
  envOverrides?: Record<string, unknown>;
  makeVecEnv?: (task: string, o: { numEnvs: number; workers: number; seed: number; overrides: Record<string, unknown> }) => Promise<VecEnv>;
  /** Called on every step with env 0's view (recording hook). */
  onStep?: (s: { seed: number; t: number; obs: Float32Array; action: Float32Array; reward: number; done: EpisodeStats | null }) => void;
}

export interface EvalResult {
  task: string;
  seeds: number[];
  episodesPerSeed: number;
  episodes: EvalEpisode[];
  return: Summary;
  success: Summary;
  length: Summary;
  /** Over ≥ 2 seeds: IQM of episode returns pooled over seeds, CI from the bootstrap stratified by seed. */
  returnIqm: Summary | null;
  /** Mean return per seed. */
  perSeed: { seed: number; meanReturn: number; successRate: number }[];
}

async function defaultMake(task: string, o: { numEnvs: number; workers: number; seed: number; overrides: Record<string, unknown> }): Promise<VecEnv> {
  const mod = (await import('@s2r/sim/env/vec-env.ts')) as { makeVecEnv: (t: string, opts: unknown) => Promise<VecEnv> };
  return mod.makeVecEnv(task, { numEnvs: o.numEnvs, workers: o.workers, seed: o.seed, overrides: o.overrides, print: false });
}

export async function evaluatePolicy(policy: Policy, o: EvalOptions = {}): Promise<EvalResult> {
  const task = o.task ?? policy.meta.task;
  const K = o.episodes ?? 20;
  const seeds = o.seeds ?? [1];
  // A policy with memory (observation history, action-chunk queue, a residual over a chunked base) is one
  // instance with one state: it may only drive one env, and must be reset at every episode boundary.
  const stateful = policy.kind !== 'mlp' || policy.chunk !== undefined;
  const N = stateful ? 1 : Math.max(1, Math.min(o.numEnvs ?? 16, K));
  const make = o.makeVecEnv ?? defaultMake;
  const episodes: EvalEpisode[] = [];
  for (const seed of seeds) {
    const vec = await make(task, { numEnvs: N, workers: o.workers ?? 0, seed, overrides: o.envOverrides ?? {} });
    try {
      const h = specHash(vec.observationSpec, vec.actionSpec);
      // An ONNX policy carries no s2r spec hash (its layout was checked against the robot instead).
      if (policy.kind !== 'onnx' && h !== policy.meta.specHash) {
        throw new Error(
          `policy ${policy.meta.source} does not fit task "${task}": spec hash ${policy.meta.specHash.slice(0, 12)}… vs ${h.slice(0, 12)}… (${describeSpecDiff(policy.meta.observationSpec, policy.meta.actionSpec, vec.observationSpec, vec.actionSpec)})`,
        );
      }
      const D = vec.observationSpec.size;
      const A = vec.actionSpec.size;
      // quota[i]: episodes env i contributes; they sum to K and differ by at most one.
      const quota = Array.from({ length: N }, (_, i) => Math.floor(K / N) + (i < K % N ? 1 : 0));
      const got = new Array<number>(N).fill(0);
      let remaining = K;
      const actions = new Float32Array(N * A);
      const row = new Float32Array(D);
      policy.reset();
      let t = 0;
      const maxSteps = (vec.maxEpisodeSteps + 1) * Math.ceil(K / N) + 10;
      while (remaining > 0) {
        const P = vec.privileged.length / N;
        for (let i = 0; i < N; i++) {
          row.set(vec.obs.subarray(i * D, i * D + D));
          // Policies that observe the true state (ONNX layouts with base_lin_vel) read the privileged group.
          policy.observePrivileged?.(vec.privileged.subarray(i * P, i * P + P), vec.privilegedSpec);
          actions.set(policy.act(row), i * A);
        }
        const done = await vec.step(actions);
        if (stateful && done.length > 0) policy.reset();
        let done0: EpisodeStats | null = null;
        for (const e of done) {
          if (e.env === 0) done0 = e;
          if (got[e.env]! >= quota[e.env]!) continue;
          got[e.env]!++;
          remaining--;
          episodes.push({ seed, env: e.env, return: e.return, length: e.length, success: e.success ?? (e.truncated && !e.terminated), terms: e.terms });
        }
        o.onStep?.({ seed, t, obs: vec.obs.subarray(0, D), action: actions.subarray(0, A), reward: vec.rewards[0]!, done: done0 });
        if (++t > maxSteps) throw new Error(`evaluation on seed ${seed} did not finish ${K} episodes in ${maxSteps} steps`);
      }
    } finally {
      await vec.close();
    }
  }
  const rng = Rng.seed(12345);
  const bySeed = seeds.map((s) => episodes.filter((e) => e.seed === s));
  return {
    task,
    seeds,
    episodesPerSeed: K,
    episodes,
    return: summarize(episodes.map((e) => e.return), rng.split('return')),
    success: summarize(episodes.map((e) => (e.success ? 1 : 0)), rng.split('success')),
    length: summarize(episodes.map((e) => e.length), rng.split('length')),
    returnIqm: seeds.length >= 2 ? iqmStratified(bySeed.map((g) => g.map((e) => e.return)), rng.split('iqm')) : null,
    perSeed: bySeed.map((g, k) => ({ seed: seeds[k]!, meanReturn: mean(g.map((e) => e.return)), successRate: mean(g.map((e) => (e.success ? 1 : 0))) })),
  };
}
