/**
 * The action pipeline: policy output → clip → scale and offset → clamp to limits → rate limit → target.
 * One pure module that the env's action step (every task) and the bridge's controller both run, so a policy meets
 * on the robot exactly the filter it was trained behind.
 *
 * - Position mode: target = offset + scale·a (rad or m), clamped to the joint's position limits, then moved toward
 *   that goal by at most maxRate·substepDt per *physics substep* (rad/s × s). The rate limit lives on the substep
 *   grid whatever the command rate: the env advances it once per physics step, the bridge advances it as many
 *   times as substeps have started since the policy tick (see `substepsDue`).
 * - Torque (effort) mode: command = scale·a (N·m or N), clamped to ±effort limit, no rate limit.
 *
 * Numbers are stored in Float32Array and computed in the same order as the env always did, so the env's
 * observations are bit-identical to before the pipeline was factored out (guarded by a hash test).
 * No allocation after construction.
 */
import type { ActionPipelineSpec } from '../contract/deploy.ts';

/** How often each stage changed something: policy steps for clip and clamp, substeps for the rate limit. */
export interface PipelineLimiting {
  /** Policy steps on which at least one action was outside [low, high]. */
  clip: number;
  /** Policy steps on which at least one position target was clamped to a joint limit. */
  position_limit: number;
  /** Policy steps on which at least one effort command was clamped to its effort limit (torque mode). */
  effort_limit: number;
  /** Substeps on which at least one target moved less than asked because of the rate limit. */
  rate_limit: number;
}

const toF32 = (v: readonly (number | null)[], none: number): Float32Array => Float32Array.from(v, (x) => (x === null ? none : x));

export class ActionPipeline {
  readonly spec: ActionPipelineSpec;
  readonly size: number;
  /** The clamped command the rate limiter moves toward (position mode), or the clamped effort (torque mode). */
  readonly goal: Float32Array;
  /** The output after the rate limit: what the actuator tracks this substep. */
  readonly target: Float32Array;
  readonly counts: PipelineLimiting = { clip: 0, position_limit: 0, effort_limit: 0, rate_limit: 0 };
  private readonly offset: Float32Array;
  private readonly lo: Float32Array;
  private readonly hi: Float32Array;
  /** Max target change per substep (rad or m); Infinity: no rate limit on that joint. */
  private readonly maxStep: Float32Array;
  private readonly rateLimited: boolean;

  constructor(spec: ActionPipelineSpec) {
    checkPipelineSpec(spec);
    this.spec = spec;
    const n = spec.joints.length;
    this.size = n;
    this.goal = new Float32Array(n);
    this.target = new Float32Array(n);
    this.offset = Float32Array.from(spec.offset);
    this.lo = toF32(spec.lower, -Infinity);
    this.hi = toF32(spec.upper, Infinity);
    this.maxStep = Float32Array.from(spec.maxRate, (r) => (r === null ? Infinity : r * spec.substepDt));
    this.rateLimited = spec.mode === 'position' && this.maxStep.some((m) => m < Infinity);
  }

  /** Clip a policy output to the trained bounds into `out` (the clipped action is also the `last_action` observation). */
  clip(a: ArrayLike<number>, out: Float32Array): Float32Array {
    const { low, high } = this.spec;
    let hit = false;
    for (let i = 0; i < this.size; i++) {
      const v = a[i]!;
      if (v < low || v > high) hit = true;
      out[i] = v < low ? low : v > high ? high : v;
    }
    if (hit) this.counts.clip++;
    return out;
  }

  /**
   * Scale, offset and clamp a clipped action into `goal`. `bias` (position mode, optional) is subtracted after the
   * clamp: the sim's encoder-bias DR, whose actuator tracks the *measured* angle, so the true target moves by −bias.
   * On hardware it is absent. Torque mode ignores it.
   */
  command(a: ArrayLike<number>, bias?: ArrayLike<number>): Float32Array {
    const sc = this.spec.scale;
    const lo = this.lo, hi = this.hi, off = this.offset, g = this.goal;
    const position = this.spec.mode === 'position';
    const b = position ? bias : undefined;
    let hit = false;
    for (let i = 0; i < this.size; i++) {
      let q = off[i]! + sc * a[i]!;
      if (q < lo[i]!) {
        q = lo[i]!;
        hit = true;
      } else if (q > hi[i]!) {
        q = hi[i]!;
        hit = true;
      }
      g[i] = b ? q - b[i]! : q;
    }
    if (hit) {
      if (position) this.counts.position_limit++;
      else this.counts.effort_limit++;
    }
    if (!this.rateLimited) this.target.set(g);
    return g;
  }

