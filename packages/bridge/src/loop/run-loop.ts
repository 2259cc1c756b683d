/**
 * Main-thread handle on a control loop running in its own worker thread.
 * `startControlLoop` spawns the worker, and gives the caller: e-stop / reset / stop (shared-memory flags, honoured
 * on the very next tick), live timing figures (read from shared histograms, costing the loop nothing), a drain for
 * the per-tick records, and the final LoopResult.
 */
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '@s2r/core';
import type { HardwareSpec } from '../hardware/registry.ts';
import type { PolicySource } from '../policy/types.ts';
import type { CommandStep } from '../policy/command-schedule.ts';
import type { SafetyConfig, SafetyEvent } from '../safety/safety-layer.ts';
import { LatencyStats, type LatencySummary } from '../timing/latency-stats.ts';
import type { LoopResult, OverrunPolicy } from './control-loop.ts';
import type { Between } from './policy-controller.ts';
import type { EnsembleChoice } from './action-source.ts';
import { CTRL, PHASES } from './shared.ts';
import type { ThreadPriority } from '../timing/priority.ts';
import { TickRing, type TickRecord, type TickRingBuffers } from './tick-ring.ts';

export interface RobotLimitsData {
  names: string[];
  lower: number[];
  upper: number[];
  velocity: number[];
  effort: number[];
}

/** SafetyConfig's tunables (same meaning and defaults), plus a hold pose and gains by joint name for policy-less runs. */
export type SafetyOptions = Partial<Pick<SafetyConfig, 'maxStep' | 'positionMargin' | 'watchdogPeriods' | 'softStartS' | 'resumeRampS' | 'softStopS' | 'dampingKd'>> & {
  /** Only used without a policy (hold a pose): by joint name or in hardware order. */
  defaultPose?: Record<string, number> | number[];
  kp?: Record<string, number> | number[] | number;
  kd?: Record<string, number> | number[] | number;
};

export interface LoopWorkerData {
  hardware: HardwareSpec;
  policy: PolicySource | null;
  robotName: string;
  robotLimits: RobotLimitsData;
  loop: {
    rateHz: number;
    policyRateHz: number;
    overrun: OverrunPolicy;
    dryRun: boolean;
    durationS: number;
    between: Between;
    inference: 'auto' | 'inline' | 'worker';
    /** Temporal ensembling of chunks (action-source.ts): the artifact's setting unless overridden. */
    ensemble?: EnsembleChoice;
    /** An external input older than this (s) counts as stale (policy-controller.ts). */
    inputTimeoutS?: number;
    commands: CommandStep[];
    ioSliceMinSlackS?: number;
    priority?: ThreadPriority;
    /** Seconds before each deadline the loop stops sleeping and spins (default 0.0002). */
    spinS?: number;
    /** Policy calls made before real time to JIT-compile it (default 300). */
    warmupCalls?: number;
    /** Ticks of the whole loop run on a simulated clock against a mock robot before real time (default 3000). */
    warmupTicks?: number;
  };
  safety: SafetyOptions;
  shared: { control: SharedArrayBuffer; latency: SharedArrayBuffer; exec: SharedArrayBuffer };
  ringSlots?: number;
  verboseSafety?: boolean;
}

export interface StartLoopOptions {
  hardware: HardwareSpec;
  policy?: PolicySource | null;
  robotName: string;
  robotLimits: RobotLimitsData;
  rateHz: number;
  /** Default: rateHz / 10. */
  policyRateHz?: number;
  overrun?: OverrunPolicy;
  dryRun?: boolean;
  durationS?: number;
  between?: Between;
  inference?: 'auto' | 'inline' | 'worker';
  ensemble?: EnsembleChoice;
  inputTimeoutS?: number;
  commands?: CommandStep[];
  safety?: SafetyOptions;
  /** Seconds before each deadline the control thread stops sleeping and spins (default 0.0002 s). */
  spinS?: number;
  /** Scheduling of the control thread. Default SCHED_FIFO 50 (ros2_control's), falling back to nice −10. */
  priority?: ThreadPriority;
  ringSlots?: number;
  /** Print safety phase changes and first interventions as they happen. */
  verboseSafety?: boolean;
  onLog?: (msg: string) => void;
  onSafety?: (events: SafetyEvent[], counts: Record<string, number>) => void;
}

export interface LiveFigures {
  ticks: number;
  missed: number;
  phase: string;
  lateness: LatencySummary;
  exec: LatencySummary;
}

