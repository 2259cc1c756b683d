/**
 * PPO the rsl_rl way: act → processEnvStep (×T) → computeReturns → update.
 *
 * Networks: Gaussian MLP actor with a state-independent log σ, MLP critic (optionally on actor obs ⊕ privileged
 * obs). Rollout inference runs on a plain Float32Array copy of the weights (RuntimeMlp, refreshed after each
 * update) or batched on tfjs, whichever measures faster for the network and env count at start
 * (cfg.rolloutInference). The update runs on tfjs with hand-written backward passes (nn/dense.ts) and the
 * analytic loss gradient (ppo/loss.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@s2r/core';
import { TfMlp, initMlp, type MlpLayerData } from '../nn/mlp.ts';
import { Adam, type AdamState } from '../nn/adam.ts';
import { RuntimeMlp } from '../runtime/mlp.ts';
import { RunningNormalizer, type NormalizerData64 } from '../normalizer.ts';
import { RolloutStorage, Minibatch } from './storage.ts';
import { computeGae, standardize } from './gae.ts';
import { ppoLoss } from './loss.ts';
import type { PpoConfig } from './config.ts';
import { GradShards } from './grad-shards.ts';
import { mlpParamCount } from './grad-shard-kernel.ts';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

export interface PpoDims {
  obs: number;
  /** Privileged observation size (0 = none). */
  priv: number;
  act: number;
}

export interface UpdateStats {
  surrogate: number;
  valueLoss: number;
  entropy: number;
  kl: number;
  clipFraction: number;
  gradNorm: number;
  learningRate: number;
  actionStd: number;
  updateMs: number;
  /** Minibatch steps taken (fewer than numEpochs × numMinibatches when the KL guard, cfg.klStop, ended the update). */
  steps: number;
}

/** How one update runs. */
export interface UpdateOptions {
  /** The rollout was collected by the previous policy version (maxPolicyLag 1): see beginUpdate. */
  lagged?: boolean;
  /**
   * Fit the critic only: the actor and log σ get no gradient (their Adam moments stay as they were) and the LR is
   * not adapted. A critic warm-up before any actor update (residual RL on a strong base: a cold value function's
   * advantages are noise, and the actor would follow them away from the base).
   */
  criticOnly?: boolean;
}

export interface PpoState {
  actor: MlpLayerData[];
  critic: MlpLayerData[];
  logStd: Float32Array;
  adam: AdamState;
  obsNorm: NormalizerData64;
  criticNorm: NormalizerData64 | null;
  rng: { noise: number[]; minibatch: number[] };
}

export class PPO {
  readonly cfg: PpoConfig;
  readonly dims: PpoDims;
  readonly criticDim: number;
  readonly actor: TfMlp;
  readonly critic: TfMlp;
  readonly logStd: tf.Variable<tf.Rank.R1>;
  readonly opt: Adam;
  readonly obsNorm: RunningNormalizer;
  /** Normalizer of the critic's input when it differs from the actor's (asymmetric critic). */
  readonly criticNorm: RunningNormalizer | null;
  /** The rollout act()/processEnvStep() fill. beginUpdate() swaps it with a spare so the next can fill during an update. */
  storage: RolloutStorage;
  private spare: RolloutStorage;
  actorRt: RuntimeMlp;
  criticRt: RuntimeMlp;
  /** log σ of the current parameters (refreshed after every minibatch step). */
  private logStdJs: Float32Array;
  /** log σ of the rollout policy: frozen with actorRt/criticRt until syncRuntime(), so a lagged rollout is one version. */
  private rolloutLogStd: Float32Array;
  private readonly noiseRng: Rng;
  private readonly mbRng: Rng;
  private readonly low: number;
  private readonly high: number;
  private readonly criticScratch: Float32Array;
  private readonly lastScratch: Float32Array;
  private readonly lastCriticScratch: Float32Array;
  private readonly mb: Minibatch;
  private readonly perm: Uint32Array;
  /** cfg.gradShards > 1: each minibatch's gradient in fixed shards, on cfg.updateThreads threads (startUpdateThreads). */
  readonly shards: GradShards | null;

