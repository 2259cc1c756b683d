/**
 * SimHardware: the s2r simulator (Rapier, the robot's URDF) running in real time in its own worker thread, as if it
 * were the robot — the sim2sim check before hardware. PD runs at the simulator's physics rate with the kp/kd of
 * each command. Faults are injected there with a seeded Rng: sensor noise, command latency, dropped packets (both
 * directions). It also knows the base position, so deploy can report distance travelled and falls.
 */
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '@s2r/core';
import type { HardwareInterface, RobotCommand, RobotState } from '../types.ts';
import { makeState } from '../command.ts';
import { nowS } from '../timing/clock.ts';
import { makeSimChannel, SIM_CTR, SIM_FLAG, cmdLen, stateLen, type SimChannel } from './sim-channel.ts';
import { MODES } from '../loop/tick-ring.ts';

/** The sim hardware's physics step (s) when neither a task scene nor the options set one. */
export const DEFAULT_SIM_PHYSICS_DT = 0.002;

/**
 * The physics step the sim hardware will run, the sim worker's rule: its task scene's when it builds one (z1-push
 * steps at 5 ms), else the option, else the default. The scene's step comes from the task's resolved config,
 * without building the scene.
 */
export async function simPhysicsDt(options: Pick<SimHardwareOptions, 'scene' | 'physicsDt'>): Promise<number> {
  if (!options.scene) return options.physicsDt ?? DEFAULT_SIM_PHYSICS_DT;
  const { resolveTaskConfig } = await import('@s2r/sim/tasks/registry.ts');
  return resolveTaskConfig<{ physicsDt: number }>(options.scene).physicsDt;
}

export interface SimNoise {
  /** Gaussian std per reading: joint position (rad), joint velocity (rad/s), gyro (rad/s), gravity (unit vector). */
  jointPos?: number;
  jointVel?: number;
  angVel?: number;
  gravity?: number;
}

/** legged_gym's noise at noise_level 1 (noise_scales × obs_scales): what `--noise 1` means. */
export const LEGGED_GYM_NOISE: Required<SimNoise> = { jointPos: 0.01, jointVel: 1.5 * 0.05, angVel: 0.2 * 0.25, gravity: 0.05 };

export interface SimHardwareOptions {
  /** URDF path of the robot. */
  urdf: string;
  /** Physics step (s). Default DEFAULT_SIM_PHYSICS_DT (PD at 500 Hz; stable for Go1 up to Kp 100 / Kd 2 per REFERENCE.md). */
  physicsDt?: number;
  flavor?: 'compat' | 'simd' | 'deterministic';
  /** Pose (rad) the robot spawns in, by joint name; others 0. */
  spawnPose?: Record<string, number>;
  /** Base spawn height (m): the robot's s2r.json spawnHeight. Required for a floating base; a fixed base sits at 0. */
  baseHeight?: number;
  fixedBase?: boolean;
  /** Gains holding the spawn pose until the first command arrives; 0 = limp (zero torque). */
  holdKp?: number;
  holdKd?: number;
  noise?: SimNoise;
  /** One-way command latency (ms). */
  latencyMs?: number;
  /** Probability that a command packet, or a state packet, is lost. */
  dropRate?: number;
  seed?: number;
  /** A fall: the base tilts more than this (rad) from upright, or drops below fallHeightFrac × baseHeight. */
  fallTiltRad?: number;
  fallHeightFrac?: number;
  friction?: number;
  /** 'pd' (JS PD, exact effort) or 'motor' (Rapier's implicit motor; light arm links need it). Default 'pd'. */
  actuator?: 'pd' | 'motor';
  /** Scheduling of the simulator thread (default SCHED_FIFO 49, just below the control thread; fallback nice −5). */
  priority?: import('../timing/priority.ts').ThreadPriority;
  /** Physics steps run on a throwaway world during configure() so the wasm is optimised before real time. Default 1500. */
  warmupSteps?: number;
  /** Extra Rapier PGS iterations (REFERENCE: 4 settles the Go1). */
  internalPgsIterations?: number;
  /** Rapier solver iterations (default Rapier's 4; the Go1 training tasks use 2). */
  solverIterations?: number;
  /**
   * A task whose scene surrounds the robot (z1-push: the table, the block and its goal), drawn with `seed` as the
   * env's reset draws it. The robot is then the task's own (its physics step, actuator, spawn pose), the states carry
   * the task's external inputs (RobotState.inputs), and stats() reports whether the task succeeded.
   */
  scene?: string;
}

