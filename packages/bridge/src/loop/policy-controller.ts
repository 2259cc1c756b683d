/**
 * The `update` of read → update → write: turns the measured state into a desired command using the policy every
 * k-th tick (e.g. policy 50 Hz, commands 500 Hz: k = 10). Between policy ticks the targets are held, or linearly
 * interpolated from the previous policy target to the new one (smoother, at the cost of one policy period of lag).
 * Everything is allocated up front; the per-tick path only copies numbers.
 */
import type { RobotCommand, RobotState } from '../types.ts';
import { makeCommand } from '../command.ts';
import type { DeployPolicy, ObsInput } from '../policy/types.ts';
import { commandAt, type CommandStep } from '../policy/command-schedule.ts';
import type { ActionSource } from './action-source.ts';
import { mapJoints, type JointMap } from './joint-map.ts';
import { rotateInverse } from '@s2r/core';

export type Between = 'hold' | 'interpolate';

export interface ControllerOptions {
  policy: DeployPolicy;
  source: ActionSource;
  /** Hardware joint order. */
  hwJoints: readonly string[];
  /** Ticks per policy step (k ≥ 1). */
  decimation: number;
  /** Control period (s). */
  period: number;
  between?: Between;
  commands?: readonly CommandStep[];
  clock: () => number;
}

export class PolicyController {
  readonly map: JointMap;
  readonly obs: Float32Array;
  /** The last raw action (policy order). */
  readonly lastAction: Float32Array;
  private readonly refined: Float32Array;
  refineErrors = 0;
  private lastRefineError = '';
  policySteps = 0;
  holds = 0;
  private readonly p: DeployPolicy;
  private readonly src: ActionSource;
  private readonly k: number;
  private readonly period: number;
  private readonly between: Between;
  private readonly schedule: readonly CommandStep[];
  private readonly clock: () => number;
  private readonly inp: ObsInput;
  private readonly cmd: RobotCommand;
  private readonly prevTarget: Float64Array;
  private readonly nextTarget: Float64Array;
  private readonly nextEffort: Float64Array;
  private active = false;
  private activeSince = 0;
  private ticksSincePolicy = 0;
  private hasState = false;
  /** True on the tick a new action was taken (for recording). */
  policyTick = false;

  constructor(o: ControllerOptions) {
    this.p = o.policy;
    this.src = o.source;
    if (!(Number.isInteger(o.decimation) && o.decimation >= 1)) throw new Error(`controller: decimation must be an integer ≥ 1, got ${o.decimation}`);
    this.k = o.decimation;
    this.period = o.period;
    this.between = o.between ?? 'interpolate';
    this.schedule = o.commands ?? [];
    this.clock = o.clock;
    this.map = mapJoints(o.policy.jointNames, o.hwJoints);
    const n = o.policy.jointNames.length;
    this.obs = new Float32Array(o.policy.obsSize);
    this.lastAction = new Float32Array(o.policy.actSize);
    this.refined = new Float32Array(o.policy.actSize);
    this.inp = {
      jointPos: new Float64Array(n),
      jointVel: new Float64Array(n),
      defaultPose: Float64Array.from(o.policy.defaultPose),
      angVel: new Float64Array(3),
      projectedGravity: Float64Array.from([0, 0, -1]),
      linVel: new Float64Array(3),
      commands: new Float64Array(3),
      lastAction: this.lastAction,
    };
    this.cmd = makeCommand(o.hwJoints.length, 'position');
    this.prevTarget = Float64Array.from(o.policy.defaultPose);
    this.nextTarget = Float64Array.from(o.policy.defaultPose);
    this.nextEffort = new Float64Array(n);
  }

  /** Observation input as last built (policy order), for recording and tests. */
  get input(): Readonly<ObsInput> {
    return this.inp;
  }