  constructor(cfg: PpoConfig, dims: PpoDims, rng: Rng, actionBounds: { low: number; high: number } = { low: -Infinity, high: Infinity }) {
    this.cfg = cfg;
    this.dims = dims;
    const asym = cfg.asymmetricCritic && dims.priv > 0;
    this.criticDim = asym ? dims.obs + dims.priv : dims.obs;
    const init = rng.split('init');
    this.actor = new TfMlp(initMlp([dims.obs, ...cfg.actorHidden, dims.act], init.split('actor'), 0.01), cfg.activation, 'actor');
    this.critic = new TfMlp(initMlp([this.criticDim, ...cfg.criticHidden, 1], init.split('critic'), 1.0), cfg.activation, 'critic');
    this.logStdJs = new Float32Array(dims.act).fill(Math.log(cfg.initStd));
    this.logStd = tf.tidy(() => tf.variable(tf.tensor1d(this.logStdJs), true, 'actor/logStd'));
    this.opt = new Adam([...this.actor.variables, this.logStd, ...this.critic.variables], cfg.learningRate);
    if (cfg.criticLearningRate > 0) this.opt.fixedLr = [...this.actor.variables.map(() => null), null, ...this.critic.variables.map(() => cfg.criticLearningRate)];
    this.obsNorm = new RunningNormalizer(dims.obs, cfg.obsClip);
    this.criticNorm = asym ? new RunningNormalizer(this.criticDim, cfg.obsClip) : null;
    if (!cfg.normalizeObs) {
      this.obsNorm.frozen = true;
      if (this.criticNorm) this.criticNorm.frozen = true;
    }
    this.storage = new RolloutStorage(cfg.stepsPerEnv, cfg.numEnvs, dims.obs, this.criticDim, dims.act);
    this.spare = new RolloutStorage(cfg.stepsPerEnv, cfg.numEnvs, dims.obs, this.criticDim, dims.act);
    this.rolloutLogStd = Float32Array.from(this.logStdJs);
    this.actorRt = new RuntimeMlp(this.actor.export(), cfg.activation);
    this.criticRt = new RuntimeMlp(this.critic.export(), cfg.activation);
    this.noiseRng = rng.split('noise');
    this.mbRng = rng.split('minibatch');
    this.low = Math.max(actionBounds.low, -cfg.actionClip);
    this.high = Math.min(actionBounds.high, cfg.actionClip);
    this.criticScratch = new Float32Array(cfg.numEnvs * this.criticDim);
    this.lastScratch = new Float32Array(cfg.numEnvs * dims.obs);
    this.lastCriticScratch = new Float32Array(cfg.numEnvs * this.criticDim);
    this.inferencePath = this.chooseInferencePath();
    const S = cfg.stepsPerEnv * cfg.numEnvs;
    const B = S / cfg.numMinibatches;
    const actorSizes = [dims.obs, ...cfg.actorHidden, dims.act];
    const criticSizes = [this.criticDim, ...cfg.criticHidden, 1];
    this.shards = cfg.gradShards > 1
      ? new GradShards({
          B, K: cfg.gradShards, D: dims.obs, C: this.criticDim, A: dims.act, actorSizes, criticSizes, activation: cfg.activation,
          P: mlpParamCount(actorSizes) + dims.act + mlpParamCount(criticSizes),
          loss: { clip: cfg.clip, clipValueLoss: cfg.clipValueLoss, valueCoef: cfg.valueCoef, entropyCoef: cfg.entropyCoef },
        }, this.storage)
      : null;
    this.mb = this.shards ? this.shards.mb : new Minibatch(B, this.storage);
    this.perm = new Uint32Array(S);
  }

  get actionStd(): Float32Array {
    return this.logStdJs.map(Math.exp);
  }

