/**
 * The randomizable state an env exposes to DR terms (dr/registry.ts): the drawn values beside the nominal ones, and
 * the world and robot the terms write into. ManagerEnv implements DrTarget.
 */
import type { RobotSim, SimWorld } from '../physics/types.ts';
import type { Vec3 } from '@s2r/core';

export const STANDARD_GRAVITY = 9.81; // m/s²

/** The randomizable state an env exposes to DR events. Nominal values live beside the drawn ones. */
export interface DrState {
  friction: number;
  restitution: number;
  /** Per link (robot.linkNames order). */
  linkMassScale: Float32Array;
  addedBaseMass: number; // kg
  comOffset: Vec3; // m, base frame
  kpScale: number;
  kdScale: number;
  motorStrength: Float32Array; // per joint
  jointPosOffset: Float32Array; // rad per joint (encoder bias)
  actionLatency: number; // control steps
  gravity: Vec3; // m/s², world frame
}

/** What the registered DR terms read and write (ManagerEnv implements it). */
export interface DrTarget {
  readonly world: SimWorld;
  readonly robot: RobotSim;
  /** PD gains before the DR gain scales, robot joint order (N·m/rad, N·m·s/rad). */
  readonly nominalKp: Float32Array;
  readonly nominalKd: Float32Array;
  /** Drawn DR values of this episode, beside the nominal ones. */
  readonly dr: DrState;
  /** Control steps of action history kept for the latency term (0 when it is off). */
  readonly maxActionLatency: number;
}

export function nominalDrState(robot: RobotSim, nominalFriction = 1, nominalRestitution = 0): DrState {
  return {
    friction: nominalFriction,
    restitution: nominalRestitution,
    linkMassScale: new Float32Array(robot.linkNames.length).fill(1),
    addedBaseMass: 0,
    comOffset: [0, 0, 0],
    kpScale: 1,
    kdScale: 1,
    motorStrength: new Float32Array(robot.dof).fill(1),
    jointPosOffset: new Float32Array(robot.dof),
    actionLatency: 0,
    gravity: [0, 0, -STANDARD_GRAVITY],
  };
}

/**
 * What the joint encoders report: the true angle plus the encoder-bias term's offset (rad; zeros while that term is
 * off). The one place the bias enters a task's readings; on the action side ManagerEnv hands the same offsets to
 * the pipeline, whose actuator tracks the measured angle.
 */
export function readEncoders(dr: DrState, jointPos: ArrayLike<number>, out: Float32Array): Float32Array {
  const off = dr.jointPosOffset;
  for (let i = 0; i < jointPos.length; i++) out[i] = jointPos[i]! + off[i]!;
  return out;
}
