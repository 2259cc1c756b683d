/**
 * PPO hyper-parameters: one typed config, every field documented with its default (cleanrl style), and
 * per-task defaults built as explicit overrides of the base (never by mutating it). rsl_rl/legged_gym values
 * are the base; where a task departs from them, the comment says why.
 */
import { mergeConfig, type DeepPartial } from '@s2r/sim/env/config.ts';

export interface PpoConfig {
  algo: 'ppo';
  /** Root seed: network init, action noise, minibatch order and the envs all derive from it. */
  seed: number;
  /** Parallel environments (rsl_rl: 4096 on a GPU; CPU runs use tens). */
  numEnvs: number;
  /** Worker threads stepping the envs (0 = in the main thread). */
  workers: number;
  /** Stop after this many env steps (samples); 0 = no limit. */
  totalSteps: number;
  /** Stop after this many wall-clock minutes; 0 = no limit. */
  maxMinutes: number;

  /** Steps per env per iteration (rsl_rl num_steps_per_env: 24). */
  stepsPerEnv: number;
  /**
   * How many policy versions the collecting policy may trail the learner by. 0: collect, then update, one after
   * the other (rsl_rl). 1: collect iteration k+1 with policy k on the env worker threads while the main thread runs
   * the update of iteration k, one minibatch per env step; the update corrects the lag (decoupled PPO, loss.ts).
   * Same seed → same result whatever the worker count, either way.
   */
  maxPolicyLag: number;
  /**
   * Gradient shards per minibatch (1 = the whole minibatch in one pass). With K > 1 each minibatch's gradient is
   * the fixed-order sum of K row shards, so the result depends on K, never on updateThreads.
   */
  gradShards: number;
  /** Threads computing the shards, the main thread included (1 = main only). Needs gradShards > 1 to matter. */
  updateThreads: number;
  /** Passes over each rollout (rsl_rl: 5). */
  numEpochs: number;
  /** Minibatches per epoch (rsl_rl: 4). */
  numMinibatches: number;

  /** Hidden layer widths (rsl_rl: [512, 256, 128]). */
  actorHidden: number[];
  criticHidden: number[];
  activation: 'elu' | 'tanh' | 'relu';
  /** Initial action standard deviation (rsl_rl init_noise_std: 1.0). */
  initStd: number;
  /** Feed the task's privileged observations to the critic too (asymmetric actor-critic). */
  asymmetricCritic: boolean;

  /** Adam learning rate (rsl_rl: 1e-3). */
  learningRate: number;
  /**
   * The critic's own fixed Adam LR; 0 = it shares learningRate (and its adaptation), as rsl_rl. A small, KL-guarded
   * actor LR (residual RL) would otherwise starve the value fit.
   */
  criticLearningRate: number;
  /** 'adaptive': lr ×/÷ 1.5 to keep the KL near desiredKl (rsl_rl default); 'fixed': constant. */
  schedule: 'adaptive' | 'fixed';
  desiredKl: number;
  /**
   * KL guard: end an update's epochs early when a minibatch's KL to the rollout policy, measured before its step,
   * exceeds this (that step is not taken); 0 = off. Keeps one bad update (a cold start, a too-large LR) from
   * moving the policy far; SB3's target_kl.
   */
  klStop: number;
  lrMin: number;
  lrMax: number;
  /** Surrogate clip ε (0.2). */
  clip: number;
  /** Clip the value update to ±clip around the old value (rsl_rl use_clipped_value_loss). */
  clipValueLoss: boolean;
  /** Value loss coefficient (rsl_rl: 1.0). */
  valueCoef: number;
  /** Entropy bonus coefficient (rsl_rl: 0.01). */
  entropyCoef: number;
  /** Discount γ (0.99) and GAE λ (0.95). */
  gamma: number;
  lam: number;
  /** Global gradient-norm clip (1.0). */
  maxGradNorm: number;
  /** Normalize advantages over the whole rollout (rsl_rl: yes). */
  normalizeAdvantages: boolean;

