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

export interface DrTarget {
  readonly world: SimWorld;
  readonly robot: RobotSim;
  readonly nominalKp: Float32Array;
  readonly nominalKd: Float32Array;
  readonly dr: DrState;
  /** Maximum latency the env's action buffer holds (control steps). */
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
