/**
 * ManagerEnv: the Gymnasium-style env that runs a task's terms (observations, rewards, terminations, DR events)
 * around a Rapier world. Tasks subclass it, expose the state their terms read, and call `initManagers`.
 *
 * Step order: clip action → action latency buffer → interval events → action pipeline (scale, offset, clamp) →
 * `decimation` × (rate limit → actuate → physics step) → `postPhysics` → terminations → rewards → `afterReward` →
 * observations (+ noise). Clip, clamp and rate limit are @s2r/core's ActionPipeline, the code the bridge runs.
 * Time-outs are truncations, never terminations.
 */
import { ActionPipeline, Rng, type ActionPipelineSpec } from '@s2r/core';
import type { RobotSim, SimWorld } from '../physics/types.ts';
import type { DrConfig } from '../dr/config.ts';
import { nominalDrState, type DrState, type DrTarget } from '../dr/state.ts';
import { drActionBufferSteps, drEpisodeStart, drObservationNoise, drStepRows } from '../dr/registry.ts';
import type { ActionSpec, SpaceSpec, StepInfo, StepResult, TaskEnv } from './types.ts';
import { describeParams, formatTable, type DrValue, type EventTerm, type ObservationTerm, type RewardTerm, type TerminationTerm } from './terms.ts';

export interface BaseEnvConfig {
  /** Physics step (s). */
  physicsDt: number;
  /** Physics steps per control step. */
  decimation: number;
  /** Episode length before truncation (s). */
  episodeLengthS: number;
  rewards: {
    /** Multiply every weighted term by the control dt (legged_gym). */
    multiplyByDt: boolean;
    /** Clip a negative step total to zero (legged_gym `only_positive_rewards`). */
    onlyPositive: boolean;
  };
  dr: DrConfig;
}

export interface EnvOptions {
  /** Print the term tables at the first reset (default true). Workers and tests switch it off. */
  print?: boolean;
  log?: (line: string) => void;
}

export interface Managers<E, R> {
  /** The action pipeline's settings (tasks/action-pipeline.ts); the action spec is derived from them. */
  pipeline: ActionPipelineSpec;
  /** Unit of the command an action becomes ('rad', 'N', …), for the action spec. */
  actionUnit: string;
  observations: ObservationTerm<R>[];
  privileged: ObservationTerm<E>[] | null;
  rewards: RewardTerm<E>[];
  terminations: TerminationTerm<E>[];
  events: EventTerm<E>[];
}

/** Build a named spec from observation terms. */
export function specFromTerms(terms: ObservationTerm<any>[]): SpaceSpec {
  let size = 0;
  const out = terms.map((t) => {
    size += t.size;
    const s: SpaceSpec['terms'][number] = { name: t.name, size: t.size, unit: t.unit };
    if (t.low !== undefined) s.low = t.low;
    if (t.high !== undefined) s.high = t.high;
    if (t.labels) s.labels = t.labels;
    return s;
  });
  return { terms: out, size };
}

/** Run observation terms over an input into `out` (the pure function the bridge reuses at deploy time). */
export function computeObservation<R>(terms: ObservationTerm<R>[], input: R, out: Float32Array): Float32Array {
  let o = 0;
  for (const t of terms) {
    t.fn(input, out, o);
    o += t.size;
  }
  if (o !== out.length) throw new RangeError(`observation: terms fill ${o} values but the buffer holds ${out.length}`);
  return out;
}

export abstract class ManagerEnv<C extends BaseEnvConfig, R> implements TaskEnv<C>, DrTarget {
  readonly name: string;
  readonly config: C;
  readonly physicsDt: number;
  readonly decimation: number;
  readonly dt: number;
  readonly maxEpisodeSteps: number;
  // DrTarget (dr/state.ts documents them): what the registered DR terms read and write.
  readonly world: SimWorld;
  readonly robot: RobotSim;
  readonly nominalKp: Float32Array;
  readonly nominalKd: Float32Array;
  readonly dr: DrState;
  readonly maxActionLatency: number;
  maxReturn: number | null = null;

