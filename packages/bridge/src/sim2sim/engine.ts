/**
 * A physics engine stepped in lock-step by sim2sim (not in real time): it holds the last command, runs the PD of
 * that command every physics step (τ = Kp·(q* − q) + Kd·(q̇* − q̇) + τff, clamped to the URDF effort limit) and
 * reports a RobotState exactly as the sim hardware does (world-frame base velocity, base-frame gyro and gravity,
 * quaternion [x, y, z, w]). Two implementations: Rapier (the training simulator) and MuJoCo WASM.
 */
import type { RobotCommand, RobotState } from '../types.ts';

export interface EngineOptions {
  urdf: string;
  /** Physics step (s). */
  dt: number;
  /** Base spawn height (m). */
  baseHeight: number;
}

export interface Engine {
  readonly name: string;
  /** Actuated joints, URDF order (the "hardware" order). */
  readonly jointNames: readonly string[];
  /** Spawn: joint positions (URDF order), base at (0, 0, baseHeight) with yaw (rad), at rest. */
  reset(q: ArrayLike<number>, yaw: number): void;
  /** The command the PD tracks from now on. */
  apply(cmd: RobotCommand): void;
  step(): void;
  /** Fill `s` with the current (noise-free) readings. */
  read(s: RobotState): void;
  dispose(): void;
}

/** Rotate v by the inverse of unit quaternion q = [x, y, z, w] (world → body). */
export function rotateInv(q: ArrayLike<number>, v: ArrayLike<number>, out: number[]): number[] {
  const x = -q[0]!, y = -q[1]!, z = -q[2]!, w = q[3]!;
  const vx = v[0]!, vy = v[1]!, vz = v[2]!;
  // t = 2·(q × v); v' = v + w·t + q × t
  const tx = 2 * (y * vz - z * vy), ty = 2 * (z * vx - x * vz), tz = 2 * (x * vy - y * vx);
  out[0] = vx + w * tx + (y * tz - z * ty);
  out[1] = vy + w * ty + (z * tx - x * tz);
  out[2] = vz + w * tz + (x * ty - y * tx);
  return out;
}
