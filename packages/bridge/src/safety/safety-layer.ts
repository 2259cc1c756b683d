/**
 * SafetyLayer: sits between the controller's `update` and the hardware `write`, and returns the command actually
 * sent. It is an independent stage *after* the action pipeline (@s2r/core), which already clips, clamps to the
 * joint limits and rate limits every policy target as in training: the layer counts only what it changes beyond
 * that — a non-finite command, stale state (watchdog), the e-stop, a violated bound — as an *intervention*, by
 * kind, logged in a bounded ring. Its over-effort estimate changes nothing (effort limiting belongs to the actuator:
 * the drive, the firmware, the sim's PD clamp) and is a diagnostic counter.
 *
 * Phases: idle → soft_start (ramp measured pose → default pose) → running → soft_stop/stopped (damping).
 * Any phase → estop (latched damping) until reset(); running ⇄ watchdog (damping while state is stale).
 *
 * Per tick in `running`, in order: non-finite → hold last safe command; position limits (± margin); max step (an
 * independent bound on the target's change per tick, loose enough never to fire on a nominal run); commanded
 * velocity and feed-forward effort limits. Units: rad, rad/s, N·m, s. No allocation on the hot path.
 */
import type { RobotCommand, RobotState } from '../types.ts';
import { allFinite, copyCommand, makeCommand } from '../command.ts';
import type { JointLimitTable } from './limits.ts';

export type SafetyPhase = 'idle' | 'soft_start' | 'running' | 'watchdog' | 'estop' | 'soft_stop' | 'stopped';

export const INTERVENTION_KINDS = [
  'nonfinite', // controller output had NaN/Inf → last safe command held
  'bad_state', // measured state had NaN/Inf → treated as stale
  'position_limit',
  'velocity_limit', // commanded velocity field beyond the URDF velocity limit
  'max_step',
  'effort_limit', // feed-forward effort beyond the URDF effort limit
  'watchdog', // ticks spent damping because state was stale
  'estop', // ticks spent in the e-stop latch
  'soft_start', // ticks where the ramp replaced the controller
  'soft_stop', // ticks of damping on exit
] as const;
export type InterventionKind = (typeof INTERVENTION_KINDS)[number];

/** Diagnostics: estimates the layer reports without changing the command. */
export const DIAGNOSTIC_KINDS = [
  'effort_estimate', // ticks on which the PD torque estimate kp·(q* − q) + kd·(v* − v) + τff exceeded a joint's effort limit
] as const;
export type DiagnosticKind = (typeof DIAGNOSTIC_KINDS)[number];

/** Default max step (rad per tick): an independent bound far above what the action pipeline emits (its rate limit
 * moves a target at most maxRate·substep per substep, e.g. 25 rad/s × 5 ms = 0.125 rad on the Go1). */
export const DEFAULT_MAX_STEP = 0.25;

export interface SafetyEvent {
  t: number;
  kind: InterventionKind;
  /** Joint index, or −1 when the event is not about one joint. */
  joint: number;
  /** What was asked for and what was sent (rad, rad/s or N·m by kind); NaN when not meaningful. */
  requested: number;
  sent: number;
}

