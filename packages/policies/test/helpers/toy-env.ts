/**
 * A tiny VecEnv for trainer tests that must not depend on physics: a 1-D point that should sit on a target.
 * obs = [x − target, v], action = acceleration command a ∈ [−1, 1]; x' = x + v·dt, v' = 0.9·v + a·dt·5.
 * reward = 1 − |x − target| per step (max 1), terminated when |x − target| > 2, truncated after `maxSteps`.
 * The privileged group exposes the target itself (for the asymmetric critic path).
 * All randomness comes from the seeded Rng, per env stream.
 */
import { Rng } from '@s2r/core';
import type { ActionSpec, EpisodeStats, SpaceSpec, VecEnv } from '@s2r/sim/env/types.ts';
import type { DeployFacts } from '@s2r/core';

/** The toy env's deploy facts (it is not a registered task): one unbounded 'push' effort, no gains. */
export const TOY_DEPLOY: DeployFacts = {
  task: 'toy',
  jointNames: ['push'],
  defaultJointPos: [0],
  kp: [0],
  kd: [0],
  controlDt: 0.1,
  physicsDt: 0.1,
  observationSpec: { size: 2, terms: [{ name: 'offset', size: 1, unit: 'm' }, { name: 'vel', size: 1, unit: 'm/s' }] },
  pipeline: { mode: 'torque', joints: ['push'], low: -1, high: 1, scale: 1, offset: [0], lower: [null], upper: [null], maxRate: [null], substepDt: 0.1 },
};

export class ToyVecEnv implements VecEnv {
  readonly observationSpec: SpaceSpec = {
    size: 2,
    terms: [
      { name: 'offset', size: 1, unit: 'm' },
      { name: 'vel', size: 1, unit: 'm/s' },
    ],
  };
  readonly privilegedSpec: SpaceSpec = { size: 1, terms: [{ name: 'target', size: 1, unit: 'm' }] };
  readonly actionSpec: ActionSpec = { size: 1, joints: ['push'], low: -1, high: 1, mode: 'torque', scale: 1, unit: '1' };
  readonly dt = 0.1;
  readonly obs: Float32Array;
  readonly privileged: Float32Array;
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly config = { toy: true };
  private x: Float64Array;
  private v: Float64Array;
  private target: Float64Array;
  private t: Int32Array;
  private ret: Float64Array;
  private rngs: Rng[] = [];
  closed = false;

  constructor(
    readonly numEnvs: number,
    private seed = 0,
    readonly maxEpisodeSteps = 50,
  ) {
    const N = numEnvs;
    this.obs = new Float32Array(N * 2);
    this.privileged = new Float32Array(N);
    this.rewards = new Float32Array(N);
    this.terminated = new Uint8Array(N);
    this.truncated = new Uint8Array(N);
    this.x = new Float64Array(N);
    this.v = new Float64Array(N);
    this.target = new Float64Array(N);
    this.t = new Int32Array(N);
    this.ret = new Float64Array(N);
    void this.reset(seed);
  }

  private resetOne(i: number): void {
    const r = this.rngs[i]!;
    this.x[i] = r.uniform(-1, 1);
    this.v[i] = 0;
    this.target[i] = r.uniform(-1, 1);
    this.t[i] = 0;
    this.ret[i] = 0;
    this.write(i);
  }

  private write(i: number): void {
    this.obs[2 * i] = this.x[i]! - this.target[i]!;
    this.obs[2 * i + 1] = this.v[i]!;
    this.privileged[i] = this.target[i]!;
  }

  async reset(seed?: number): Promise<void> {
    if (seed !== undefined) this.seed = seed;
    const root = Rng.seed(this.seed);
    this.rngs = Array.from({ length: this.numEnvs }, (_, i) => root.split(i));
    for (let i = 0; i < this.numEnvs; i++) this.resetOne(i);
  }

  async step(actions: Float32Array): Promise<EpisodeStats[]> {
    const out: EpisodeStats[] = [];
    for (let i = 0; i < this.numEnvs; i++) {
      const a = Math.max(-1, Math.min(1, actions[i]!));
      this.v[i] = 0.9 * this.v[i]! + a * this.dt * 5;
      this.x[i] = this.x[i]! + this.v[i]! * this.dt;
      this.t[i]!++;
      const err = Math.abs(this.x[i]! - this.target[i]!);
      const r = 1 - err;
      this.rewards[i] = r;
      this.ret[i] = this.ret[i]! + r;
      const term = err > 2;
      const trunc = !term && this.t[i]! >= this.maxEpisodeSteps;
      this.terminated[i] = term ? 1 : 0;
      this.truncated[i] = trunc ? 1 : 0;
      if (term || trunc) {
        out.push({ env: i, return: this.ret[i]!, length: this.t[i]!, terms: { track: this.ret[i]! }, terminated: term, truncated: trunc, success: trunc });
        this.resetOne(i);
      } else this.write(i);
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