  get logStdValues(): Float32Array {
    return this.logStdJs;
  }

  /** obs ⊕ priv row by row into `out` ([N×(D+P)]). */
  private concatCritic(obs: Float32Array, priv: Float32Array, N: number, out: Float32Array): void {
    const D = this.dims.obs;
    const P = this.dims.priv;
    const C = D + P;
    for (let i = 0; i < N; i++) {
      out.set(obs.subarray(i * D, i * D + D), i * C);
      out.set(priv.subarray(i * P, i * P + P), i * C + D);
    }
  }

  /**
   * Sample actions for the current step. Reads raw observations [N×D] (and privileged [N×P]), updates the
   * normalizers, records everything in storage, and writes clipped env actions into `envActions` [N×A].
   */
  act(obsRaw: Float32Array, privRaw: Float32Array | null, envActions: Float32Array): void {
    const s = this.storage;
    const N = s.N;
    const D = this.dims.obs;
    const A = this.dims.act;
    const t = s.step;
    if (t >= s.T) throw new Error(`PPO.act: storage is full (${s.T} steps); call update() first`);
    const o = t * N;
    this.obsNorm.update(obsRaw, N);
    const obs = s.obs.subarray(o * D, (o + N) * D);
    this.obsNorm.normalize(obsRaw, N, obs);
    let cobs = obs;
    if (this.criticNorm) {
      if (!privRaw) throw new Error('PPO.act: the asymmetric critic needs privileged observations');
      this.concatCritic(obsRaw, privRaw, N, this.criticScratch);
      this.criticNorm.update(this.criticScratch, N);
      cobs = s.criticObs.subarray(o * this.criticDim, (o + N) * this.criticDim);
      this.criticNorm.normalize(this.criticScratch, N, cobs);
    }
    const mu = this.actorForward(obs, N);
    s.mu.set(mu, o * A);
    s.values.set(this.criticForward(cobs, N), o);
    const ls = this.rolloutLogStd;
    for (let i = 0; i < N; i++) {
      let logp = 0;
      for (let j = 0; j < A; j++) {
        const k = (o + i) * A + j;
        const sig = Math.exp(ls[j]!);
        const eps = this.noiseRng.normal();
        const a = mu[i * A + j]! + sig * eps;
        s.actions[k] = a;
        s.sigma[k] = sig;
        // z = (a − μ)/σ = ε up to float32 rounding of a; recompute from the stored float32 action so log π_old
        // is exactly what the update recomputes.
        const z = (s.actions[k]! - mu[i * A + j]!) / sig;
        logp += -0.5 * z * z - ls[j]! - HALF_LOG_2PI;
        envActions[i * A + j] = a < this.low ? this.low : a > this.high ? this.high : a;
      }
      s.logProbs[o + i] = logp;
    }
  }

  /**
   * Record the env's response to the last act(). Time-outs (truncated, not terminated) bootstrap with
   * γ·V(s_t) added to the reward; `dones` marks both kinds so GAE never crosses an episode boundary.
   */
  processEnvStep(rewards: Float32Array, terminated: Uint8Array, truncated: Uint8Array): void {
    const s = this.storage;
    const N = s.N;
    const o = s.step * N;
    const g = this.cfg.gamma;
    for (let i = 0; i < N; i++) {
      let r = rewards[i]!;
      if (truncated[i] && !terminated[i]) r += g * s.values[o + i]!;
      s.rewards[o + i] = r;
      s.dones[o + i] = terminated[i] || truncated[i] ? 1 : 0;
    }
    s.step++;
  }