  /** Running mean/var observation normalization, shipped in the artifact. */
  normalizeObs: boolean;
  /** Normalized observations are clipped to ±obsClip. */
  obsClip: number;
  /** Actions sent to the env are clipped to ±actionClip (and to the task's action bounds). */
  actionClip: number;

  /**
   * Rollout inference path: 'js' (plain Float32Array MLP, the deployed runtime), 'tfjs' (batched on the tfjs
   * backend), or 'auto' (time both on the actual network and env count at start, keep the faster). The two paths
   * round differently, so 'auto' makes a run depend on machine load and JIT warmth: same seed, different
   * artifacts (it made trainResidual with ≥ 7 envs differ between two runs in one process). Opt-in only.
   */
  rolloutInference: 'auto' | 'js' | 'tfjs';

  /** Save a checkpoint every N iterations (and at the end, and on Ctrl-C). */
  checkpointEvery: number;
  /** Keep the newest N periodic checkpoints (0 = all). */
  keepCheckpoints: number;
  /** Task overrides passed to the env (`load(task, envOverrides)`), e.g. {"episodeLengthS": 10}. */
  envOverrides: Record<string, unknown>;
}

/** Base defaults (rsl_rl / legged_gym values unless noted). */
export function basePpoConfig(): PpoConfig {
  return {
    algo: 'ppo',
    seed: 1,
    numEnvs: 64,
    workers: 2,
    totalSteps: 0,
    maxMinutes: 0,
    stepsPerEnv: 24,
    maxPolicyLag: 0,
    gradShards: 1,
    updateThreads: 1,
    numEpochs: 5,
    numMinibatches: 4,
    actorHidden: [512, 256, 128],
    criticHidden: [512, 256, 128],
    activation: 'elu',
    initStd: 1.0,
    asymmetricCritic: true,
    learningRate: 1e-3,
    criticLearningRate: 0,
    schedule: 'adaptive',
    desiredKl: 0.01,
    klStop: 0,
    lrMin: 1e-5,
    lrMax: 1e-2,
    clip: 0.2,
    clipValueLoss: true,
    valueCoef: 1.0,
    entropyCoef: 0.01,
    gamma: 0.99,
    lam: 0.95,
    maxGradNorm: 1.0,
    normalizeAdvantages: true,
    normalizeObs: true,
    obsClip: 5,
    actionClip: 100,
    rolloutInference: 'js',
    checkpointEvery: 50,
    keepCheckpoints: 3,
    envOverrides: {},
  };
}

/**
 * Per-task departures from the base. Why each one:
 * - cartpole: tiny problem; small nets and a short rollout learn it in seconds, which keeps `npm test` fast.
 * - go1-*: 2 CPU cores instead of a GPU. With [512,256,128] the network update, not physics, would dominate
 *   the wall clock, so the nets are [256,128,64] and there are 4 epochs instead of 5.
 * - z1-push: manipulation; no privileged critic by default so the residual/diffusion pipelines compare fairly.
 */