export interface SafetyConfig {
  limits: JointLimitTable;
  /** Control period (s). */
  period: number;
  /** Pose the soft start ramps to (rad), usually the policy's default joint pose. */
  defaultPose: ArrayLike<number>;
  /** Gains used for the ramp and for holding (N·m/rad, N·m·s/rad), per joint or one value. */
  kp: number | ArrayLike<number>;
  kd: number | ArrayLike<number>;
  /**
   * Max change of a position target per tick (rad): an independent bound behind the action pipeline's rate limit,
   * set loose enough never to fire on a nominal run. Default DEFAULT_MAX_STEP (0.25 rad).
   */
  maxStep?: number;
  /** Keep targets this far inside the URDF position limits (rad). Default 0. */
  positionMargin?: number;
  /** No fresh state for this many periods → damping. Default 10. */
  watchdogPeriods?: number;
  /** Soft start duration (s). Default 2 s (Unitree's deploy ramp). 0 skips the ramp. */
  softStartS?: number;
  /**
   * Ramp used when fresh state returns after a watchdog trip (s): measured pose → default pose, then the policy
   * resumes. Shorter than the start-up ramp because the robot is already up; a brief link hiccup should not cost
   * seconds of control. Default min(softStartS, 0.25 s).
   */
  resumeRampS?: number;
  /** Damping time on exit before `stopped` (s). Default 0.5 s. */
  softStopS?: number;
  /** Damping gain in damping mode (N·m·s/rad). Default 2. */
  dampingKd?: number;
  /** Size of the event ring (entries kept). Default 1024. */
  logSize?: number;
  /** Called off nothing hot: once when a kind first fires after being quiet, and on phase changes. */
  onEvent?: (msg: string) => void;
}

function perJoint(v: number | ArrayLike<number>, n: number, what: string): Float64Array {
  if (typeof v === 'number') return new Float64Array(n).fill(v);
  if (v.length !== n) throw new Error(`safety: ${what} has ${v.length} entries, expected ${n} (one per joint)`);
  return Float64Array.from(v);
}

/**
 * Reject tuning values that would silently defeat the layer (e.g. a negative maxStep moves targets *away* from the
 * request; watchdogPeriods 0 trips on every tick). Called by the constructor and by deploy() before it opens
 * anything, so bad flags fail before a recording file or the hardware is touched.
 */
export function checkSafetyTuning(c: Partial<Pick<SafetyConfig, 'maxStep' | 'positionMargin' | 'watchdogPeriods' | 'softStartS' | 'resumeRampS' | 'softStopS' | 'dampingKd'>>): void {
  const bad = (what: string, want: string, v: number) => new Error(`safety: ${what} must be ${want}, got ${v}`);
  if (c.maxStep !== undefined && !(c.maxStep > 0 && Number.isFinite(c.maxStep))) throw bad('maxStep (max target change per tick)', 'a finite number > 0 rad', c.maxStep);
  if (c.positionMargin !== undefined && !(c.positionMargin >= 0 && Number.isFinite(c.positionMargin))) throw bad('positionMargin', 'a finite number ≥ 0 rad', c.positionMargin);
  if (c.watchdogPeriods !== undefined && !(Number.isInteger(c.watchdogPeriods) && c.watchdogPeriods >= 1)) throw bad('watchdogPeriods', 'an integer ≥ 1', c.watchdogPeriods);
  for (const k of ['softStartS', 'resumeRampS', 'softStopS'] as const) {
    const v = c[k];
    if (v !== undefined && !(v >= 0 && Number.isFinite(v))) throw bad(k, 'a finite number ≥ 0 s', v);
  }
  if (c.dampingKd !== undefined && !(c.dampingKd >= 0 && Number.isFinite(c.dampingKd))) throw bad('dampingKd', 'a finite number ≥ 0 N·m·s/rad', c.dampingKd);
}

export class SafetyLayer {
  readonly n: number;
  phase: SafetyPhase = 'idle';
  /** Why the e-stop latched (empty when not latched). */
  estopReason = '';
  readonly counts: Record<InterventionKind, number>;
  /**
   * The same counts over ticks that began with the policy in control (phase running): what the layer changed
   * beyond the action pipeline on a run, apart from the start/stop ramps and what follows a trip.
   */
  readonly runningCounts: Record<InterventionKind, number>;
  private tickRunning = false;
  /** Diagnostic counters (ticks), never interventions: the command is sent unchanged. */
  readonly diagnosticCounts: Record<DiagnosticKind, number>;
  private readonly lim: JointLimitTable;
  private readonly period: number;
  private readonly defaultPose: Float64Array;
  private readonly kp: Float64Array;
  private readonly kd: Float64Array;
  private readonly maxStep: number;
  private readonly margin: number;
  private readonly watchdogPeriods: number;
  private readonly softStartS: number;
  private readonly resumeRampS: number;
  /** Duration of the ramp in progress (s). */
  private rampS = 0;
  private readonly softStopS: number;
  private readonly dampingKd: number;
  private readonly onEvent?: (msg: string) => void;