  /** Bootstrap from V(s_T), run GAE and (optionally) standardize advantages. */
  computeReturns(lastObsRaw: Float32Array, lastPrivRaw: Float32Array | null): void {
    const s = this.storage;
    if (s.step !== s.T) throw new Error(`PPO.computeReturns: storage holds ${s.step}/${s.T} steps`);
    const N = s.N;
    let cobs = this.obsNorm.normalize(lastObsRaw, N, this.lastScratch);
    if (this.criticNorm) {
      this.concatCritic(lastObsRaw, lastPrivRaw!, N, this.lastCriticScratch);
      cobs = this.criticNorm.normalize(this.lastCriticScratch, N, this.lastCriticScratch);
    }
    const last = Float32Array.from(this.criticForward(cobs, N));
    computeGae(s.rewards, s.values, s.dones, last, s.T, N, this.cfg.gamma, this.cfg.lam, s.advantages, s.returns);
    if (this.cfg.normalizeAdvantages) standardize(s.advantages);
  }

  /** Minibatch epochs over the rollout just collected (all of them, now), then refresh the rollout networks. */
  update(opts: Omit<UpdateOptions, 'lagged'> = {}): UpdateStats {
    const filled = this.storage;
    const job = this.beginUpdate(opts);
    while (job.step());
    const st = job.finish();
    // Hand back the same storage object: callers of the sequential API may hold on to `ppo.storage`.
    this.spare = this.storage;
    this.storage = filled;
    this.syncRuntime();
    return st;
  }

  /**
   * Start the update on the rollout just collected (computeReturns done) and hand act() a fresh storage, so the
   * next rollout can be collected — with the rollout networks as they are, frozen until syncRuntime() — while the
   * caller runs the job's minibatch steps in between (PPO runner with maxPolicyLag 1).
   *
   * `lagged`: the rollout was collected by the previous policy version, not the current parameters. The update then
   * evaluates the current (proximal) policy on it once, clips around that and keeps the behaviour log-probs as the
   * importance weight (decoupled PPO, ppo/loss.ts); the KL of the adaptive LR is measured from the proximal policy
   * too, so the lag does not count as step size. Reads actorRt/criticRt: call syncRuntime() first.
   */
  beginUpdate(opts: UpdateOptions = {}): UpdateJob {
    const s = this.storage;
    if (s.step !== s.T) throw new Error(`PPO.beginUpdate: storage holds ${s.step}/${s.T} steps`);
    if (opts.lagged) this.proximal(s);
    else s.proxLogProbs.set(s.logProbs);
    this.storage = this.spare;
    this.storage.clear();
    this.spare = s;
    return new UpdateJob(this, s, this.mb, this.perm, this.mbRng, opts.criticOnly === true);
  }

  /** μ, σ and log π of the current parameters on a collected rollout (the proximal policy of a lagged update). */
  private proximal(s: RolloutStorage): void {
    const A = this.dims.act;
    const S = s.size;
    const ls = this.rolloutLogStd;
    const mu = this.actorRt.forward(s.obs, S);
    s.mu.set(mu.subarray(0, S * A));
    for (let k = 0; k < S; k++) {
      let logp = 0;
      for (let j = 0; j < A; j++) {
        const sig = Math.exp(ls[j]!);
        s.sigma[k * A + j] = sig;
        const z = (s.actions[k * A + j]! - mu[k * A + j]!) / sig;
        logp += -0.5 * z * z - ls[j]! - HALF_LOG_2PI;
      }
      s.proxLogProbs[k] = logp;
    }
  }

  /**
   * Start the gradient worker threads (cfg.updateThreads − 1 of them; the main thread computes the first share).
   * Without this call the main thread computes every shard: same result, one core.
   */
  async startUpdateThreads(backend: string): Promise<void> {
    if (this.shards && this.cfg.updateThreads > 1) await this.shards.start(this.cfg.updateThreads, backend);
  }

  /** KL-adaptive learning rate (rsl_rl): measured before a minibatch's step, applied to it. */
  private adaptLr(kl: number): void {
    const c = this.cfg;
    if (c.schedule !== 'adaptive') return;
    if (kl > 2 * c.desiredKl) this.opt.lr = Math.max(c.lrMin, this.opt.lr / 1.5);
    else if (kl < c.desiredKl / 2 && kl > 0) this.opt.lr = Math.min(c.lrMax, this.opt.lr * 1.5);
  }