export const TASK_PPO_DEFAULTS: Record<string, DeepPartial<PpoConfig>> = {
  cartpole: {
    numEnvs: 16,
    workers: 0,
    stepsPerEnv: 32,
    numEpochs: 5,
    numMinibatches: 4,
    actorHidden: [32, 32],
    criticHidden: [32, 32],
    activation: 'tanh',
    initStd: 1.0,
    learningRate: 3e-3,
    entropyCoef: 0.0,
    totalSteps: 100_000,
    checkpointEvery: 20,
  },
  'go1-flat': {
    // 128 envs × 24 steps = 3,072 samples per iteration, 4 epochs × 4 minibatches of 768 (rsl_rl's shape at 1/32
    // of its envs). On a quiet 2-core machine collect and update took about half an iteration each (bench:train,
    // collect_share 0.47–0.51, 3,864 steps/s); not re-tuned this round, there being no quiet machine to measure on.
    numEnvs: 128,
    workers: 2,
    stepsPerEnv: 24,
    numEpochs: 4,
    numMinibatches: 4,
    actorHidden: [256, 128, 64],
    criticHidden: [256, 128, 64],
    // KL target 0.02 and LR floor 1e-4 instead of rsl_rl's 0.01 / 1e-5: with those, bench:train (40 min, 9.27M
    // steps) never walked — the adaptive LR sat at its 1e-5 floor and the velocity error stayed at 0.75 m/s; with
    // these it walked in 22.1 min (4.5M steps). rsl_rl's values assume 4096 envs, whose KL estimate is far less
    // noisy than 3,072 samples' and rarely trips the ÷1.5 branch.
    desiredKl: 0.02,
    lrMin: 1e-4,
    // The update's minibatch gradient in 4 fixed shards on 2 threads: the env workers idle during the update, so
    // the second core takes half of it, and the learning is the same (the shard count, not the thread count, fixes
    // the result; vs 1 shard it differs only in float rounding). bench:pipeline on this machine under load 14–29
    // (3 runs): env steps/s ×1.16–1.72 vs serial; the main thread's CPU per iteration 523–545 vs 780–848 ms; CPU per
    // env step within ±5%. Overlap (maxPolicyLag 1) measured ×0.77–1.55 on the same runs and changes what is learnt
    // (one-version-old data): off by default until a quiet machine's bench:pipeline and bench:train say otherwise.
    gradShards: 4,
    updateThreads: 2,
    // The joystick recipe the committed policy was meant to have, in one stage: vx −0.5…1.0 m/s, vy ±0.4 m/s,
    // yaw rate ±0.8 rad/s (the task's own ±1 ranges include commands the Go1 cannot track at 50 Hz with Kp 20).
    // Default DR, pushes included, stays on (the task's dr defaults).
    envOverrides: { commands: { linVelX: [-0.5, 1.0], linVelY: [-0.4, 0.4], angVelYaw: [-0.8, 0.8] } },
    // σ 0.5 instead of 1.0 (and half the entropy bonus): with target = default + 0.25·a, σ = 1 flails the legs and
    // most early episodes end in falls. Measured here at 7 min of training: mean episode 927 steps and return 7.2
    // with σ 0.5, vs ~250 steps and 0.2 with σ 1.0.
    initStd: 0.5,
    entropyCoef: 0.005,
    totalSteps: 0,
    maxMinutes: 30,
  },
  'go1-rough': {
    numEnvs: 128,
    workers: 2,
    gradShards: 4,
    updateThreads: 2,
    initStd: 0.5,
    entropyCoef: 0.005,
    actorHidden: [256, 128, 64],
    criticHidden: [256, 128, 64],
    maxMinutes: 60,
  },
  'z1-push': {
    numEnvs: 32,
    workers: 2,
    actorHidden: [256, 256],
    criticHidden: [256, 256],
    asymmetricCritic: false,
    totalSteps: 2_000_000,
  },
};

/** The defaults for a task (base + its departures). Unknown tasks get the base. */
export function defaultPpoConfig(task: string): PpoConfig {
  // envOverrides is free-form (the env validates it), so it is copied, not merged key-checked against the base's {}.
  const { envOverrides, ...rest } = (TASK_PPO_DEFAULTS[task] ?? {}) as DeepPartial<PpoConfig>;
  const cfg = mergeConfig<PpoConfig>(basePpoConfig(), rest as DeepPartial<PpoConfig>, 'ppo');
  if (envOverrides) cfg.envOverrides = structuredClone(envOverrides) as Record<string, unknown>;
  return cfg;
}

/**
 * Resolve: task defaults ← config file ← --set overrides ← explicit flags. A key the config does not have is an
 * error naming it; so is a value of the wrong type. `envOverrides` is free-form (the env validates it).
 */