  private readonly out: RobotCommand;
  private readonly lastSafe: RobotCommand;
  private hasLastSafe = false;
  private readonly rampFrom: Float64Array;
  private phaseStart = 0;
  private staleTicks = 0;
  private lastFreshAt = -Infinity;
  /** Measured joint positions at the last fresh state. */
  private readonly lastPos: Float64Array;
  private readonly lastVel: Float64Array;
  private hasState = false;
  private readonly firedThisTick = new Uint8Array(INTERVENTION_KINDS.length);
  private readonly firedLastTick = new Uint8Array(INTERVENTION_KINDS.length);
  private readonly ring: SafetyEvent[];
  private ringHead = 0;
  private ringCount = 0;
  /** Events logged since construction (the ring keeps the last logSize). */
  totalEvents = 0;

  constructor(cfg: SafetyConfig) {
    const n = cfg.limits.names.length;
    this.n = n;
    this.lim = cfg.limits;
    if (!(cfg.period > 0)) throw new Error(`safety: period must be > 0 s, got ${cfg.period}`);
    this.period = cfg.period;
    checkSafetyTuning(cfg);
    this.defaultPose = perJoint(cfg.defaultPose, n, 'defaultPose');
    if (!allFinite(this.defaultPose)) throw new Error('safety: defaultPose has a non-finite entry');
    for (let i = 0; i < n; i++) {
      const q = this.defaultPose[i]!;
      if (q < this.lim.lower[i]! || q > this.lim.upper[i]!) {
        throw new Error(`safety: default pose of joint "${this.lim.names[i]}" (${q} rad) is outside its limits [${this.lim.lower[i]}, ${this.lim.upper[i]}]`);
      }
    }
    this.kp = perJoint(cfg.kp, n, 'kp');
    this.kd = perJoint(cfg.kd, n, 'kd');
    this.maxStep = cfg.maxStep ?? DEFAULT_MAX_STEP;
    this.margin = cfg.positionMargin ?? 0;
    this.watchdogPeriods = cfg.watchdogPeriods ?? 10;
    this.softStartS = cfg.softStartS ?? 2;
    this.resumeRampS = cfg.resumeRampS ?? Math.min(this.softStartS, 0.25);
    this.softStopS = cfg.softStopS ?? 0.5;
    this.dampingKd = cfg.dampingKd ?? 2;
    this.onEvent = cfg.onEvent;
    this.out = makeCommand(n, 'damping');
    this.lastSafe = makeCommand(n, 'damping');
    this.rampFrom = new Float64Array(n);
    this.lastPos = new Float64Array(n);
    this.lastVel = new Float64Array(n);
    this.counts = Object.fromEntries(INTERVENTION_KINDS.map((k) => [k, 0])) as Record<InterventionKind, number>;
    this.runningCounts = Object.fromEntries(INTERVENTION_KINDS.map((k) => [k, 0])) as Record<InterventionKind, number>;
    this.diagnosticCounts = Object.fromEntries(DIAGNOSTIC_KINDS.map((k) => [k, 0])) as Record<DiagnosticKind, number>;
    const size = cfg.logSize ?? 1024;
    this.ring = Array.from({ length: size }, () => ({ t: 0, kind: 'nonfinite' as InterventionKind, joint: -1, requested: NaN, sent: NaN }));
  }

  /** True while the controller's output is what gets sent (modulo clamping). */
  get active(): boolean {
    return this.phase === 'running';
  }