  /** Take in a fresh state (null: keep the last one). Hardware order → policy order. */
  private ingest(s: RobotState): void {
    const m = this.map.hwIndex;
    for (let p = 0; p < m.length; p++) {
      this.inp.jointPos[p] = s.jointPos[m[p]!]!;
      this.inp.jointVel[p] = s.jointVel[m[p]!]!;
    }
    if (s.imu) {
      const a = s.imu.angVel;
      const g = s.imu.projectedGravity;
      for (let i = 0; i < 3; i++) {
        this.inp.angVel[i] = a[i]!;
        this.inp.projectedGravity[i] = g[i]!;
      }
    }
    if (s.baseLinVel) {
      const v = s.baseLinVel;
      const q = s.imu?.quat;
      if (q) rotateInverse(q, v, this.inp.linVel);
      else for (let i = 0; i < 3; i++) this.inp.linVel[i] = v[i]!;
    }
    this.hasState = true;
  }

  /**
   * One tick. `active` is the safety layer's "the controller's output is used" flag; the policy is reset when it
   * turns on (so a resumed run never acts on a stale history). Returns the desired command in hardware order.
   */
  update(t: number, state: RobotState | null, active: boolean): RobotCommand | null {
    this.policyTick = false;
    if (state) this.ingest(state);
    if (!active) {
      this.active = false;
      return null;
    }
    if (!this.active) {
      this.active = true;
      this.activeSince = t;
      this.src.reset();
      this.lastAction.fill(0);
      this.prevTarget.set(this.inp.defaultPose);
      this.nextTarget.set(this.inp.defaultPose);
      this.nextEffort.fill(0);
      this.ticksSincePolicy = this.k; // act on this very tick
    }
    if (!this.hasState) return null;
    const n = this.prevTarget.length;
    if (this.ticksSincePolicy >= this.k) {
      this.ticksSincePolicy = 0;
      commandAt(this.schedule, t - this.activeSince, this.inp.commands);
      this.p.observe(this.inp, this.obs);
      let a = this.src.next(this.policySteps, this.obs, this.clock());
      if (a && this.p.refine) {
        try {
          this.p.refine(this.obs, a, this.refined);
          a = this.refined;
        } catch (e) {
          // Never let a refinement error kill the loop: hold this step, count it (the safety layer sees a hold).
          this.refineErrors++;
          this.lastRefineError = String((e as Error)?.message ?? e);
          a = null;
        }
      }
      this.policySteps++;
      // Interpolation starts from where the targets are now, so a held step never causes a jump.
      this.prevTarget.set(this.nextTarget);
      if (a) {
        // Clip to the trained action bounds exactly as the env does, and remember the clipped action: it is the
        // policy's `last_action` observation (relative-frame policies add their moves to it).
        const la = this.lastAction;
        const lo = this.p.actionLow ?? -Infinity;
        const hi = this.p.actionHigh ?? Infinity;
        for (let j = 0; j < la.length; j++) {
          const v = a[j]!;
          la[j] = v < lo ? lo : v > hi ? hi : v;
        }
        this.policyTick = true;
        const sc = this.p.actionScale;
        if (this.p.actionMode === 'position') {
          for (let j = 0; j < n; j++) this.nextTarget[j] = this.inp.defaultPose[j]! + sc * la[j]!;
        } else {
          for (let j = 0; j < n; j++) this.nextEffort[j] = sc * la[j]!;
        }
      } else {
        this.holds++;
      }
    }
    this.ticksSincePolicy++;
    const alpha = this.between === 'interpolate' ? this.ticksSincePolicy / this.k : 1;
    const m = this.map.hwIndex;
    const c = this.cmd;
    c.mode = 'position';
    const torque = this.p.actionMode === 'torque';
    for (let j = 0; j < n; j++) {
      const h = m[j]!;
      if (torque) {
        c.position[h] = this.inp.jointPos[j]!;
        c.velocity[h] = 0;
        c.effort[h] = this.nextEffort[j]!;
        c.kp[h] = 0;
        c.kd[h] = 0;
      } else {
        const p0 = this.prevTarget[j]!;
        c.position[h] = p0 + (this.nextTarget[j]! - p0) * alpha;
        c.velocity[h] = 0;
        c.effort[h] = 0;
        c.kp[h] = this.p.kp[j]!;
        c.kd[h] = this.p.kd[j]!;
      }
    }
    return c;
  }

  stats(): Record<string, unknown> {
    return { policy_steps: this.policySteps, holds: this.holds, ...(this.p.refine ? { refine_errors: this.refineErrors, ...(this.lastRefineError ? { last_refine_error: this.lastRefineError } : {}) } : {}), ...this.src.stats() };
  }
}
