/**
 * Residual RL (ResiP, Ankile et al. 2024; residual policy learning, Silver et al. 2018): PPO trains a Gaussian
 * MLP residual on top of a frozen base, through the PPO engineer's `PPO` class (ppo/ppo.ts) on a
 * ResidualVecEnv. The residual sees [obs, a_base], its output is clipped to [−1, 1] and scaled to
 * `scale` × the action half-range. The last layer starts at gain 0.01 (PPO's actor init), so training starts
 * from the base policy's behaviour.
 */
import type { PolicyControl } from '@s2r/core';
import { Rng } from '@s2r/core';
import type { VecEnv } from '@s2r/sim/env/types.ts';
import { mergeConfig, type DeepPartial } from '@s2r/sim/env/config.ts';
import { initBackend } from '../backend.ts';
import { readArtifact, saveArtifact, specHash, type PolicyArtifact } from '../artifact.ts';
import { PPO } from '../ppo/ppo.ts';
import { basePpoConfig, validatePpoConfig, type PpoConfig } from '../ppo/config.ts';
import { baseActionRange, basePolicyFromArtifact } from './base.ts';
import { ResidualVecEnv } from './vec-env.ts';
import { makeResidualArtifact } from './artifact.ts';

export interface ResidualTrainConfig {
  /** Residual bound as a fraction of the action half-range (ResiP: 0.1 in normalized action units). */
  scale: number;
  /** Env steps to train for (all envs together). */
  totalSteps: number;
  /** PPO hyper-parameters for the residual (overrides of RESIDUAL_PPO_DEFAULTS). */
  ppo: DeepPartial<PpoConfig>;
  backend?: string;
}

/** Where the residual departs from PPO's base config, and why. */
export const RESIDUAL_PPO_DEFAULTS: DeepPartial<PpoConfig> = {
  numEnvs: 32,
  workers: 2,
  stepsPerEnv: 32,
  numEpochs: 5,
  numMinibatches: 4,
  actorHidden: [256, 256],
  criticHidden: [256, 256],
  activation: 'elu',
  // Residual units are [−1, 1] of the bound. Exploration must stay small: on z1-push, execution noise of
  // 0.05 action units already drops the scripted expert from 99% to ~30% success, and σ 0.5 (0.07 units at
  // scale 0.1) made successes so rare in rollouts that PPO only learned the shaping terms.
  initStd: 0.1,
  asymmetricCritic: false,
  learningRate: 3e-4,
  entropyCoef: 0.0,
  // r is clipped to [−1, 1] by the env wrapper; PPO's clip keeps the stored actions sane.
  actionClip: 1,
};

export const DEFAULT_RESIDUAL_TRAIN: ResidualTrainConfig = { scale: 0.1, totalSteps: 500_000, ppo: {} };

export interface ResidualProgress {
  iteration: number;
  envSteps: number;
  totalSteps: number;
  /** Over the last (up to) 100 finished episodes, null before the first one ends. */
  meanReturn: number | null;
  successRate: number | null;
  /** Episodes finished in this iteration. */
  episodes: number;
  elapsedS: number;
  stats: ReturnType<PPO['update']>;
}

export interface ResidualTrainOptions {
  task: string;
  /** The frozen base: an artifact path or an artifact in memory (diffusion, bc-mlp, PPO mlp). */
  base: string | PolicyArtifact;
  seed?: number;
  config?: Partial<Omit<ResidualTrainConfig, 'ppo'>> & { ppo?: DeepPartial<PpoConfig> };
  /** Use this VecEnv instead of makeVecEnv(task) (tests, custom tasks). It is closed at the end. */
  vecEnv?: VecEnv;
  envOverrides?: Record<string, unknown>;
  control?: Partial<PolicyControl>;
  out?: string;
  onProgress?: (p: ResidualProgress) => void;
  /** Stop early (Ctrl-C): the residual so far is exported. */
  signal?: AbortSignal;
}

