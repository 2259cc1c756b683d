/**
 * ControlLoop: read → update → safety → write on absolute deadlines (deadline_k = t0 + k·period) from a monotonic
 * clock, never "sleep after compute" (which drifts). Thread-agnostic: `startControlLoop` runs it in a dedicated
 * worker; tests can run it anywhere with an injected clock.
 *
 * Overrun policy when a tick wakes more than one period late:
 *  - 'skip': the missed cycles are not run; the grid is kept (next deadline is the next future grid point).
 *  - 'late-once': run once, late, then re-anchor the grid at now (ros2_control's behaviour).
 * A deadline is *missed* when a tick's work ends after the next tick's deadline, or a cycle is skipped.
 */
import type { HardwareInterface, RobotCommand, RobotState } from '../types.ts';
import { SafetyLayer } from '../safety/safety-layer.ts';
import { LatencyStats, type LatencySummary } from '../timing/latency-stats.ts';
import { nowS, sleepUntil, DEFAULT_SPIN_S } from '../timing/clock.ts';
import { CTRL, ESTOP_REASONS, PHASES } from './shared.ts';

export type OverrunPolicy = 'skip' | 'late-once';

export interface Controller {
  update(t: number, state: RobotState | null, active: boolean): RobotCommand | null;
  stats(): Record<string, unknown>;
  /** How often the action pipeline limited the policy (its normal job, reported apart from safety interventions). */
  limiting?(): Record<string, number>;
  /** The name of an external input (object pose, goal) that is missing or too old, or null: all fresh. */
  staleInput?(): string | null;
}

export interface TickInfo {
  tick: number;
  /** Scheduled time of this tick since the loop started (s). */
  t: number;
  latenessUs: number;
  execUs: number;
  /** Deadlines missed since the previous tick (0 normally). */
  missed: number;
  state: RobotState | null;
  sent: RobotCommand;
  written: boolean;
}

export interface ControlLoopOptions {
  hardware: HardwareInterface;
  safety: SafetyLayer;
  controller?: Controller;
  rateHz: number;
  overrun?: OverrunPolicy;
  /** Run everything but never call hardware.write. */
  dryRun?: boolean;
  /** Stop (soft stop) after this many seconds of loop time. Default: until STOP is set. */
  durationS?: number;
  /** Shared control cells (see CTRL). */
  control?: Int32Array;
  latency?: LatencyStats;
  exec?: LatencyStats;
  /** Give the event loop a turn after each tick when at least this much slack remains (s). Needed by hardware that
   *  does I/O on this thread (ROS, serial). null: never yield (sim, mock: shared memory only). */
  ioSliceMinSlackS?: number | null;
  /** Called every tick after write (recording ring). Must not allocate or block. */
  onTick?: (info: TickInfo) => void;
  /** Called roughly every `housekeepingS` in the I/O slice (publishing safety events, stats). */
  onHousekeeping?: () => void;
  housekeepingS?: number;
  spinS?: number;
  /**
   * A young-generation GC run in the slack after a tick, every `gcEveryS` (default 0.1 s). What little the loop
   * allocates (heap numbers from the clock) is then collected at a harmless moment instead of by an allocation
   * inside the final spin before a deadline. Null: leave GC to V8.
   */
  minorGc?: (() => void) | null;
  gcEveryS?: number;
  clock?: () => number;
  sleep?: (deadline: number) => number;
  log?: (msg: string) => void;
}

export interface LoopResult {
  ticks: number;
  missed: number;
  skipped: number;
  lateness: LatencySummary;
  exec: LatencySummary;
  writes: number;
  writeFailures: number;
  readErrors: number;
  controllerErrors: number;
  interventions: Record<string, number>;
  /** Interventions on ticks that began with the policy in control (phase running). */
  interventionsRunning: Record<string, number>;
  /** Safety estimates that changed nothing (e.g. the PD torque estimate over the effort limit), ticks. */
  safetyDiagnostics: Record<string, number>;
  /** The action pipeline's limiting (clip, position/effort clamp: policy steps; rate limit: substeps). */
  pipelineLimiting: Record<string, number>;
  finalPhase: string;
  estopReason: string;
  durationS: number;
  controller: Record<string, unknown>;
  hardware: Record<string, number>;
}