  observationSpec!: SpaceSpec;
  privilegedSpec!: SpaceSpec | null;
  actionSpec!: ActionSpec;
  rewardTermNames: string[] = [];

  // --- episode state the terms read ---
  /** Control steps taken in this episode. */
  episodeStep = 0;
  /** Set before rewards: this step ended the episode by a termination (not a time-out). */
  terminatedNow = false;
  /** Policy action (clipped) of this step and of the previous step. */
  action!: Float32Array;
  lastAction!: Float32Array;
  /** Action actually applied this step after latency. */
  appliedAction!: Float32Array;
  /** Clip → scale/offset → clamp → rate limit: the same object type the bridge's controller runs. */
  pipeline!: ActionPipeline;
  /** Robot joint index of each action joint. */
  private actionIdx!: Int32Array;
  /** Actuator command in robot joint order (targets in position mode, efforts in torque mode). */
  private actuation!: Float32Array;
  /** Encoder bias in action order (position mode): the pipeline subtracts it after the clamp. */
  private actionBias!: Float32Array;

  protected obsTerms: ObservationTerm<R>[] = [];
  protected privTerms: ObservationTerm<this>[] | null = null;
  protected rewardTerms: RewardTerm<this>[] = [];
  protected terminationTerms: TerminationTerm<this>[] = [];
  protected eventTerms: EventTerm<this>[] = [];
  private noise!: Float32Array;
  private actionHistory: Float32Array[] = [];
  private intervalTimers: number[] = [];
  private drDrawn: Record<string, DrValue> = {};
  private rngScene: Rng = Rng.seed(0);
  private rngNoise: Rng = Rng.seed(0);
  private rngTask: Rng = Rng.seed(0);
  private rngEvents = new Map<string, Rng>();
  private seeded = false;
  private printed = false;
  private readonly opts: EnvOptions;
  private readonly info: StepInfo;
  private obsBuf!: Float32Array;
  private privBuf: Float32Array | null = null;
  private closed = false;

  protected constructor(name: string, config: C, world: SimWorld, robot: RobotSim, gains: { kp: ArrayLike<number>; kd: ArrayLike<number> }, opts: EnvOptions = {}) {
    this.name = name;
    this.config = config;
    this.physicsDt = config.physicsDt;
    this.decimation = config.decimation;
    this.dt = config.physicsDt * config.decimation;
    this.maxEpisodeSteps = Math.round(config.episodeLengthS / this.dt);
    this.world = world;
    this.robot = robot;
    this.nominalKp = Float32Array.from(gains.kp);
    this.nominalKd = Float32Array.from(gains.kd);
    this.dr = nominalDrState(robot);
    this.maxActionLatency = drActionBufferSteps(config.dr);
    this.opts = opts;
    this.info = { rewardTerms: {} };
  }

  /** Called by the subclass constructor once its state exists. */
  protected initManagers(m: Managers<this, R>): void {
    const p = m.pipeline;
    this.pipeline = new ActionPipeline(p);
    this.actionSpec = { size: p.joints.length, joints: [...p.joints], low: p.low, high: p.high, mode: p.mode, scale: p.scale, unit: m.actionUnit };
    const names = this.robot.jointNames;
    this.actionIdx = Int32Array.from(p.joints, (j) => {
      const k = names.indexOf(j);
      if (k < 0) throw new Error(`${this.name}: action joint "${j}" is not a joint of the robot (${names.join(', ')})`);
      return k;
    });
    if (p.mode === 'position' && p.joints.length !== names.length) {
      throw new Error(`${this.name}: a position-mode action must drive every joint (${names.join(', ')}); it drives ${p.joints.join(', ')}`);
    }
    this.actuation = new Float32Array(names.length);
    this.actionBias = new Float32Array(p.joints.length);
    this.obsTerms = m.observations;
    this.privTerms = m.privileged;
    this.rewardTerms = m.rewards.filter((t) => t.weight !== 0);
    this.terminationTerms = m.terminations;
    this.eventTerms = m.events;
    this.observationSpec = specFromTerms(m.observations);
    this.privilegedSpec = m.privileged ? specFromTerms(m.privileged) : null;
    this.rewardTermNames = this.rewardTerms.map((t) => t.name);
    for (const n of this.rewardTermNames) this.info.rewardTerms[n] = 0;
    const A = this.actionSpec.size;
    this.action = new Float32Array(A);
    this.lastAction = new Float32Array(A);
    this.appliedAction = new Float32Array(A);
    this.actionHistory = Array.from({ length: this.maxActionLatency + 1 }, () => new Float32Array(A));
    this.intervalTimers = this.eventTerms.map(() => 0);
    this.obsBuf = new Float32Array(this.observationSpec.size);
    this.privBuf = this.privilegedSpec ? new Float32Array(this.privilegedSpec.size) : null;
    this.noise = new Float32Array(this.observationSpec.size);
    let o = 0;
    for (const t of m.observations) {
      this.noise.fill(drObservationNoise(this.config.dr, t.name, t.noise), o, o + t.size);
      o += t.size;
    }
  }