  /** Begin the soft start; it ramps from the first fresh measured pose (over `rampS`, default softStartS). */
  start(t: number, rampS = this.softStartS): void {
    if (this.phase === 'estop') return;
    this.setPhase('soft_start', t);
    this.rampPending = true;
    this.rampS = rampS;
  }
  private rampPending = false;

  /** Latch the e-stop (API, SIGINT, stdin key). Only reset() clears it. */
  estop(reason: string, t = 0): void {
    if (this.phase !== 'estop') {
      this.estopReason = reason;
      this.setPhase('estop', t);
    }
  }

  /** Clear the e-stop latch; control resumes through a fresh soft start from the measured pose. */
  reset(t = 0): void {
    if (this.phase !== 'estop') return;
    this.estopReason = '';
    this.phase = 'idle';
    this.start(t);
  }

  /** Soft stop: damp for softStopS, then `stopped` (still damping). */
  stop(t: number): void {
    if (this.phase === 'soft_stop' || this.phase === 'stopped') return;
    if (this.phase === 'estop') return; // the latch already damps; stay latched
    this.setPhase('soft_stop', t);
  }

  /** True once a soft stop has run its course (or the e-stop is latched, which is already a safe state). */
  get finished(): boolean {
    return this.phase === 'stopped';
  }