export class ControlLoop {
  readonly period: number;
  readonly latency: LatencyStats;
  readonly exec: LatencyStats;
  ticks = 0;
  missed = 0;
  skipped = 0;
  writes = 0;
  writeFailures = 0;
  readErrors = 0;
  controllerErrors = 0;
  /** Ticks on which an external input was stale (the safety layer saw no fresh state). */
  staleInputTicks = 0;
  private lastStaleInput: string | null = null;
  private stopRequested = false;
  private readonly o: ControlLoopOptions;
  private readonly control: Int32Array;
  private readonly clock: () => number;
  private readonly sleep: (deadline: number) => number;
  private lastReset = 0;
  private readonly info: TickInfo;

  constructor(o: ControlLoopOptions) {
    if (!(o.rateHz > 0)) throw new Error(`control loop: rate must be > 0 Hz, got ${o.rateHz}`);
    this.o = o;
    this.period = 1 / o.rateHz;
    this.latency = o.latency ?? new LatencyStats();
    this.exec = o.exec ?? new LatencyStats();
    this.control = o.control ?? new Int32Array(new SharedArrayBuffer(CTRL.SIZE * 4));
    this.clock = o.clock ?? nowS;
    const spin = o.spinS ?? DEFAULT_SPIN_S;
    this.sleep = o.sleep ?? ((d) => sleepUntil(d, spin));
    this.info = { tick: 0, t: 0, latenessUs: 0, execUs: 0, missed: 0, state: null, sent: null as unknown as RobotCommand, written: false };
  }

  /** Ask the loop to finish (soft stop first). Same as setting CTRL.STOP from another thread. */
  stop(): void {
    this.stopRequested = true;
  }

