/**
 * A tiny pure-JS task for the policy tests (no physics, microseconds per step): a point at p ∈ [−1, 1]² must
 * reach a goal g; action = velocity command in [−1, 1]², p += 0.1·a. Success (and termination) when
 * ‖p − g‖ < 0.05; truncation after 40 steps. Reward = −‖p − g‖·0.1 + 1 on success.
 * Plus a scripted expert and a serial VecEnv over such envs with the house auto-reset semantics.
 */
import { Rng } from '@s2r/core';
import type { ActionSpec, Env, EpisodeStats, SpaceSpec, StepResult, VecEnv } from '@s2r/sim/env/types.ts';
import type { Expert } from '../src/demos/collect.ts';

export const TOY_OBS: SpaceSpec = { terms: [{ name: 'pos', size: 2, unit: 'm' }, { name: 'goal', size: 2, unit: 'm' }], size: 4 };
export const TOY_ACT: ActionSpec = { size: 2, joints: ['x', 'y'], low: -1, high: 1, mode: 'position', scale: 0.1, unit: 'm/step' };

export class ToyReach implements Env {
  readonly name = 'toy-reach';
  readonly observationSpec = TOY_OBS;
  readonly privilegedSpec = null;
  readonly actionSpec = TOY_ACT;
  readonly physicsDt = 0.05;
  readonly decimation = 2;
  readonly dt = 0.1;
  readonly maxEpisodeSteps = 40;
  p = [0, 0];
  g = [0, 0];
  t = 0;
  private rng = Rng.seed(0);
  private obs(): Float32Array {
    return Float32Array.from([this.p[0]!, this.p[1]!, this.g[0]!, this.g[1]!]);
  }
  reset(seed?: number | Rng) {
    this.rng = seed instanceof Rng ? seed : Rng.seed(seed ?? 0);
    this.p = [this.rng.uniform(-0.8, 0.8), this.rng.uniform(-0.8, 0.8)];
    this.g = [this.rng.uniform(-0.8, 0.8), this.rng.uniform(-0.8, 0.8)];
    this.t = 0;
    return { obs: this.obs(), info: { rewardTerms: {} } };
  }
  step(a: ArrayLike<number>): StepResult {
    for (let j = 0; j < 2; j++) this.p[j] = Math.max(-1, Math.min(1, this.p[j]! + 0.1 * Math.max(-1, Math.min(1, a[j]!))));
    this.t++;
    const d = Math.hypot(this.p[0]! - this.g[0]!, this.p[1]! - this.g[1]!);
    const success = d < 0.05;
    const reward = -0.1 * d + (success ? 1 : 0);
    return { obs: this.obs(), reward, terminated: success, truncated: !success && this.t >= this.maxEpisodeSteps, info: { rewardTerms: { dist: -0.1 * d, success: success ? 1 : 0 }, success } };
  }
  close(): void {}
}

/** Proportional controller towards the goal, saturated; `bias` shifts every action (a flawed base). */
export function toyExpert(bias = [0, 0], gain = 1): Expert {
  return {
    name: 'scripted',
    reset() {},
    act(obs) {
      return [0, 1].map((j) => Math.max(-1, Math.min(1, (gain * (obs[2 + j]! - obs[j]!)) / 0.1)) + bias[j]!);
    },
  };
}

export class SerialVecEnv implements VecEnv {
  readonly observationSpec = TOY_OBS;
  readonly privilegedSpec = null;
  readonly actionSpec = TOY_ACT;
  readonly dt = 0.1;
  readonly maxEpisodeSteps = 40;
  readonly obs: Float32Array;
  readonly privileged = new Float32Array(0);
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  private envs: ToyReach[];
  private ret: number[];
  private len: number[];
  private episode: number[];
  private seed = 0;
  constructor(readonly numEnvs: number) {
    this.envs = Array.from({ length: numEnvs }, () => new ToyReach());
    this.obs = new Float32Array(numEnvs * 4);
    this.rewards = new Float32Array(numEnvs);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
    this.ret = new Array(numEnvs).fill(0);
    this.len = new Array(numEnvs).fill(0);
    this.episode = new Array(numEnvs).fill(0);
  }
  private rngFor(i: number) {
    return Rng.seed(this.seed).split('env').split(i).split(this.episode[i]!);
  }
  async reset(seed?: number) {
    if (seed !== undefined) this.seed = seed;
    this.envs.forEach((e, i) => {
      this.episode[i] = 0;
      this.obs.set(e.reset(this.rngFor(i)).obs, i * 4);
    });
    this.terminated.fill(0);
    this.truncated.fill(0);
  }
  async step(actions: Float32Array): Promise<EpisodeStats[]> {
    const ended: EpisodeStats[] = [];
    this.envs.forEach((e, i) => {
      const r = e.step(actions.subarray(i * 2, i * 2 + 2));
      this.rewards[i] = r.reward;
      this.terminated[i] = r.terminated ? 1 : 0;
      this.truncated[i] = r.truncated ? 1 : 0;
      this.ret[i]! += r.reward;
      this.len[i]!++;
      let o = r.obs;
      if (r.terminated || r.truncated) {
        ended.push({ env: i, return: this.ret[i]!, length: this.len[i]!, terms: {}, success: r.info.success === true, terminated: r.terminated, truncated: r.truncated });
        this.ret[i] = 0;
        this.len[i] = 0;
        this.episode[i]!++;
        o = e.reset(this.rngFor(i)).obs;
      }
      this.obs.set(o, i * 4);
    });
    return ended;
  }
  async close() {}
}