  /**
   * One minibatch gradient step (forward, loss, backward, Adam) on gathered rows; returns the loss terms.
   * criticOnly: the actor's and log σ's gradients are zeroed and the LR is left alone. `applied` is false when the
   * KL guard (cfg.klStop) refused the step: the minibatch's KL, measured before the step, was over the limit.
   */
  minibatchStep(mb: Minibatch, dMu: Float32Array, dValues: Float32Array, dLogStd: Float32Array, criticOnly = false): { surrogate: number; valueLoss: number; entropy: number; kl: number; clipFraction: number; gradNorm: number; applied: boolean } {
    const guard = (kl: number) => {
      if (criticOnly || !(this.cfg.klStop > 0 && kl > this.cfg.klStop)) return false;
      // A refused step still counts as "KL too high" for the adaptive LR. Without it every guarded update would
      // only raise the LR (its first minibatch's KL is ~0, ×1.5) and never lower it: it ran away to lrMax in
      // 10 updates on z1-push.
      if (this.cfg.schedule === 'adaptive') this.opt.lr = Math.max(this.cfg.lrMin, this.opt.lr / 1.5);
      return true;
    };
    if (this.shards) {
      if (mb !== this.shards.mb) throw new Error('PPO.minibatchStep: with gradShards the minibatch must be the shared one (UpdateJob gathers into it)');
      const { grad, stats } = this.shards.compute(this.actor, this.critic, this.logStdJs);
      if (guard(stats.kl)) return { ...stats, gradNorm: 0, applied: false };
      if (criticOnly) grad.fill(0, 0, this.actor.variables.reduce((n, v) => n + v.size, 0) + this.dims.act); // actor, then log σ, then critic (opt.params order)
      else this.adaptLr(stats.kl);
      const vars = this.opt.params;
      const norm = tf.tidy(() => {
        let o = 0;
        const grads = vars.map((v) => {
          const n = v.size;
          const g = tf.tensor(grad.subarray(o, o + n), v.shape);
          o += n;
          return g;
        });
        return this.opt.apply(grads, this.cfg.maxGradNorm);
      });
      const gradNorm = norm.dataSync()[0]!;
      norm.dispose();
      this.logStdJs = this.logStd.dataSync() as Float32Array;
      return { ...stats, gradNorm, applied: true };
    }
    const c = this.cfg;
    const B = mb.size;
    const A = this.dims.act;
    let stats = { surrogate: 0, valueLoss: 0, entropy: 0, kl: 0, clipFraction: 0 };
    let refused = false;
    const norm = tf.tidy(() => {
      const aActs = this.actor.forwardTrain(tf.tensor2d(mb.obs, [B, this.dims.obs]));
      const cActs = this.critic.forwardTrain(tf.tensor2d(mb.criticObs, [B, this.criticDim]));
      const mu = aActs[aActs.length - 1]!.dataSync();
      const v = cActs[cActs.length - 1]!.dataSync();
      const L = ppoLoss(
        {
          B, A, mu, logStd: this.logStdJs, values: v,
          actions: mb.actions, oldLogProbs: mb.logProbs, proxLogProbs: mb.proxLogProbs, oldValues: mb.values, returns: mb.returns, advantages: mb.advantages,
          oldMu: mb.mu, oldSigma: mb.sigma,
          clip: c.clip, clipValueLoss: c.clipValueLoss, valueCoef: c.valueCoef, entropyCoef: c.entropyCoef,
        },
        { dMu, dValues, dLogStd },
      );
      stats = { surrogate: L.surrogate, valueLoss: L.valueLoss, entropy: L.entropy, kl: L.kl, clipFraction: L.clipFraction };
      if (guard(L.kl)) {
        refused = true;
        return tf.scalar(0);
      }
      if (criticOnly) {
        dMu.fill(0);
        dLogStd.fill(0);
      } else this.adaptLr(L.kl);
      const gA = this.actor.backward(aActs, tf.tensor2d(dMu, [B, A])).grads;
      const gC = this.critic.backward(cActs, tf.tensor2d(dValues, [B, 1])).grads;
      return this.opt.apply([...gA, tf.tensor1d(dLogStd), ...gC], c.maxGradNorm);
    });
    const gradNorm = norm.dataSync()[0]!;
    norm.dispose();
    if (refused) return { ...stats, gradNorm: 0, applied: false };
    this.logStdJs = this.logStd.dataSync() as Float32Array;
    return { ...stats, gradNorm, applied: true };
  }