  // ---------------------------------------------------------------- task hooks
  /** Plain readings the actor observation is built from (what a real robot can measure). */
  protected abstract readings(): R;
  /** Put the scene in its initial state for a new episode (robot pose, objects, commands). */
  protected abstract resetScene(rng: Rng): void;
  /** After the physics steps of a control step, before terminations and rewards. `rng` is the task's stream. */
  protected postPhysics(_rng: Rng): void {}
  /** After rewards (e.g. store last joint velocities, reset air times). */
  protected afterReward(): void {}
  /** Success flag for info, if the task has one. */
  protected success(): boolean | undefined {
    return undefined;
  }

  // ---------------------------------------------------------------- API
  reset(seed?: number | Rng): { obs: Float32Array; info: StepInfo } {
    this.assertOpen();
    if (seed !== undefined || !this.seeded) this.seed(seed === undefined ? Rng.seed(0) : typeof seed === 'number' ? Rng.seed(seed) : seed);
    if (!this.printed && this.opts.print !== false) {
      (this.opts.log ?? console.log)(this.termsTable());
      this.printed = true;
    }
    drEpisodeStart(this, this.config.dr);
    // Interval draws belong to the episode they happened in.
    for (const t of this.eventTerms) if (t.mode === 'interval') delete this.drDrawn[t.name];
    for (const t of this.eventTerms) if (t.mode === 'reset') this.runEvent(t);
    this.episodeStep = 0;
    this.terminatedNow = false;
    this.action.fill(0);
    this.lastAction.fill(0);
    this.appliedAction.fill(0);
    for (const h of this.actionHistory) h.fill(0);
    this.intervalTimers.fill(0);
    this.resetScene(this.rngScene);
    this.resetActuation();
    for (const n of this.rewardTermNames) this.info.rewardTerms[n] = 0;
    const info: StepInfo = { rewardTerms: { ...this.info.rewardTerms }, dr: this.drValues() };
    const obs = this.observe();
    if (this.privBuf) info.privileged = this.privBuf.slice();
    return { obs, info };
  }

