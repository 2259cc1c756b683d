/**
 * The `update` of read → update → write: turns the measured state into a desired command using the policy every
 * k-th tick (e.g. policy 50 Hz, commands 500 Hz: k = 10). Every action goes through @s2r/core's ActionPipeline —
 * clip → scale/offset → clamp → rate limit — the very code the env ran in training.
 *
 * Between policy ticks the default is 'hold', which is what the env does: the goal is held and the rate limiter
 * advances on the *physics substep grid* of training (substepDt from the policy's pipeline settings), as many
 * substeps as have started since the policy tick, so at every tick the command equals the target the env's
 * actuator tracked at that instant, at 500 Hz or 1 kHz alike. 'interpolate' (opt-in) ramps the goal linearly over
 * a policy period before the rate limit: smoother, but one policy period of lag the policy never trained with.
 * Everything is allocated up front; the per-tick path only copies numbers.
 */
import type { RobotCommand, RobotState } from '../types.ts';
import { makeCommand } from '../command.ts';
import { ActionPipeline, substepsDue, type PipelineLimiting } from '@s2r/core';
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
  /** An external input older than this (s) is stale: the safety layer treats the state as stale (watchdog). Default 0.1. */
  inputTimeoutS?: number;
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
  /** Clip → scale/offset → clamp → rate limit, in policy joint order. */
  readonly pipeline: ActionPipeline;
  /** Interpolation endpoints of the goal (position mode, between: 'interpolate'). */
  private readonly prevGoal: Float32Array;
  private readonly nextGoal: Float32Array;
  private readonly pose0: Float64Array;
  private active = false;
  /**
   * Loop time (s) the policy first took over: the origin of the velocity-command schedule. Set once: a watchdog
   * damping or an e-stop pauses the policy but not the schedule, which would otherwise start again from its first
   * entry on every re-activation (a load stall then replayed "forward" after "turn").
   */
  private scheduleOrigin: number | null = null;
  private ticksSincePolicy = 0;
  /** Policy step whose action is still awaited from the source (−1: none). */
  private heldStep = -1;
  /** Scheduled time (s) of the pipeline's last command, ticks since, and the substeps the rate limiter has run since. */
  private commandT = 0;
  private ticksSinceCommand = 0;
  private substepsDone = 0;
  /** Substeps that start within one command period: the most the rate limiter advances per tick. */
  private readonly substepsPerTick: number;
  private hasState = false;
  /** True on the tick a new action was taken (for recording). */
  policyTick = false;
  /** External inputs (policy.inputs): their values live in the readings under their names. */
  private readonly inputs: { name: string; value: Float64Array }[];
  /** Host time (s, the controller's clock) each input was last received; −∞: never. */
  private readonly inputAt: Float64Array;
  private readonly inputTimeoutS: number;
  /** Inputs refused for a wrong length or non-finite values (kept out of the observation, counted). */
  badInputs = 0;
  private lastBadInput = '';

  constructor(o: ControllerOptions) {
    this.p = o.policy;
    this.src = o.source;
    if (!(Number.isInteger(o.decimation) && o.decimation >= 1)) throw new Error(`controller: decimation must be an integer ≥ 1, got ${o.decimation}`);
    this.k = o.decimation;
    this.period = o.period;
    this.between = o.between ?? 'hold';
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
      command: new Float64Array(3),
      lastAction: this.lastAction,
    };
    this.inputs = (o.policy.inputs ?? []).map((e) => ({ name: e.name, value: new Float64Array(e.size) }));
    for (const e of this.inputs) (this.inp as unknown as Record<string, Float64Array>)[e.name] = e.value;
    this.inputAt = new Float64Array(this.inputs.length).fill(-Infinity);
    this.inputTimeoutS = o.inputTimeoutS ?? 0.1;
    if (!(this.inputTimeoutS > 0)) throw new Error(`controller: inputTimeoutS must be > 0 s, got ${this.inputTimeoutS}`);
    this.cmd = makeCommand(o.hwJoints.length, 'position');
    const ps = o.policy.pipeline;
    if (ps.joints.join(',') !== o.policy.jointNames.join(',')) {
      throw new Error(`controller: the policy's action pipeline drives [${ps.joints.join(', ')}] but the policy acts on [${o.policy.jointNames.join(', ')}]`);
    }
    this.pipeline = new ActionPipeline(ps);
    this.substepsPerTick = Math.max(1, Math.ceil(o.period / ps.substepDt - 1e-9));
    this.pose0 = Float64Array.from(o.policy.defaultPose);
    this.prevGoal = new Float32Array(n);
    this.nextGoal = new Float32Array(n);
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
    if (this.inputs.length) this.ingestInputs(s);
  }

  private ingestInputs(s: RobotState): void {
    for (let k = 0; k < this.inputs.length; k++) {
      const e = this.inputs[k]!;
      const v = s.inputs?.[e.name];
      if (!v) continue;
      let ok = v.length === e.value.length;
      for (let i = 0; ok && i < v.length; i++) ok = Number.isFinite(v[i]!);
      if (!ok) {
        // A malformed reading never reaches the observation; the input ages and goes stale if it keeps coming.
        this.badInputs++;
        this.lastBadInput = `${e.name}: ${v.length} values (expected ${e.value.length}) or non-finite`;
        continue;
      }
      const at = s.inputsAt?.[e.name] ?? this.clock();
      if (at <= this.inputAt[k]!) continue; // the same reading again
      for (let i = 0; i < v.length; i++) e.value[i] = v[i]!;
      this.inputAt[k] = at;
    }
  }

  /** The name of an external input that is missing or older than the timeout, or null when all are fresh. */
  staleInput(): string | null {
    if (!this.inputs.length) return null;
    const now = this.clock();
    for (let k = 0; k < this.inputs.length; k++) if (now - this.inputAt[k]! > this.inputTimeoutS) return this.inputs[k]!.name;
    return null;
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
      this.scheduleOrigin ??= t;
      this.src.reset();
      this.lastAction.fill(0);
      // The soft start ends on the default pose: the rate limiter starts there, as the env's starts at the spawn pose.
      this.pipeline.reset(this.pose0);
      this.ticksSincePolicy = this.k; // act on this very tick
      this.heldStep = -1;
      this.commandT = t;
      this.ticksSinceCommand = 0;
      this.substepsDone = 0;
    }
    if (!this.hasState) return null;
    const n = this.pose0.length;
    const pl = this.pipeline;
    if (this.ticksSincePolicy >= this.k) {
      this.ticksSincePolicy = 0;
      commandAt(this.schedule, t - this.scheduleOrigin!, this.inp.command);
      this.p.observe(this.inp, this.obs);
      const a = this.src.next(this.policySteps, this.obs, this.clock());
      this.heldStep = a ? -1 : this.policySteps;
      this.policySteps++;
      if (!this.take(a, t)) this.holds++;
    } else if (this.heldStep >= 0 && this.src.late) {
      // The step's action was not ready on its policy tick (a worker's result still in flight): take it the moment
      // it arrives, within its own step, rather than on the next policy tick (one step late).
      const a = this.src.late(this.heldStep, this.clock());
      if (a) {
        this.heldStep = -1;
        this.take(a, t);
      }
    }
    this.ticksSincePolicy++;
    if (this.between === 'interpolate' && pl.spec.mode === 'position') {
      const alpha = Math.min(1, (this.ticksSinceCommand + 1) / this.k);
      for (let j = 0; j < n; j++) pl.goal[j] = this.prevGoal[j]! + (this.nextGoal[j]! - this.prevGoal[j]!) * alpha;
    }
    // The rate limit runs on training's substep grid: catch up with the substeps started by now (scheduled time, so
    // cycles skipped after a stall are caught up too).
    const due = substepsDue(t - this.commandT, pl.spec.substepDt);
    // At most one nominal tick's worth of substeps per tick: after a stall the backlog is worked off over the next
    // ticks (a 2 ms tick has 5 ms substeps to spare), so no single command jumps further than the rate limit allows
    // over one command period and the safety layer's per-command max step never has to cut it.
    for (let n = 0; this.substepsDone < due && n < this.substepsPerTick; n++, this.substepsDone++) pl.substep();
    // Interpolating without a rate limit: the target follows the moving goal every tick, not every substep.
    if (this.between === 'interpolate' && !pl.hasRateLimit) pl.substep();
    this.ticksSinceCommand++;
    const out = pl.target;
    const m = this.map.hwIndex;
    const c = this.cmd;
    c.mode = 'position';
    const torque = pl.spec.mode === 'torque';
    for (let j = 0; j < n; j++) {
      const h = m[j]!;
      if (torque) {
        c.position[h] = this.inp.jointPos[j]!;
        c.velocity[h] = 0;
        c.effort[h] = out[j]!;
        c.kp[h] = 0;
        c.kd[h] = 0;
      } else {
        c.position[h] = out[j]!;
        c.velocity[h] = 0;
        c.effort[h] = 0;
        c.kp[h] = this.p.kp[j]!;
        c.kd[h] = this.p.kd[j]!;
      }
    }
    return c;
  }

  /** Refine (residual) and command the action for this policy step; false: nothing to command (a hold). */
  private take(action: Float32Array | null, t: number): boolean {
    let a = action;
    const pl = this.pipeline;
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
    if (!a) return false;
    // The clipped action is also the policy's `last_action` observation, exactly as in the env.
    pl.clip(a, this.lastAction);
    this.policyTick = true;
    // Interpolation starts from the goal in force now, so a held step never causes a jump.
    this.prevGoal.set(pl.goal);
    pl.command(this.lastAction);
    this.nextGoal.set(pl.goal);
    this.commandT = t;
    this.ticksSinceCommand = 0;
    this.substepsDone = 0;
    return true;
  }

  /** How often the pipeline's stages limited the policy (its normal job, not a safety intervention). */
  limiting(): PipelineLimiting & Record<string, number> {
    return { ...this.pipeline.counts };
  }

  stats(): Record<string, unknown> {
    const inputs = this.inputs.length ? { inputs: this.inputs.map((e) => e.name), bad_inputs: this.badInputs, ...(this.lastBadInput ? { last_bad_input: this.lastBadInput } : {}) } : {};
    return { ...inputs, policy_steps: this.policySteps, holds: this.holds, ...(this.p.refine ? { refine_errors: this.refineErrors, ...(this.lastRefineError ? { last_refine_error: this.lastRefineError } : {}) } : {}), ...this.src.stats() };
  }
}