export class SimHardware implements HardwareInterface {
  readonly name = 'sim';
  jointNames: readonly string[] = [];
  inputs: readonly string[] = [];
  private worker: Worker | null = null;
  private ch: SimChannel | null = null;
  private flags!: Int32Array;
  private st!: Float64Array;
  private cmd!: Float64Array;
  private ctr!: Float64Array;
  private state!: RobotState;
  /** Sequence of the last state returned. 0 = the slot was never written: nothing to return yet. */
  private lastSeq = 0;
  private reads = 0;
  private stale = 0;
  private torn = 0;
  private writes = 0;
  private ready: Promise<void> | null = null;

  constructor(readonly options: SimHardwareOptions) {
    if (!options.urdf) throw new Error('sim hardware: options.urdf (the robot URDF path) is required');
    const d = options.dropRate ?? 0;
    if (!(d >= 0 && d < 1)) throw new Error(`sim hardware: dropRate must be in [0, 1), got ${d}`);
    if ((options.latencyMs ?? 0) < 0) throw new Error(`sim hardware: latencyMs must be ≥ 0, got ${options.latencyMs}`);
    if (!options.fixedBase && options.baseHeight === undefined) {
      throw new Error(`sim hardware: options.baseHeight (m, s2r.json spawnHeight) is required for the floating base of ${options.urdf}`);
    }
  }

  async configure(): Promise<void> {
    if (this.ready) return this.ready;
    this.ready = new Promise<void>((resolve, reject) => {
      const w = spawnWorker(new URL('./sim-worker.ts', import.meta.url), { options: this.options });
      this.worker = w;
      w.on('message', (m: any) => {
        if (m.type === 'ready') {
          this.jointNames = m.jointNames;
          this.ch = m.channel as SimChannel;
          const n = this.ch.n;
          this.flags = new Int32Array(this.ch.flags);
          this.st = new Float64Array(this.ch.state);
          this.cmd = new Float64Array(this.ch.command);
          this.ctr = new Float64Array(this.ch.counters);
          this.state = makeState(n);
          this.state.imu = { angVel: [0, 0, 0], projectedGravity: [0, 0, -1], quat: [0, 0, 0, 1] };
          this.state.baseLinVel = [0, 0, 0];
          this.state.basePosition = [0, 0, 0];
          this.inputs = this.ch.inputs.map((e) => e.name);
          if (this.inputs.length) this.state.inputs = Object.fromEntries(this.ch.inputs.map((e) => [e.name, new Float64Array(e.size)]));
          resolve();
        } else if (m.type === 'fatal') {
          reject(new Error(`sim hardware: ${m.message}`));
          void w.terminate();
        }
      });
      w.on('error', reject);
      w.on('exit', (code) => reject(new Error(`sim hardware: simulator thread exited (${code}) during configure`)));
    });
    return this.ready;
  }

  async activate(): Promise<void> {
    if (!this.ch) throw new Error('sim hardware: activate() before configure()');
    Atomics.store(this.flags, SIM_FLAG.ACTIVE, 1);
    Atomics.notify(this.flags, SIM_FLAG.ACTIVE);
  }