  step(action: ArrayLike<number>): StepResult {
    this.assertOpen();
    if (!this.seeded) throw new Error(`${this.name}: step() before reset()`);
    const A = this.actionSpec.size;
    if (action.length !== A) throw new RangeError(`${this.name}.step: action has ${action.length} values, expected ${A} (${this.actionSpec.joints.join(', ')})`);
    for (let i = 0; i < A; i++) {
      const a = action[i]!;
      if (!Number.isFinite(a)) throw new RangeError(`${this.name}.step: action[${i}] (${this.actionSpec.joints[i]}) is ${a}`);
    }
    this.pipeline.clip(action, this.action);
    // Latency ring: history[k] is the action from k control steps ago.
    const last = this.actionHistory.pop()!;
    last.set(this.action);
    this.actionHistory.unshift(last);
    this.appliedAction.set(this.actionHistory[this.dr.actionLatency]!);

    for (let i = 0; i < this.eventTerms.length; i++) {
      const t = this.eventTerms[i]!;
      if (t.mode !== 'interval') continue;
      this.intervalTimers[i]! += this.dt;
      if (this.intervalTimers[i]! >= t.intervalS! - 1e-9) {
        this.intervalTimers[i]! -= t.intervalS!;
        this.runEvent(t);
      }
    }

    this.commandActuators(this.appliedAction);
    for (let k = 0; k < this.decimation; k++) {
      // The rate limit runs on the physics grid; without one the command is set once per control step.
      if (k === 0 || this.pipeline.hasRateLimit) this.actuate(this.pipeline.substep());
      this.world.step();
    }
    this.episodeStep++;
    this.postPhysics(this.rngTask);

    let terminated = false;
    let truncated = false;
    for (const t of this.terminationTerms) {
      if (t.fn(this)) {
        if (t.timeOut) truncated = true;
        else terminated = true;
      }
    }
    if (this.episodeStep >= this.maxEpisodeSteps) truncated = true;
    if (terminated) truncated = false;
    this.terminatedNow = terminated;

    const scale = this.config.rewards.multiplyByDt ? this.dt : 1;
    let total = 0;
    const rt = this.info.rewardTerms;
    for (const t of this.rewardTerms) {
      const v = t.fn(this, t.params) * t.weight * scale;
      rt[t.name] = v;
      total += v;
    }
    if (this.config.rewards.onlyPositive && total < 0) total = 0;
    if (!Number.isFinite(total)) throw new Error(`${this.name}: reward is ${total} at step ${this.episodeStep} (terms ${JSON.stringify(rt)})`);
    this.afterReward();
    this.lastAction.set(this.action);

    const obs = this.observe();
    const info = this.info;
    const s = this.success();
    if (s !== undefined) info.success = s;
    if (this.privBuf) info.privileged = this.privBuf.slice();
    return { obs, reward: total, terminated, truncated, info };
  }

  /** DR values drawn so far for this episode (startup + reset + latest interval draws). */
  drValues(): Record<string, DrValue> {
    return { ...this.drDrawn };
  }

  termsTable(): string {
    const parts: string[] = [`[${this.name}] physics dt ${this.physicsDt} s × decimation ${this.decimation} → control ${+(1 / this.dt).toFixed(3)} Hz, episode ${this.config.episodeLengthS} s (${this.maxEpisodeSteps} steps)`];
    let o = 0;
    const obsRows = this.obsTerms.map((t, i) => {
      const r = [String(i), t.name, String(t.size), t.unit, `${o}..${o + t.size - 1}`, this.noise[o] ? `±${+this.noise[o]!.toFixed(4)}` : '-'];
      o += t.size;
      return r;
    });
    parts.push(formatTable(`Actor observation (${this.observationSpec.size})`, ['#', 'term', 'size', 'unit', 'slots', 'noise'], obsRows));
    if (this.privTerms) {
      o = 0;
      const rows = this.privTerms.map((t, i) => {
        const r = [String(i), t.name, String(t.size), t.unit, `${o}..${o + t.size - 1}`];
        o += t.size;
        return r;
      });
      parts.push(formatTable(`Privileged observation for the critic (${this.privilegedSpec!.size})`, ['#', 'term', 'size', 'unit', 'slots'], rows));
    }
    const a = this.actionSpec;
    parts.push(`Action (${a.size}): ${a.mode}, ${a.mode === 'position' ? 'target = default + ' : 'command = '}${a.scale}·a ${a.unit}, a ∈ [${a.low}, ${a.high}]`);
    parts.push(formatTable(`Reward terms (×dt: ${this.config.rewards.multiplyByDt}, negative totals clipped: ${this.config.rewards.onlyPositive})`, ['#', 'term', 'weight', 'params'],
      this.rewardTerms.map((t, i) => [String(i), t.name, String(t.weight), describeParams(t.params)])));
    parts.push(formatTable('Termination terms', ['#', 'term', 'kind'], [
      ...this.terminationTerms.map((t, i) => [String(i), t.name, t.timeOut ? 'truncation' : 'termination']),
      [String(this.terminationTerms.length), 'time_out', `truncation at ${this.config.episodeLengthS} s`],
    ]));
    const evRows = this.eventTerms.map((t, i) => [String(i), t.name, t.mode === 'interval' ? `interval ${t.intervalS} s` : t.mode, t.describe ?? describeParams(t.params)]);
    for (const [name, describe] of drStepRows(this.config.dr)) evRows.push([String(evRows.length), name, 'step', describe]);
    parts.push(formatTable('Active domain-randomization events', ['#', 'term', 'mode', 'distribution'], evRows.length ? evRows : [['-', '(none)', '', '']]));
    return parts.join('\n\n');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.world.free();
  }