  /** Which path rollout inference takes ('js' or 'tfjs'), decided at construction. */
  inferencePath: 'js' | 'tfjs' = 'js';

  private actorForward(x: Float32Array, rows: number): Float32Array {
    // A lagged rollout must see one frozen version: only the plain-JS copies are frozen (tfjs variables move).
    if (this.inferencePath === 'js' || this.cfg.maxPolicyLag > 0) return this.actorRt.forward(x, rows);
    return tf.tidy(() => this.actor.forward(tf.tensor2d(x, [rows, this.dims.obs])).dataSync() as Float32Array);
  }

  private criticForward(x: Float32Array, rows: number): Float32Array {
    if (this.inferencePath === 'js' || this.cfg.maxPolicyLag > 0) return this.criticRt.forward(x, rows);
    return tf.tidy(() => this.critic.forward(tf.tensor2d(x, [rows, this.criticDim])).dataSync() as Float32Array);
  }

  /** Time both inference paths at the rollout batch size (median of a few calls) and keep the faster. */
  private chooseInferencePath(): 'js' | 'tfjs' {
    if (this.cfg.maxPolicyLag > 0) return 'js';
    if (this.cfg.rolloutInference !== 'auto') return this.cfg.rolloutInference;
    const N = this.cfg.numEnvs;
    const xa = new Float32Array(N * this.dims.obs).fill(0.1);
    const xc = new Float32Array(N * this.criticDim).fill(0.1);
    const time = (path: 'js' | 'tfjs') => {
      this.inferencePath = path;
      const ts: number[] = [];
      for (let i = 0; i < 9; i++) {
        const t0 = performance.now();
        this.actorForward(xa, N);
        this.criticForward(xc, N);
        ts.push(performance.now() - t0);
      }
      return ts.sort((a, b) => a - b)[4]!;
    };
    const js = time('js');
    const tfjs = time('tfjs');
    this.inferenceTiming = { jsMs: js, tfjsMs: tfjs };
    return js <= tfjs ? 'js' : 'tfjs';
  }

  /** Median ms per rollout step (actor + critic) of both paths, when 'auto' measured them. */
  inferenceTiming: { jsMs: number; tfjsMs: number } | null = null;

  /** Refresh the rollout copies of the networks (and σ) from the tfjs variables: act() uses the new version from now on. */
  syncRuntime(): void {
    this.actorRt = new RuntimeMlp(this.actor.export(), this.cfg.activation);
    this.criticRt = new RuntimeMlp(this.critic.export(), this.cfg.activation);
    this.logStdJs = this.logStd.dataSync() as Float32Array;
    this.rolloutLogStd = Float32Array.from(this.logStdJs);
  }

  getState(): PpoState {
    return {
      actor: this.actor.export(),
      critic: this.critic.export(),
      logStd: Float32Array.from(this.logStdJs),
      adam: this.opt.getState(),
      obsNorm: this.obsNorm.toData64(),
      criticNorm: this.criticNorm ? this.criticNorm.toData64() : null,
      rng: { noise: this.noiseRng.getState(), minibatch: this.mbRng.getState() },
    };
  }

