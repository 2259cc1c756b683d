/**
 * Evaluate a policy on its task — one module, one episode loop (`runEpisodes`), two reports:
 *
 * - `evaluatePolicy(policy, opts)` (s2r eval, npm start, training checks): deterministic actions on a VecEnv, a
 *   fixed number of episodes per seed spread evenly over the envs (so short episodes are not over-represented),
 *   and rliable-style statistics (bootstrap CIs, IQM over seeds). Success = the task's own `success` flag when it
 *   has one, else "ended by time-out, not by a termination" (survival: cartpole balanced, the robot did not fall).
 * - `evaluateEpisodes(makeEnv, policy, opts)` (bench:policies, demos): success rate with a Wilson 95% interval per
 *   seed, on one env whose episode e of seed s resets with Rng.seed(s).split('eval').split(e) — the same starts for
 *   every policy, so policies (experts included) are compared on identical task instances.
 *
 * What an episode scores is the task's: return and length from the env, success from the task's flag
 * (`info.success`, or survival when the task has none).
 */
import { Rng } from '@s2r/core';
import type { Env, EpisodeStats, VecEnv } from '@s2r/sim/env/types.ts';
import type { SpaceSpec } from '@s2r/core';
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

/** What the loop drives: a Policy, an expert, anything that acts on one observation. */
export interface ActingPolicy {
  reset(): void;
  act(obs: Float32Array): ArrayLike<number>;
  /** Policies that observe the true state (ONNX layouts with base_lin_vel) read the env's privileged row first. */
  observePrivileged?(row: Float32Array, spec: SpaceSpec | null): void;
}

/** The part of a VecEnv the loop uses (a VecEnv, or one Env on a seed schedule: see scheduledEnv). */
export type EpisodeEnvs = Pick<VecEnv, 'numEnvs' | 'observationSpec' | 'privilegedSpec' | 'actionSpec' | 'maxEpisodeSteps' | 'obs' | 'privileged' | 'rewards' | 'step'>;

export interface EpisodeHooks {
  /**
   * A policy with memory (observation history, action-chunk queue, a residual over a chunked base) is one instance
   * with one state: it drives one env, and is reset at the start of every episode.
   */
  stateful: boolean;
  /** Every episode that ends within its env's quota, in the order they end. */
  onEpisode(e: EpisodeStats): void;
  /** Edit env i's observation before the policy sees it (the command grid writes its joystick command there). */
  observation?(env: number, row: Float32Array): void;
  /** After the policy acted for env i, before the step: per-step metrics of the state the action is taken in. */
  acted?(env: number): void;
  /** Every step, with env 0's view (recording hook). */
  onStep?(s: { t: number; obs: Float32Array; action: Float32Array; reward: number; done: EpisodeStats | null }): void;
  /** Names the run in the error raised when the episodes never finish. */
  what: string;
}

/**
 * The one episode loop: act on every env's observation, step, hand each ended episode to `onEpisode` until env i
 * has finished quota[i] of them. The policy is reset before the first episode and, when stateful, before each
 * following one (never after the last: an expert's reset may draw from its own stream).
 */
export async function runEpisodes(vec: EpisodeEnvs, policy: ActingPolicy, quota: number[], h: EpisodeHooks): Promise<void> {
  const N = vec.numEnvs;
  const D = vec.observationSpec.size;
  const A = vec.actionSpec.size;
  const got = new Array<number>(N).fill(0);
  let remaining = quota.reduce((a, b) => a + b, 0);
  const actions = new Float32Array(N * A);
  const row = new Float32Array(D);
  const P = vec.privileged.length / N;
  const maxSteps = (vec.maxEpisodeSteps + 1) * Math.max(...quota) + 10;
  policy.reset();
  let t = 0;
  while (remaining > 0) {
    for (let i = 0; i < N; i++) {
      row.set(vec.obs.subarray(i * D, i * D + D));
      h.observation?.(i, row);
      policy.observePrivileged?.(vec.privileged.subarray(i * P, i * P + P), vec.privilegedSpec);
      actions.set(policy.act(row), i * A);
      h.acted?.(i);
    }
    const done = await vec.step(actions);
    let done0: EpisodeStats | null = null;
    for (const e of done) {
      if (e.env === 0) done0 = e;
      if (got[e.env]! >= quota[e.env]!) continue;
      got[e.env]!++;
      remaining--;
      h.onEpisode(e);
    }
    if (h.stateful && done.length > 0 && remaining > 0) policy.reset();
    h.onStep?.({ t, obs: vec.obs.subarray(0, D), action: actions.subarray(0, A), reward: vec.rewards[0]!, done: done0 });
    if (++t > maxSteps) throw new Error(`${h.what} did not finish ${quota.reduce((a, b) => a + b, 0)} episodes in ${maxSteps} steps`);
  }
}