  // ---------------------------------------------------------------- internals
  /** Scale, offset and clamp the (latency-delayed, clipped) action; the encoder bias shifts position targets. */
  private commandActuators(a: Float32Array): void {
    if (this.actionSpec.mode === 'position') {
      const off = this.dr.jointPosOffset;
      for (let i = 0; i < this.actionIdx.length; i++) this.actionBias[i] = off[this.actionIdx[i]!]!;
      this.pipeline.command(a, this.actionBias);
    } else {
      this.pipeline.command(a);
    }
  }

  /** Send the pipeline's output to the robot: targets (position mode) or efforts on the action joints. */
  private actuate(out: Float32Array): void {
    const u = this.actuation;
    for (let i = 0; i < this.actionIdx.length; i++) u[this.actionIdx[i]!] = out[i]!;
    if (this.actionSpec.mode === 'position') this.robot.setPositionTargets(u);
    else {
      this.addDisturbance(u);
      this.robot.setTorques(u);
    }
  }

  /**
   * Torque-mode tasks: unmodelled efforts (N or N·m, robot joint order) added to the actuator command after the
   * pipeline, e.g. a domain-randomized force bias on a cart. They are the world's, not the policy's: the action,
   * the pipeline's clamp and the recorded command never include them.
   */
  protected addDisturbance(_efforts: Float32Array): void {}

  /** A new episode: the rate limiter starts from the spawn pose, efforts from zero (the robot's state after resetScene). */
  private resetActuation(): void {
    const q = this.robot.jointPos;
    const from = this.actionBias;
    for (let i = 0; i < this.actionIdx.length; i++) from[i] = q[this.actionIdx[i]!]!;
    this.pipeline.reset(from);
    this.actuation.fill(0);
    if (this.actionSpec.mode === 'position') this.actuation.set(q);
  }

  private seed(rng: Rng): void {
    this.rngScene = rng.split('scene');
    this.rngNoise = rng.split('obs_noise');
    this.rngTask = rng.split('task');
    const ev = rng.split('dr');
    this.rngEvents.clear();
    for (const t of this.eventTerms) this.rngEvents.set(t.name, ev.split(t.name));
    this.drDrawn = {};
    // Startup terms draw once per seeding: an explicit seed reproduces the whole run.
    for (const t of this.eventTerms) if (t.mode === 'startup') this.runEvent(t);
    this.seeded = true;
    this.onSeed(rng);
  }

  /**
   * Record a value drawn for this episode outside the DR events (e.g. the terrain level a curriculum picked),
   * reported with the DR values (`info.dr`, `drValues()`, `EpisodeStats.dr`).
   */
  protected recordEpisodeValue(name: string, v: DrValue): void {
    this.drDrawn[name] = v;
  }

  /** Hook for tasks that keep state across episodes (e.g. terrain curriculum). */
  protected onSeed(_rng: Rng): void {}

  private runEvent(t: EventTerm<this>): void {
    const v = t.fn(this, this.rngEvents.get(t.name)!, t.params);
    if (v !== undefined) this.drDrawn[t.name] = v;
  }

  private observe(): Float32Array {
    computeObservation(this.obsTerms, this.readings(), this.obsBuf);
    const n = this.noise;
    const rng = this.rngNoise;
    for (let i = 0; i < n.length; i++) if (n[i] !== 0) this.obsBuf[i]! += n[i]! * (2 * rng.float() - 1);
    if (this.privTerms && this.privBuf) computeObservation(this.privTerms, this, this.privBuf);
    return this.obsBuf.slice();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`${this.name}: env is closed`);
  }
}