  async run(): Promise<LoopResult> {
    const { hardware: hw, safety, controller } = this.o;
    const ctl = this.control;
    const period = this.period;
    const overrun = this.o.overrun ?? 'skip';
    const duration = this.o.durationS ?? Infinity;
    const slack = this.o.ioSliceMinSlackS ?? null;
    const hkEvery = this.o.housekeepingS ?? 0.05;
    const log = this.o.log ?? (() => {});
    Atomics.store(ctl, CTRL.RUNNING, 1);
    const t0 = this.clock();
    let deadline = t0; // first tick runs now
    let tickT = 0; // scheduled loop time (s)
    let stopping = false;
    let stopAt = 0;
    let lastHk = t0;
    let lastGc = t0;
    const minorGc = this.o.minorGc ?? null;
    const gcEvery = this.o.gcEveryS ?? 0.1;
    let gcCost = 0.0005; // s, first guess; then measured
    const spinS = this.o.spinS ?? DEFAULT_SPIN_S;
    let missedSinceLast = 0;
    safety.start(0);
    for (;;) {
      const wake = this.sleep(deadline);
      let late = wake - deadline;
      // Overrun: we woke a whole period (or more) after this tick's deadline.
      if (late >= period) {
        const n = Math.floor(late / period);
        if (overrun === 'skip') {
          this.skipped += n;
          this.missed += n;
          missedSinceLast += n;
          deadline += n * period;
          tickT += n * period;
          late = wake - deadline;
        } else {
          this.missed += 1;
          missedSinceLast += 1;
          deadline = wake; // re-anchor: this late tick becomes the new grid origin (lateness stays as measured)
        }
      }
      this.latency.add(late * 1e6);
      const t = tickT;

      // --- external requests (e-stop, reset, stop) ---
      const es = Atomics.load(ctl, CTRL.ESTOP);
      if (es) {
        safety.estop(ESTOP_REASONS[es] ?? `code ${es}`, t);
        Atomics.store(ctl, CTRL.ESTOP, 0);
      }
      const rs = Atomics.load(ctl, CTRL.RESET);
      if (rs !== this.lastReset) {
        this.lastReset = rs;
        safety.reset(t);
      }
      if (!stopping && (this.stopRequested || Atomics.load(ctl, CTRL.STOP) || t >= duration)) {
        stopping = true;
        stopAt = t;
        safety.stop(t);
      }

      // --- read → update → safety → write ---
      let state: RobotState | null = null;
      try {
        state = hw.read(t, period);
      } catch (e) {
        this.readErrors++;
        if (this.readErrors === 1) log(`hardware read threw (counted, loop continues): ${(e as Error).message}`);
      }
      let desired: RobotCommand | null = null;
      if (controller) {
        try {
          desired = controller.update(t, state, safety.active);
        } catch (e) {
          this.controllerErrors++;
          if (this.controllerErrors === 1) log(`controller threw (counted, holding safe): ${(e as Error).message}`);
        }
      }
      // A stale external input (a tracker that stopped) makes the state as unusable as stale joints: the safety
      // layer sees no fresh state and, after its watchdog window, damps, exactly as for a silent robot.
      const staleInput = controller?.staleInput?.() ?? null;
      if (staleInput !== null) {
        this.staleInputTicks++;
        if (staleInput !== this.lastStaleInput) log(`external input "${staleInput}" is stale or missing: the safety layer treats the state as stale`);
      }
      this.lastStaleInput = staleInput;
      const sent = safety.update(t, staleInput === null ? state : null, desired);
      let written = false;
      if (!this.o.dryRun) {
        try {
          written = hw.write(t, period, sent);
        } catch {
          written = false;
        }
        if (written) this.writes++;
        else this.writeFailures++;
      }
      this.ticks++;
      const end = this.clock();
      this.exec.add((end - wake) * 1e6);
      const next = deadline + period;
      if (end > next) {
        this.missed++;
        missedSinceLast++;
      }
      if (this.o.onTick) {
        const inf = this.info;
        inf.tick = this.ticks - 1;
        inf.t = t;
        inf.latenessUs = late * 1e6;
        inf.execUs = (end - wake) * 1e6;
        inf.missed = missedSinceLast;
        inf.state = state;
        inf.sent = sent;
        inf.written = written;
        this.o.onTick(inf);
      }
      missedSinceLast = 0;
      Atomics.store(ctl, CTRL.TICKS, this.ticks);
      Atomics.store(ctl, CTRL.MISSED, this.missed);
      Atomics.store(ctl, CTRL.PHASE, PHASES.indexOf(safety.phase));
      deadline = next;
      tickT += period;

      if (stopping && (safety.finished || (safety.phase === 'estop' && t - stopAt >= period * 50))) break;

      // --- housekeeping and I/O, only with slack left before the next deadline ---
      const now = this.clock();
      if (now - lastHk >= hkEvery && deadline - now > period * 0.5) {
        lastHk = now;
        this.o.onHousekeeping?.();
      }
      // Only when the slack left covers twice what a minor GC has been costing (measured), plus the spin margin.
      if (minorGc && now - lastGc >= gcEvery) {
        const g0 = this.clock();
        if (deadline - g0 > 2 * gcCost + spinS) {
          lastGc = g0;
          minorGc();
          const c = this.clock() - g0;
          gcCost = c > gcCost ? c : gcCost * 0.9 + c * 0.1;
        }
      }
      if (slack !== null && deadline - this.clock() > slack) {
        await new Promise<void>((r) => setImmediate(r));
      }
    }
    Atomics.store(ctl, CTRL.RUNNING, 0);
    this.o.onHousekeeping?.();
    return {
      ticks: this.ticks,
      missed: this.missed,
      skipped: this.skipped,
      lateness: this.latency.summary(),
      exec: this.exec.summary(),
      writes: this.writes,
      writeFailures: this.writeFailures,
      readErrors: this.readErrors,
      controllerErrors: this.controllerErrors,
      interventions: safety.interventions() as Record<string, number>,
      interventionsRunning: safety.interventionsWhileRunning() as Record<string, number>,
      safetyDiagnostics: safety.diagnostics() as Record<string, number>,
      pipelineLimiting: controller?.limiting?.() ?? {},
      finalPhase: safety.phase,
      estopReason: safety.estopReason,
      durationS: this.clock() - t0,
      controller: controller ? { ...controller.stats(), ...(controller.staleInput ? { stale_input_ticks: this.staleInputTicks } : {}) } : {},
      hardware: safeStats(hw),
    };
  }
}

function safeStats(hw: HardwareInterface): Record<string, number> {
  try {
    return hw.stats();
  } catch {
    return {};
  }
}