export async function trainResidual(opts: ResidualTrainOptions): Promise<{ artifact: PolicyArtifact; config: ResidualTrainConfig & { ppo: PpoConfig }; seconds: number; lastSuccessRate: number | null }> {
  const seed = opts.seed ?? 0;
  const rc = { ...DEFAULT_RESIDUAL_TRAIN, ...opts.config };
  const ppoCfg = mergeConfig<PpoConfig>(mergeConfig<PpoConfig>(basePpoConfig(), RESIDUAL_PPO_DEFAULTS, 'residual.ppo'), (opts.config?.ppo ?? {}) as DeepPartial<PpoConfig>, 'residual.ppo');
  ppoCfg.seed = seed;
  validatePpoConfig(ppoCfg);
  await initBackend(rc.backend, { quiet: true });
  const baseArt = typeof opts.base === 'string' ? await readArtifact(opts.base) : opts.base;
  const rng = Rng.seed(seed);
  const inner = opts.vecEnv ?? (await (await import('@s2r/sim/env/vec-env.ts')).makeVecEnv(opts.task, { numEnvs: ppoCfg.numEnvs, workers: ppoCfg.workers, seed, overrides: opts.envOverrides, print: false }));
  if (inner.numEnvs !== ppoCfg.numEnvs) ppoCfg.numEnvs = inner.numEnvs;
  const N = inner.numEnvs;
  const O = inner.observationSpec.size;
  const A = inner.actionSpec.size;
  const bases = [];
  try {
    if (baseArt.specs.observation.size !== O || baseArt.specs.action.size !== A) throw new Error(`trainResidual: base is ${baseArt.specs.observation.size}→${baseArt.specs.action.size}, task "${opts.task}" is ${O}→${A}`);
    // A base from another task is fine when the observation and action layouts are identical (same spec hash):
    // that is residual adaptation, e.g. a go1-flat walker refined on go1-rough terrain.
    if (baseArt.task !== opts.task && baseArt.specs.hash !== specHash(inner.observationSpec, inner.actionSpec)) {
      throw new Error(`trainResidual: base policy was trained on "${baseArt.task}", whose observation/action layout differs from "${opts.task}" (spec hash ${baseArt.specs.hash} vs ${specHash(inner.observationSpec, inner.actionSpec)})`);
    }
    for (let i = 0; i < N; i++) bases.push(await basePolicyFromArtifact(baseArt, rng.split('base').split(i), 'base policy'));
  } catch (e) {
    await inner.close(); // its worker threads would keep the process alive
    throw e;
  }
  // Scale the residual to the base's demonstrated action range when it has one (diffusion, bc-mlp).
  const range = baseActionRange(baseArt);
  const env = new ResidualVecEnv(inner, bases, rc.scale, range);
  const ppo = new PPO(ppoCfg, { obs: O + A, priv: 0, act: A }, rng.split('ppo'), { low: -1, high: 1 });
  const actions = new Float32Array(N * A);
  const t0 = performance.now();
  let envSteps = 0;
  let it = 0;
  let lastSuccess: number | null = null;
  // Sliding window of the last 100 finished episodes (envs start in sync, so single iterations often end none).
  const recent: { ret: number; success?: boolean }[] = [];
  try {
    await env.reset(seed);
    while (envSteps < rc.totalSteps && !opts.signal?.aborted) {
      let eps = 0;
      for (let t = 0; t < ppoCfg.stepsPerEnv; t++) {
        ppo.act(env.obs, null, actions);
        const ended = await env.step(actions);
        ppo.processEnvStep(env.rewards, env.terminated, env.truncated);
        for (const e of ended) {
          recent.push({ ret: e.return, success: e.success });
          if (recent.length > 100) recent.shift();
          eps++;
        }
      }
      envSteps += N * ppoCfg.stepsPerEnv;
      ppo.computeReturns(env.obs, null);
      const stats = ppo.update();
      it++;
      const withS = recent.filter((r) => r.success !== undefined);
      if (withS.length > 0) lastSuccess = withS.filter((r) => r.success).length / withS.length;
      opts.onProgress?.({
        iteration: it, envSteps, totalSteps: rc.totalSteps,
        meanReturn: recent.length ? recent.reduce((a, r) => a + r.ret, 0) / recent.length : null,
        successRate: withS.length ? lastSuccess : null,
        episodes: eps, elapsedS: (performance.now() - t0) / 1000, stats,
      });
    }
  } finally {
    await env.close();
  }
  const norm = ppo.obsNorm.toData64();
  const layers = ppo.actor.export();
  const logStd = Array.from(ppo.logStdValues);
  ppo.dispose();
  const artifact = makeResidualArtifact({
    task: opts.task,
    observationSpec: baseArt.specs.observation,
    actionSpec: baseArt.specs.action,
    control: { ...baseArt.control, ...opts.control },
    base: baseArt,
    norm: { mean: Float64Array.from(norm.mean), var: Float64Array.from(norm.var), count: norm.count, clip: norm.clip, eps: norm.eps },
    activation: ppoCfg.activation,
    layers,
    logStd,
    scale: rc.scale,
    bound: env.bound,
    training: { algo: 'residual', config: { ...rc, ppo: ppoCfg }, iterations: it, envSteps, lastSuccessRate: lastSuccess },
  });
  if (opts.out) await saveArtifact(opts.out, artifact);
  return { artifact, config: { ...rc, ppo: ppoCfg }, seconds: (performance.now() - t0) / 1000, lastSuccessRate: lastSuccess };
}
