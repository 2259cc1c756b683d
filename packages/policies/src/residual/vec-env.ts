/**
 * The residual RL view of a task (ResiP): a VecEnv whose observation is [obs, a_base] and whose action is
 * the residual r ∈ [−1, 1]^A. Each env owns a frozen base policy instance (its own history / chunk queue);
 * the base acts per step through `act()` (chunked bases re-plan every `execute` steps, as deployed), and
 *   a = clip(a_base + bound ⊙ clip(r, −1, 1), low, high),   bound = scale · (high − low)/2.
 * Base actions are computed as soon as an observation is known (after reset, after each step and after
 * auto-reset), so PPO sees the base action it is correcting.
 */
import type { ActionSpec, EpisodeStats, SpaceSpec, VecEnv } from '@s2r/sim/env/types.ts';
import type { Policy } from '../policy.ts';

/**
 * Per-dimension residual bound = scale × half-range. The range is the base's demonstrated action range
 * (its min-max action normalizer, i.e. ResiP's normalized action space) when it has one, else the action
 * spec's bounds. A spec range like ±6 would make "0.1 of the range" far larger than anything the expert does.
 */
export function residualBound(spec: ActionSpec, scale: number, range?: { min: number[]; max: number[] }): number[] {
  if (!(scale > 0)) throw new RangeError(`residual scale must be > 0 (fraction of the action half-range), got ${scale}`);
  if (range) {
    if (range.min.length !== spec.size || range.max.length !== spec.size) throw new Error(`residual: action range has ${range.min.length} entries, action size is ${spec.size}`);
    return range.min.map((lo, j) => (scale * (range.max[j]! - lo)) / 2);
  }
  if (!Number.isFinite(spec.low) || !Number.isFinite(spec.high)) throw new Error(`residual: the action spec needs finite bounds to scale the residual (got [${spec.low}, ${spec.high}])`);
  return Array.from({ length: spec.size }, () => (scale * (spec.high - spec.low)) / 2);
}

/** a = clip(base + bound ⊙ clip(r, −1, 1), low, high), written into out. */
export function composeAction(base: ArrayLike<number>, r: ArrayLike<number>, rOff: number, bound: ArrayLike<number>, low: number, high: number, out: Float32Array, off = 0): void {
  for (let j = 0; j < bound.length; j++) {
    let rr = r[rOff + j]!;
    if (!(rr <= 1)) rr = rr > 1 ? 1 : 0; // NaN → 0: a broken residual never moves the base action
    else if (rr < -1) rr = -1;
    const a = base[j]! + bound[j]! * rr;
    out[off + j] = a < low ? low : a > high ? high : a;
  }
}

export class ResidualVecEnv implements VecEnv {
  readonly numEnvs: number;
  readonly observationSpec: SpaceSpec;
  readonly privilegedSpec: SpaceSpec | null;
  readonly actionSpec: ActionSpec;
  readonly dt: number;
  readonly maxEpisodeSteps: number;
  readonly obs: Float32Array;
  readonly bound: number[];
  /** [N×A] base action for the current observation. */
  readonly baseActions: Float32Array;
  private readonly finalActions: Float32Array;

  constructor(readonly inner: VecEnv, readonly bases: Policy[], scale: number, range?: { min: number[]; max: number[] }) {
    if (bases.length !== inner.numEnvs) throw new Error(`ResidualVecEnv: ${bases.length} base policies for ${inner.numEnvs} envs`);
    const O = inner.observationSpec.size;
    const A = inner.actionSpec.size;
    for (const b of bases) if (b.obsSize !== O || b.actSize !== A) throw new Error(`ResidualVecEnv: base policy is ${b.obsSize}→${b.actSize}, the task is ${O}→${A}`);
    this.numEnvs = inner.numEnvs;
    this.observationSpec = { terms: [...inner.observationSpec.terms, { name: 'base_action', size: A, unit: inner.actionSpec.unit, labels: inner.actionSpec.joints }], size: O + A };
    this.privilegedSpec = inner.privilegedSpec;
    this.actionSpec = { ...inner.actionSpec, low: -1, high: 1, scale: 1, unit: '1 (fraction of the residual bound)' };
    this.dt = inner.dt;
    this.maxEpisodeSteps = inner.maxEpisodeSteps;
    this.obs = new Float32Array(this.numEnvs * (O + A));
    this.bound = residualBound(inner.actionSpec, scale, range);
    this.baseActions = new Float32Array(this.numEnvs * A);
    this.finalActions = new Float32Array(this.numEnvs * A);
  }

  get privileged(): Float32Array {
    return this.inner.privileged;
  }
  get rewards(): Float32Array {
    return this.inner.rewards;
  }
  get terminated(): Uint8Array {
    return this.inner.terminated;
  }
  get truncated(): Uint8Array {
    return this.inner.truncated;
  }

  private refresh(resetAll: boolean): void {
    const O = this.inner.observationSpec.size;
    const A = this.inner.actionSpec.size;
    const io = this.inner.obs;
    for (let i = 0; i < this.numEnvs; i++) {
      if (resetAll || this.inner.terminated[i] || this.inner.truncated[i]) this.bases[i]!.reset();
      const o = io.subarray(i * O, (i + 1) * O);
      const a = this.bases[i]!.act(o);
      this.baseActions.set(a, i * A);
      this.obs.set(o, i * (O + A));
      this.obs.set(a, i * (O + A) + O);
    }
  }

  async reset(seed?: number): Promise<void> {
    await this.inner.reset(seed);
    this.refresh(true);
  }

  async step(residual: Float32Array): Promise<EpisodeStats[]> {
    const A = this.inner.actionSpec.size;
    const { low, high } = this.inner.actionSpec;
    for (let i = 0; i < this.numEnvs; i++) composeAction(this.baseActions.subarray(i * A, (i + 1) * A), residual, i * A, this.bound, low, high, this.finalActions, i * A);
    const stats = await this.inner.step(this.finalActions);
    this.refresh(false);
    return stats;
  }

  async close(): Promise<void> {
    await this.inner.close();
  }
}
