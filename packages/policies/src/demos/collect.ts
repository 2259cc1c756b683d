/**
 * Collect demonstrations by rolling out an expert (a scripted planner or a trained teacher policy) with
 * Gaussian action noise. Each row stores the observation, the action executed (expert + noise, clipped to
 * the action bounds) and the expert's clean action at that state: learners imitate the clean action on the
 * noise-perturbed state distribution (DART, Laskey et al. 2017), which teaches recovery from small errors.
 *
 * Episode i uses Rng.seed(seed).split('episode').split(i), so the set is the same whatever order or process.
 */
import { Rng } from '@s2r/core';
import type { Env } from '@s2r/sim/env/types.ts';
import { computeStats, rowsOf, type DemoDataset, type DemoMeta, type EpisodeEntry } from './dataset.ts';
import { saveDemos } from './store.ts';

/** An expert: stateful per episode; `reset` gets the env (scripted planners may read task state through it). */
export interface Expert {
  readonly name: string;
  reset(env: Env, rng: Rng): void;
  act(obs: Float32Array, env: Env): ArrayLike<number>;
}

/** Wrap any policy with reset()/act(obs) (a PPO teacher, BC, diffusion, residual) as an expert. */
export function policyExpert(name: string, p: { reset(): void; act(obs: ArrayLike<number>): ArrayLike<number> }): Expert {
  return { name, reset: () => p.reset(), act: (obs) => p.act(obs) };
}

export interface CollectOptions {
  task: string;
  makeEnv: () => Env | Promise<Env>;
  expert: Expert;
  episodes: number;
  /** Gaussian σ added to the executed action, in action units. */
  noise: number;
  seed: number;
  /** Folder to write (index.json + columns); optional. */
  out?: string;
  /** Safety cap on steps per episode (default: the env's maxEpisodeSteps). */
  maxSteps?: number;
  onEpisode?: (e: EpisodeEntry) => void;
  /** Default pose / gains of the task, recorded in the index so trained artifacts carry them. */
  control?: DemoMeta['control'];
}

export async function collectDemos(opts: CollectOptions): Promise<DemoDataset> {
  if (!(Number.isInteger(opts.episodes) && opts.episodes >= 1)) throw new RangeError(`collectDemos: episodes must be a positive integer, got ${opts.episodes}`);
  if (!(opts.noise >= 0)) throw new RangeError(`collectDemos: noise must be ≥ 0, got ${opts.noise}`);
  const env = await opts.makeEnv();
  try {
    const O = env.observationSpec.size;
    const A = env.actionSpec.size;
    const { low, high } = env.actionSpec;
    const cap = opts.maxSteps ?? env.maxEpisodeSteps;
    const obs: number[] = [];
    const action: number[] = [];
    const expertAction: number[] = [];
    const reward: number[] = [];
    const terminated: number[] = [];
    const truncated: number[] = [];
    const episode: number[] = [];
    const step: number[] = [];
    const episodes: EpisodeEntry[] = [];
    const root = Rng.seed(opts.seed).split('episode');
    const exec = new Float32Array(A);
    for (let i = 0; i < opts.episodes; i++) {
      const er = root.split(i);
      const noise = er.split('noise');
      let { obs: o } = env.reset(er.split('env'));
      opts.expert.reset(env, er.split('expert'));
      const start = episode.length;
      let ret = 0;
      let success = false;
      let term = false;
      for (let t = 0; t < cap; t++) {
        const a = opts.expert.act(o, env);
        if (a.length !== A) throw new Error(`collectDemos: expert "${opts.expert.name}" returned ${a.length} actions, the task has ${A}`);
        for (let j = 0; j < A; j++) {
          if (!Number.isFinite(a[j]!)) throw new Error(`collectDemos: expert "${opts.expert.name}" returned a non-finite action (episode ${i}, step ${t}, dim ${j})`);
          exec[j] = Math.min(high, Math.max(low, a[j]! + (opts.noise > 0 ? noise.normal(0, opts.noise) : 0)));
        }
        for (let j = 0; j < O; j++) obs.push(o[j]!);
        for (let j = 0; j < A; j++) {
          action.push(exec[j]!);
          expertAction.push(a[j]!);
        }
        const r = env.step(exec);
        ret += r.reward;
        if (r.info.success === true) success = true;
        const last = r.terminated || r.truncated || t === cap - 1;
        reward.push(r.reward);
        terminated.push(r.terminated ? 1 : 0);
        truncated.push(!r.terminated && last ? 1 : 0);
        episode.push(i);
        step.push(t);
        o = r.obs;
        if (last) {
          term = r.terminated;
          break;
        }
      }
      const e: EpisodeEntry = { index: i, start, length: episode.length - start, success, return: ret, terminated: term };
      episodes.push(e);
      opts.onEpisode?.(e);
    }
    const obsA = new Float32Array(obs);
    const expA = new Float32Array(expertAction);
    const good = episodes.filter((e) => e.success);
    const d: DemoDataset = {
      meta: {
        task: opts.task,
        expert: opts.expert.name,
        noise: opts.noise,
        seed: opts.seed,
        dt: env.dt,
        obsDim: O,
        actDim: A,
        observationSpec: env.observationSpec,
        actionSpec: env.actionSpec,
        createdAt: new Date().toISOString(),
        ...(opts.control ? { control: opts.control } : {}),
      },
      episodes,
      obs: obsA,
      action: new Float32Array(action),
      expertAction: expA,
      reward: new Float32Array(reward),
      terminated: new Uint8Array(terminated),
      truncated: new Uint8Array(truncated),
      episode: new Int32Array(episode),
      step: new Int32Array(step),
      stats: computeStats(obsA, expA, O, A, good.length > 0 ? rowsOf(good) : undefined),
    };
    if (opts.out) saveDemos(opts.out, d);
    return d;
  } finally {
    env.close();
  }
}