  /**
   * One tick. `state` is the fresh state or null (nothing new arrived). `desired` is the controller's command,
   * or null when there is none yet. Returns the command to send (owned by the layer; copy to keep).
   */
  update(t: number, state: RobotState | null, desired: RobotCommand | null): RobotCommand {
    const fired = this.firedThisTick;
    this.tickRunning = this.phase === 'running';
    fired.fill(0);
    const n = this.n;
    const out = this.out;

    // --- state freshness ---
    let fresh = false;
    if (state) {
      if (allFinite(state.jointPos) && allFinite(state.jointVel)) {
        fresh = true;
        this.lastPos.set(state.jointPos);
        this.lastVel.set(state.jointVel);
        this.hasState = true;
        this.lastFreshAt = t;
      } else {
        this.fire('bad_state', t, -1, NaN, NaN);
      }
    }
    this.staleTicks = fresh ? 0 : this.staleTicks + 1;
    const stale = this.staleTicks >= this.watchdogPeriods;

    switch (this.phase) {
      case 'idle':
      case 'stopped':
      case 'soft_stop':
      case 'estop': {
        if (this.phase === 'estop') this.fire('estop', t, -1, NaN, NaN);
        if (this.phase === 'soft_stop') {
          this.fire('soft_stop', t, -1, NaN, NaN);
          if (t - this.phaseStart >= this.softStopS) this.setPhase('stopped', t);
        }
        this.damping(out);
        break;
      }
      case 'watchdog': {
        this.fire('watchdog', t, -1, NaN, NaN);
        if (fresh) {
          // Fresh state again: resume from the measured pose through the (short) ramp, never jump to a stale target.
          this.start(t, this.resumeRampS);
        }
        this.damping(out);
        if ((this.phase as SafetyPhase) === 'soft_start' && fresh) this.rampTick(t, out);
        break;
      }
      case 'soft_start': {
        if (stale && this.hasState) {
          this.setPhase('watchdog', t);
          this.fire('watchdog', t, -1, NaN, NaN);
          this.damping(out);
          break;
        }
        if (!this.hasState) {
          // Nothing measured yet: we cannot know where to ramp from, so damp and wait.
          this.damping(out);
          break;
        }
        this.rampTick(t, out);
        break;
      }
      case 'running': {
        if (stale) {
          this.setPhase('watchdog', t);
          this.fire('watchdog', t, -1, NaN, NaN);
          this.damping(out);
          break;
        }
        if (!desired) {
          this.holdLastSafe(out);
          break;
        }
        if (!allFinite(desired.position) || !allFinite(desired.velocity) || !allFinite(desired.effort) || !allFinite(desired.kp) || !allFinite(desired.kd)) {
          this.fire('nonfinite', t, -1, NaN, NaN);
          this.holdLastSafe(out);
          break;
        }
        copyCommand(out, desired);
        if (out.mode !== 'position') break; // damping / zero_torque requests are already safe
        let overEffort = false;
        for (let i = 0; i < n; i++) {
          let q = out.position[i]!;
          const req = q;
          const lo = this.lim.lower[i]! + this.margin;
          const hi = this.lim.upper[i]! - this.margin;
          if (q < lo || q > hi) {
            q = q < lo ? lo : hi;
            this.fire('position_limit', t, i, req, q);
          }
          const prev = this.hasLastSafe && this.lastSafe.mode === 'position' ? this.lastSafe.position[i]! : this.lastPos[i]!;
          if (q - prev > this.maxStep || prev - q > this.maxStep) {
            const r = q;
            q = q > prev ? prev + this.maxStep : prev - this.maxStep;
            this.fire('max_step', t, i, r, q);
          }
          const vmax = this.lim.velocity[i]!;
          const v = out.velocity[i]!;
          if (v > vmax || v < -vmax) {
            out.velocity[i] = v > 0 ? vmax : -vmax;
            this.fire('velocity_limit', t, i, v, out.velocity[i]!);
          }
          const emax = this.lim.effort[i]!;
          if (emax < Infinity) {
            let ff = out.effort[i]!;
            if (ff > emax || ff < -emax) {
              const r = ff;
              ff = out.effort[i] = ff > 0 ? emax : -emax;
              this.fire('effort_limit', t, i, r, ff);
            }
            // The PD torque the drive will compute: the drive clamps it itself; we only count it (diagnostic).
            const tau = out.kp[i]! * (q - this.lastPos[i]!) + out.kd[i]! * (out.velocity[i]! - this.lastVel[i]!) + ff;
            if (tau > emax || tau < -emax) overEffort = true;
          }
          out.position[i] = q;
        }
        if (overEffort) this.diagnosticCounts.effort_estimate++;
        break;
      }
    }
    if (out.mode === 'position') {
      copyCommand(this.lastSafe, out);
      this.hasLastSafe = true;
    }
    // Edge-triggered messages: a kind that starts firing is reported once, not every tick.
    if (this.onEvent) {
      for (let k = 0; k < fired.length; k++) {
        if (fired[k] && !this.firedLastTick[k]) this.onEvent(`safety: ${INTERVENTION_KINDS[k]} at t=${t.toFixed(3)} s`);
      }
    }
    this.firedLastTick.set(fired);
    return out;
  }

  /** Events, oldest first (at most logSize). */
  events(): SafetyEvent[] {
    const size = this.ring.length;
    const res: SafetyEvent[] = [];
    for (let k = 0; k < this.ringCount; k++) res.push({ ...this.ring[(this.ringHead - this.ringCount + k + size) % size]! });
    return res;
  }

  /** Events logged after the first `seen` (as many as the ring still holds), and the new total. */
  eventsSince(seen: number): { events: SafetyEvent[]; total: number } {
    const all = this.events();
    const fresh = Math.min(this.totalEvents - seen, all.length);
    return { events: fresh > 0 ? all.slice(all.length - fresh) : [], total: this.totalEvents };
  }

  /** Counts of kinds that fired at least once. */
  interventions(): Partial<Record<InterventionKind, number>> {
    const r: Partial<Record<InterventionKind, number>> = {};
    for (const k of INTERVENTION_KINDS) if (this.counts[k]) r[k] = this.counts[k];
    return r;
  }

  /** Kinds that fired on ticks begun with the policy in control (see runningCounts). */
  interventionsWhileRunning(): Partial<Record<InterventionKind, number>> {
    const r: Partial<Record<InterventionKind, number>> = {};
    for (const k of INTERVENTION_KINDS) if (this.runningCounts[k]) r[k] = this.runningCounts[k];
    return r;
  }