  /** Start the rate limiter from `from` (the pose the actuator is at: spawn pose, or the soft start's end). */
  reset(from: ArrayLike<number>): void {
    if (from.length !== this.size) throw new RangeError(`action pipeline: reset pose has ${from.length} values, expected ${this.size} (${this.spec.joints.join(', ')})`);
    for (let i = 0; i < this.size; i++) this.target[i] = this.spec.mode === 'position' ? from[i]! : 0;
    this.goal.set(this.target);
  }

  /**
   * One physics substep: move the target toward the goal by at most maxRate·substepDt (without a rate limit the
   * target is the goal, which a caller may have moved, e.g. the bridge's opt-in interpolation). Returns `target`.
   */
  substep(): Float32Array {
    if (!this.rateLimited) {
      this.target.set(this.goal);
      return this.target;
    }
    const cur = this.target, g = this.goal, step = this.maxStep;
    let hit = false;
    for (let i = 0; i < this.size; i++) {
      const m = step[i]!;
      if (m === Infinity) {
        cur[i] = g[i]!;
        continue;
      }
      const d = g[i]! - cur[i]!;
      if (d > m || d < -m) hit = true;
      cur[i] = cur[i]! + (d > m ? m : d < -m ? -m : d);
    }
    if (hit) this.counts.rate_limit++;
    return cur;
  }

  /** True when the rate limit does something (position mode with at least one finite rate). */
  get hasRateLimit(): boolean {
    return this.rateLimited;
  }
}

/**
 * How many substeps have *started* `elapsed` seconds after a policy tick: substep k covers [k·dt, (k+1)·dt) and its
 * target is the limiter advanced k+1 times (the env advances before each physics step). A command sent at time
 * `elapsed` therefore carries the target the env's actuator tracks at that instant.
 */
export function substepsDue(elapsed: number, substepDt: number): number {
  return Math.floor(elapsed / substepDt + 1e-9) + 1;
}

/** Refuse settings that would silently defeat a stage; every message names the field. */
export function checkPipelineSpec(s: ActionPipelineSpec): void {
  const n = s.joints.length;
  const bad = (m: string) => new Error(`action pipeline: ${m}`);
  if (s.mode !== 'position' && s.mode !== 'torque') throw bad(`mode must be 'position' or 'torque', got ${String(s.mode)}`);
  if (!(s.low <= s.high)) throw bad(`low (${s.low}) must be ≤ high (${s.high})`);
  if (!Number.isFinite(s.scale)) throw bad(`scale must be finite, got ${s.scale}`);
  if (!(s.substepDt > 0 && Number.isFinite(s.substepDt))) throw bad(`substepDt must be a finite number > 0 s, got ${s.substepDt}`);
  for (const [k, v] of [['offset', s.offset], ['lower', s.lower], ['upper', s.upper], ['maxRate', s.maxRate]] as const) {
    if (v.length !== n) throw bad(`${k} has ${v.length} entries, expected ${n} (one per action joint: ${s.joints.join(', ')})`);
  }
  for (let i = 0; i < n; i++) {
    const j = s.joints[i];
    if (!Number.isFinite(s.offset[i]!)) throw bad(`offset of joint "${j}" is ${s.offset[i]}`);
    const lo = s.lower[i] ?? -Infinity, hi = s.upper[i] ?? Infinity;
    if (!(lo <= hi)) throw bad(`joint "${j}": lower ${lo} above upper ${hi}`);
    const r = s.maxRate[i];
    if (r !== null && r !== undefined && !(r > 0)) throw bad(`maxRate of joint "${j}" must be > 0 rad/s or null (none), got ${r}`);
  }
}