export interface LoopHandle {
  /** Resolves once hardware is configured, joints are checked and the loop is about to start. */
  readonly started: Promise<{ jointNames: string[] }>;
  /** Resolves with the final result (rejects on a setup error such as a joint mismatch). */
  readonly done: Promise<LoopResult & { ringDropped: number }>;
  estop(reason?: keyof typeof ESTOP_CODE): void;
  /** Explicitly clear the e-stop latch (the robot soft-starts again). */
  reset(): void;
  stop(): void;
  live(): LiveFigures;
  /** Drain per-tick records (after `started`). */
  drain(fn: (r: TickRecord) => void): number;
  readonly worker: Worker;
}

/** Reason codes written to CTRL.ESTOP: each one's index in ESTOP_REASONS (4 is the ROS e-stop topic's). */
const ESTOP_CODE = { api: 1, SIGINT: 2, 'stdin key': 3, SIGTERM: 5, SIGHUP: 6 } as const;

export function startControlLoop(o: StartLoopOptions): LoopHandle {
  const control = new SharedArrayBuffer(CTRL.SIZE * 4);
  const ctl = new Int32Array(control);
  const latency = new SharedArrayBuffer(LatencyStats.BYTES);
  const exec = new SharedArrayBuffer(LatencyStats.BYTES);
  const latStats = new LatencyStats(latency);
  const execStats = new LatencyStats(exec);
  const data: LoopWorkerData = {
    hardware: o.hardware,
    policy: o.policy ?? null,
    robotName: o.robotName,
    robotLimits: o.robotLimits,
    loop: {
      rateHz: o.rateHz,
      policyRateHz: o.policyRateHz ?? o.rateHz / 10,
      overrun: o.overrun ?? 'skip',
      dryRun: o.dryRun ?? false,
      durationS: o.durationS ?? Infinity,
      between: o.between ?? 'hold',
      inference: o.inference ?? 'auto',
      ensemble: o.ensemble ?? 'artifact',
      ...(o.inputTimeoutS !== undefined ? { inputTimeoutS: o.inputTimeoutS } : {}),
      commands: o.commands ?? [],
      priority: o.priority,
      spinS: o.spinS,
    },
    safety: o.safety ?? {},
    shared: { control, latency, exec },
    ringSlots: o.ringSlots,
    verboseSafety: o.verboseSafety,
  };
  const worker = spawnWorker(new URL('./loop-worker.ts', import.meta.url), data as unknown as Record<string, unknown>);
  let ring: TickRing | null = null;
  let resolveStarted!: (v: { jointNames: string[] }) => void;
  let rejectStarted!: (e: Error) => void;
  const started = new Promise<{ jointNames: string[] }>((res, rej) => {
    resolveStarted = res;
    rejectStarted = rej;
  });
  started.catch(() => {}); // the same error surfaces through `done`
  const done = new Promise<LoopResult & { ringDropped: number }>((resolve, reject) => {
    let finished = false;
    worker.on('message', (m: any) => {
      if (m.type === 'started') {
        ring = new TickRing(m.ring as TickRingBuffers);
        resolveStarted({ jointNames: m.jointNames });
      } else if (m.type === 'log') o.onLog?.(m.msg);
      else if (m.type === 'safety') o.onSafety?.(m.events, m.counts);
      else if (m.type === 'done') {
        finished = true;
        resolve(m.result);
        void worker.terminate();
      } else if (m.type === 'fatal') {
        finished = true;
        const e = new Error(m.message);
        rejectStarted(e);
        reject(e);
        void worker.terminate();
      }
    });
    worker.on('error', (e) => {
      finished = true;
      rejectStarted(e);
      reject(e);
    });
    worker.on('exit', (code) => {
      if (!finished) {
        const e = new Error(`control loop worker exited with code ${code} before finishing`);
        rejectStarted(e);
        reject(e);
      }
    });
  });
  return {
    started,
    done,
    worker,
    estop(reason = 'api') {
      Atomics.store(ctl, CTRL.ESTOP, ESTOP_CODE[reason]);
    },
    reset() {
      Atomics.add(ctl, CTRL.RESET, 1);
    },
    stop() {
      Atomics.store(ctl, CTRL.STOP, 1);
    },
    live() {
      return {
        ticks: Atomics.load(ctl, CTRL.TICKS),
        missed: Atomics.load(ctl, CTRL.MISSED),
        phase: PHASES[Atomics.load(ctl, CTRL.PHASE)] ?? '?',
        lateness: latStats.summary(),
        exec: execStats.summary(),
      };
    },
    drain(fn) {
      return ring ? ring.drain(fn) : 0;
    },
  };
}