  read(_t?: number, _period?: number): RobotState | null {
    this.reads++;
    const f = this.flags;
    for (let attempt = 0; attempt < 3; attempt++) {
      const s1 = Atomics.load(f, SIM_FLAG.STATE_SEQ);
      if (s1 & 1) continue; // being written
      if (s1 === this.lastSeq) {
        this.stale++;
        return null; // nothing new since the last read
      }
      const st = this.st;
      const s = this.state;
      const n = s.jointPos.length;
      s.stamp = st[0]!;
      for (let i = 0; i < n; i++) {
        s.jointPos[i] = st[1 + i]!;
        s.jointVel[i] = st[1 + n + i]!;
        s.jointEffort[i] = st[1 + 2 * n + i]!;
      }
      let o = 1 + 3 * n;
      const imu = s.imu!;
      for (let i = 0; i < 3; i++) imu.angVel[i] = st[o + i]!;
      o += 3;
      for (let i = 0; i < 3; i++) imu.projectedGravity[i] = st[o + i]!;
      o += 3;
      for (let i = 0; i < 4; i++) imu.quat![i] = st[o + i]!;
      o += 4;
      for (let i = 0; i < 3; i++) s.baseLinVel![i] = st[o + i]!;
      o += 3;
      for (let i = 0; i < 3; i++) s.basePosition![i] = st[o + i]!;
      o += 3;
      for (const e of this.ch!.inputs) {
        const v = s.inputs![e.name] as Float64Array;
        for (let i = 0; i < e.size; i++) v[i] = st[o + i]!;
        o += e.size;
      }
      if (Atomics.load(f, SIM_FLAG.STATE_SEQ) !== s1) {
        this.torn++;
        continue;
      }
      this.lastSeq = s1;
      s.receivedAt = nowS();
      return s;
    }
    return null;
  }

  write(_t: number, _period: number, c: RobotCommand): boolean {
    if (!this.ch) return false;
    const f = this.flags;
    const n = c.position.length;
    Atomics.add(f, SIM_FLAG.CMD_SEQ, 1); // odd: writing
    const b = this.cmd;
    b[0] = MODES.indexOf(c.mode);
    b.set(c.position, 1);
    b.set(c.velocity, 1 + n);
    b.set(c.effort, 1 + 2 * n);
    b.set(c.kp, 1 + 3 * n);
    b.set(c.kd, 1 + 4 * n);
    Atomics.add(f, SIM_FLAG.CMD_SEQ, 1); // even: complete
    this.writes++;
    return true;
  }

  async deactivate(): Promise<void> {
    if (!this.worker) return;
    const w = this.worker;
    this.worker = null;
    if (!this.flags) {
      await w.terminate(); // never configured (or configure failed)
      return;
    }
    const exited = new Promise<void>((r) => w.once('exit', () => r()));
    Atomics.store(this.flags, SIM_FLAG.STOP, 1);
    Atomics.notify(this.flags, SIM_FLAG.ACTIVE);
    const timer = setTimeout(() => void w.terminate(), 2000);
    await exited;
    clearTimeout(timer);
  }

  stats(): Record<string, number> {
    const c = this.ctr;
    return {
      reads: this.reads,
      stale_reads: this.stale,
      torn_reads: this.torn,
      writes: this.writes,
      physics_steps: c ? c[SIM_CTR.STEPS]! : 0,
      commands_applied: c ? c[SIM_CTR.CMDS_APPLIED]! : 0,
      commands_dropped: c ? c[SIM_CTR.CMDS_DROPPED]! : 0,
      states_dropped: c ? c[SIM_CTR.STATES_DROPPED]! : 0,
      falls: c ? c[SIM_CTR.FALLS]! : 0,
      physics_max_lag_us: c ? c[SIM_CTR.MAX_LAG_US]! : 0,
      physics_reanchors: c ? c[SIM_CTR.REANCHORS]! : 0,
      ...(this.options.scene && c ? { task_success: c[SIM_CTR.TASK_SUCCESS]!, task_success_at_s: c[SIM_CTR.TASK_SUCCESS]! ? c[SIM_CTR.TASK_SUCCESS_AT]! : -1 } : {}),
    };
  }
}

export { stateLen, cmdLen };