export async function evaluatePolicy(policy: Policy, o: EvalOptions = {}): Promise<EvalResult> {
  const task = o.task ?? policy.meta.task;
  const K = o.episodes ?? 20;
  const seeds = o.seeds ?? [1];
  // Stateful policies drive one env (see EpisodeHooks.stateful).
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
      // quota[i]: episodes env i contributes; they sum to K and differ by at most one.
      const quota = Array.from({ length: N }, (_, i) => Math.floor(K / N) + (i < K % N ? 1 : 0));
      await runEpisodes(vec, policy, quota, {
        stateful,
        onEpisode: (e) => episodes.push({ seed, env: e.env, return: e.return, length: e.length, success: e.success ?? (e.truncated && !e.terminated), terms: e.terms }),
        ...(o.onStep ? { onStep: (st) => o.onStep!({ seed, ...st }) } : {}),
        what: `evaluation on seed ${seed}`,
      });
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

// ---------------------------------------------------------------------------------------------------------
// Success rate on a fixed schedule of episode starts (bench:policies, demos)

export interface SuccessEvalResult {
  episodes: number;
  successes: number;
  success: number;
  /** Wilson score 95% interval of the pooled success rate. */
  ci95: [number, number];
  perSeed: { seed: number; success: number; meanReturn: number }[];
  meanReturn: number;
  meanLength: number;
}

/** Wilson score interval (z = 1.96); well behaved at 0% and 100%, unlike the normal approximation. */
export function wilson(successes: number, n: number, z = 1.959964): [number, number] {
  if (n === 0) return [0, 1];
  const p = successes / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, c - h), Math.min(1, c + h)];
}

/**
 * One Env as a one-env EpisodeEnvs whose episode e resets with `start(e)`, for `count` episodes (no reset after
 * the last). An episode ends at termination, truncation or `maxSteps`; it succeeded if the task's `info.success`
 * was true at any step (a task that does not end on success still counts it).
 */
export function scheduledEnv(env: Env, start: (episode: number) => Rng, count: number, maxSteps = env.maxEpisodeSteps): EpisodeEnvs {
  const A = env.actionSpec.size;
  const obs = new Float32Array(env.observationSpec.size);
  const rewards = new Float32Array(1);
  let episode = 0;
  let ret = 0;
  let t = 0;
  let ok = false;
  obs.set(env.reset(start(0)).obs);
  return {
    numEnvs: 1,
    observationSpec: env.observationSpec,
    privilegedSpec: env.privilegedSpec,
    actionSpec: env.actionSpec,
    maxEpisodeSteps: maxSteps,
    obs,
    privileged: new Float32Array(0),
    rewards,
    async step(actions: Float32Array): Promise<EpisodeStats[]> {
      const res = env.step(actions.subarray(0, A));
      ret += res.reward;
      rewards[0] = res.reward;
      if (res.info.success === true) ok = true;
      obs.set(res.obs);
      t++;
      if (!(res.terminated || res.truncated || t >= maxSteps)) return [];
      const e: EpisodeStats = { env: 0, return: ret, length: t, terms: {}, success: ok, terminated: res.terminated, truncated: !res.terminated };
      ret = 0;
      t = 0;
      ok = false;
      if (++episode < count) obs.set(env.reset(start(episode)).obs);
      return [e];
    },
  };
}

/**
 * Success rate of `policy` over `episodes` × `seeds` on one env from `makeEnv` (closed after), episode e of seed s
 * starting from Rng.seed(s).split('eval').split(e); Wilson 95% interval over all episodes.
 */
export async function evaluateEpisodes(makeEnv: () => Env | Promise<Env>, policy: ActingPolicy | (() => ActingPolicy), opts: { seeds: number[]; episodes: number; maxSteps?: number }): Promise<SuccessEvalResult> {
  const env = await makeEnv();
  const pol = typeof policy === 'function' ? policy() : policy;
  const all: EpisodeStats[] = [];
  const perSeed: SuccessEvalResult['perSeed'] = [];
  try {
    for (const seed of opts.seeds) {
      const eps: EpisodeStats[] = [];
      const vec = scheduledEnv(env, (e) => Rng.seed(seed).split('eval').split(e), opts.episodes, opts.maxSteps);
      await runEpisodes(vec, pol, [opts.episodes], { stateful: true, onEpisode: (e) => eps.push(e), what: `evaluation on seed ${seed}` });
      let s = 0;
      let r = 0;
      for (const e of eps) {
        r += e.return;
        if (e.success) s++;
      }
      perSeed.push({ seed, success: s / opts.episodes, meanReturn: r / opts.episodes });
      all.push(...eps);
    }
  } finally {
    env.close();
  }
  const n = all.length;
  let succ = 0;
  let retSum = 0;
  let lenSum = 0;
  for (const e of all) {
    if (e.success) succ++;
    retSum += e.return;
    lenSum += e.length;
  }
  return { episodes: n, successes: succ, success: n ? succ / n : 0, ci95: wilson(succ, n), perSeed, meanReturn: retSum / n, meanLength: lenSum / n };
}