  setState(st: PpoState): void {
    this.actor.load(st.actor);
    this.critic.load(st.critic);
    tf.tidy(() => this.logStd.assign(tf.tensor1d(st.logStd)));
    this.opt.setState(st.adam);
    this.obsNorm.load(st.obsNorm);
    if (this.criticNorm) {
      if (!st.criticNorm) throw new Error('checkpoint has no critic normalizer but this config uses an asymmetric critic');
      this.criticNorm.load(st.criticNorm);
    }
    this.noiseRng.setState(st.rng.noise);
    this.mbRng.setState(st.rng.minibatch);
    this.syncRuntime();
  }

  dispose(): void {
    void this.shards?.close();
    this.actor.dispose();
    this.critic.dispose();
    this.logStd.dispose();
    this.opt.dispose();
  }
}

/**
 * One PPO update as resumable minibatch steps: numEpochs × numMinibatches calls of step(), each a full gradient
 * step, in the same order (and with the same minibatch shuffles) whenever and wherever they are interleaved.
 */
export class UpdateJob {
  private epoch = 0;
  private m = 0;
  private n = 0;
  private ms = 0;
  private readonly sum = { surrogate: 0, valueLoss: 0, entropy: 0, kl: 0, clipFraction: 0, gradNorm: 0 };
  /** The refused minibatch's KL when the guard ended the update, else null. */
  private guardKl: number | null = null;
  private readonly dMu: Float32Array;
  private readonly dValues: Float32Array;
  private readonly dLogStd: Float32Array;

  constructor(
    private readonly ppo: PPO,
    private readonly s: RolloutStorage,
    private readonly mb: Minibatch,
    private readonly perm: Uint32Array,
    private readonly mbRng: Rng,
    private readonly criticOnly = false,
  ) {
    const A = ppo.dims.act;
    this.dMu = new Float32Array(mb.size * A);
    this.dValues = new Float32Array(mb.size);
    this.dLogStd = new Float32Array(A);
  }

  get done(): boolean {
    return this.epoch >= this.ppo.cfg.numEpochs;
  }

  /** Run the next minibatch step; false when there was none left. */
  step(): boolean {
    if (this.done) return false;
    const t0 = performance.now();
    const c = this.ppo.cfg;
    const S = this.s.size;
    if (this.m === 0) {
      for (let i = 0; i < S; i++) this.perm[i] = i;
      this.mbRng.shuffle(this.perm);
    }
    this.mb.gather(this.s, this.perm, this.m * this.mb.size);
    const L = this.ppo.minibatchStep(this.mb, this.dMu, this.dValues, this.dLogStd, this.criticOnly);
    if (!L.applied) {
      // KL guard: this step was refused, and so are the rest of the update's. Its KL is reported (the reason).
      this.guardKl = L.kl;
      this.epoch = c.numEpochs;
      this.ms += performance.now() - t0;
      return true;
    }
    for (const k of Object.keys(this.sum) as (keyof typeof this.sum)[]) this.sum[k] += L[k];
    this.n++;
    if (++this.m === c.numMinibatches) {
      this.m = 0;
      this.epoch++;
    }
    this.ms += performance.now() - t0;
    return true;
  }

  /** Mean stats over the steps; the rollout storage is free again. updateMs = time inside step(), summed. */
  finish(): UpdateStats {
    if (!this.done) throw new Error(`UpdateJob.finish: ${this.n} of ${this.ppo.cfg.numEpochs * this.ppo.cfg.numMinibatches} minibatch steps done`);
    // The KL reported is the largest the guard saw when it stopped the update (the limit was crossed), else the mean.
    this.s.clear();
    const n = Math.max(1, this.n);
    const std = this.ppo.actionStd;
    return {
      surrogate: this.sum.surrogate / n,
      valueLoss: this.sum.valueLoss / n,
      entropy: this.sum.entropy / n,
      kl: this.guardKl ?? this.sum.kl / n,
      clipFraction: this.sum.clipFraction / n,
      gradNorm: this.sum.gradNorm / n,
      learningRate: this.ppo.opt.lr,
      actionStd: std.reduce((a, b) => a + b, 0) / std.length,
      updateMs: this.ms,
      steps: this.n,
    };
  }
}