export function resolvePpoConfig(task: string, ...layers: (Record<string, unknown> | undefined)[]): PpoConfig {
  let cfg = defaultPpoConfig(task);
  for (const layer of layers) {
    if (!layer) continue;
    const { envOverrides, ...rest } = layer as { envOverrides?: Record<string, unknown> };
    cfg = mergeConfig<PpoConfig>(cfg, rest as DeepPartial<PpoConfig>, 'ppo');
    if (envOverrides !== undefined) {
      if (typeof envOverrides !== 'object' || envOverrides === null || Array.isArray(envOverrides)) throw new TypeError('ppo.envOverrides: expected an object');
      cfg.envOverrides = deepMergeLoose(cfg.envOverrides, envOverrides);
    }
  }
  validatePpoConfig(cfg);
  return cfg;
}

function deepMergeLoose(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(a);
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    if (cur && typeof cur === 'object' && !Array.isArray(cur) && v && typeof v === 'object' && !Array.isArray(v)) {
      out[k] = deepMergeLoose(cur as Record<string, unknown>, v as Record<string, unknown>);
    } else out[k] = structuredClone(v);
  }
  return out;
}

export function validatePpoConfig(c: PpoConfig): void {
  const bad = (k: string, why: string) => {
    throw new RangeError(`ppo.${k}: ${why}`);
  };
  const posInt = (k: keyof PpoConfig) => {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v <= 0) bad(k, `must be a positive integer, got ${v}`);
  };
  posInt('numEnvs');
  posInt('stepsPerEnv');
  posInt('numEpochs');
  posInt('numMinibatches');
  posInt('checkpointEvery');
  if (!Number.isInteger(c.workers) || c.workers < 0) bad('workers', `must be an integer ≥ 0, got ${c.workers}`);
  if (c.maxPolicyLag !== 0 && c.maxPolicyLag !== 1) bad('maxPolicyLag', `must be 0 (collect, then update) or 1 (overlap them), got ${c.maxPolicyLag}`);
  if ((c.numEnvs * c.stepsPerEnv) % c.numMinibatches !== 0) bad('numMinibatches', `must divide numEnvs×stepsPerEnv = ${c.numEnvs * c.stepsPerEnv}`);
  posInt('gradShards');
  posInt('updateThreads');
  if ((c.numEnvs * c.stepsPerEnv) % (c.numMinibatches * c.gradShards) !== 0) bad('gradShards', `must divide the minibatch size numEnvs×stepsPerEnv/numMinibatches = ${(c.numEnvs * c.stepsPerEnv) / c.numMinibatches}`);
  for (const k of ['actorHidden', 'criticHidden'] as const) if (!c[k].every((h) => Number.isInteger(h) && h > 0)) bad(k, 'must list positive integer widths');
  if (!['elu', 'tanh', 'relu'].includes(c.activation)) bad('activation', `must be elu, tanh or relu, got ${c.activation}`);
  if (!['auto', 'js', 'tfjs'].includes(c.rolloutInference)) bad('rolloutInference', `must be auto, js or tfjs, got ${c.rolloutInference}`);
  if (!['adaptive', 'fixed'].includes(c.schedule)) bad('schedule', `must be adaptive or fixed, got ${c.schedule}`);
  if (!(c.gamma > 0 && c.gamma <= 1)) bad('gamma', 'must be in (0, 1]');
  if (!(c.lam >= 0 && c.lam <= 1)) bad('lam', 'must be in [0, 1]');
  if (!(c.learningRate > 0)) bad('learningRate', 'must be > 0');
  if (!(c.criticLearningRate >= 0)) bad('criticLearningRate', 'must be ≥ 0 (0 = learningRate)');
  if (!(c.initStd > 0)) bad('initStd', 'must be > 0');
  if (!(c.clip > 0)) bad('clip', 'must be > 0');
  if (!(c.klStop >= 0)) bad('klStop', `must be ≥ 0 (0 = off), got ${c.klStop}`);
  if (!(c.totalSteps >= 0) || !(c.maxMinutes >= 0)) bad('totalSteps/maxMinutes', 'must be ≥ 0');
}