  /** Diagnostic counters that fired at least once (the command was not changed for them). */
  diagnostics(): Partial<Record<DiagnosticKind, number>> {
    const r: Partial<Record<DiagnosticKind, number>> = {};
    for (const k of DIAGNOSTIC_KINDS) if (this.diagnosticCounts[k]) r[k] = this.diagnosticCounts[k];
    return r;
  }

  /** Ticks since the last fresh state. */
  get staleFor(): number {
    return this.staleTicks;
  }
  get lastFreshTime(): number {
    return this.lastFreshAt;
  }

  private rampTick(t: number, out: RobotCommand): void {
    const first = this.rampPending;
    if (this.rampPending) {
      this.rampFrom.set(this.lastPos);
      this.phaseStart = t;
      this.rampPending = false;
    }
    const T = this.rampS;
    const s = T > 0 ? Math.min(1, (t - this.phaseStart) / T) : 1;
    // Smoothstep: zero velocity at both ends of the ramp.
    const a = s * s * (3 - 2 * s);
    out.mode = 'position';
    // The ramp is scheduled in time, so after a stall (skipped cycles) its next point could be far from the last one
    // sent: the max step applies here too. The first point (the measured pose) is never clamped.
    const continuing = !first && this.hasLastSafe && this.lastSafe.mode === 'position';
    for (let i = 0; i < this.n; i++) {
      let q = this.rampFrom[i]! + (this.defaultPose[i]! - this.rampFrom[i]!) * a;
      if (continuing) {
        const prev = this.lastSafe.position[i]!;
        if (q - prev > this.maxStep || prev - q > this.maxStep) {
          const r = q;
          q = q > prev ? prev + this.maxStep : prev - this.maxStep;
          this.fire('max_step', t, i, r, q);
        }
      }
      out.position[i] = q;
      out.velocity[i] = 0;
      out.effort[i] = 0;
      out.kp[i] = this.kp[i]!;
      out.kd[i] = this.kd[i]!;
    }
    if (s >= 1) this.setPhase('running', t);
    else this.fire('soft_start', t, -1, NaN, NaN);
  }

  private damping(out: RobotCommand): void {
    out.mode = 'damping';
    for (let i = 0; i < this.n; i++) {
      out.position[i] = this.lastPos[i]!;
      out.velocity[i] = 0;
      out.effort[i] = 0;
      out.kp[i] = 0;
      out.kd[i] = this.dampingKd;
    }
  }

  private holdLastSafe(out: RobotCommand): void {
    if (this.hasLastSafe) copyCommand(out, this.lastSafe);
    else this.damping(out);
  }

  private fire(kind: InterventionKind, t: number, joint: number, requested: number, sent: number): void {
    const k = INTERVENTION_KINDS.indexOf(kind);
    if (!this.firedThisTick[k]) {
      this.firedThisTick[k] = 1;
      this.counts[kind]++;
      if (this.tickRunning) this.runningCounts[kind]++;
    }
    // Per-joint corrections are logged every time; whole-robot modes (watchdog, e-stop, ramps) only when they begin.
    if (joint < 0 && this.firedLastTick[k]) return;
    const e = this.ring[this.ringHead]!;
    e.t = t;
    e.kind = kind;
    e.joint = joint;
    e.requested = requested;
    e.sent = sent;
    this.ringHead = (this.ringHead + 1) % this.ring.length;
    this.totalEvents++;
    if (this.ringCount < this.ring.length) this.ringCount++;
  }

  private setPhase(p: SafetyPhase, t: number): void {
    if (this.phase === p) return;
    this.phase = p;
    this.phaseStart = t;
    this.onEvent?.(`safety: phase ${p}${p === 'estop' ? ` (${this.estopReason})` : ''} at t=${t.toFixed(3)} s`);
  }
}
