/**
 * The deploy contract: what a trained policy needs from its task to run on a robot (default pose, gains, rates and
 * the action pipeline's settings). The sim's tasks produce it, artifacts store its data part, the bridge runs it.
 * Units: rad (m for prismatic joints), rad/s, N·m/rad, N·m·s/rad, s.
 */
import type { ActionMode, SpaceSpec } from './spaces.ts';

/**
 * Settings of the action pipeline (packages/core/src/action/pipeline.ts), in action-joint order. JSON-safe: `null`
 * means "no limit" (JSON has no Infinity), so an artifact stores this object as is.
 */
export interface ActionPipelineSpec {
  mode: ActionMode;
  /** Action joints, in action order. */
  joints: string[];
  /** Actions are clipped to [low, high] (action units) before anything else. */
  low: number;
  high: number;
  /** command = offset + scale·a. */
  scale: number;
  /** Default pose (rad or m) in position mode; 0 in torque mode. */
  offset: number[];
  /** Position mode: joint position limits (rad or m). Torque mode: −effort / +effort limit (N·m or N). null: none. */
  lower: (number | null)[];
  upper: (number | null)[];
  /** Max rate of the position target (rad/s or m/s), applied per physics substep; null: none. Torque mode: all null. */
  maxRate: (number | null)[];
  /** The physics substep (s) on whose grid the rate limit is applied (the env's physicsDt). */
  substepDt: number;
}

/** The data part of the deploy contract: everything but the observation function. Stored in artifacts. */
export interface DeployFacts {
  task: string;
  /** Joint order of observations (may include joints the action does not drive, e.g. the cart-pole's hinge). */
  jointNames: string[];
  /** Default joint positions (rad or m), `jointNames` order. */
  defaultJointPos: number[];
  /** PD gains the policy was trained with (N·m/rad, N·m·s/rad), `jointNames` order; zeros in torque mode. */
  kp: number[];
  kd: number[];
  /** Policy period (s): physicsDt × decimation. */
  controlDt: number;
  /** Physics step (s): the grid of the rate limit. */
  physicsDt: number;
  observationSpec: SpaceSpec;
  pipeline: ActionPipelineSpec;
  /**
   * Readings the observation needs beyond what robot hardware reports (joints, IMU, command, last action): e.g.
   * an object pose from a tracker. A deployment must supply each under its name.
   */
  externalInputs?: { name: string; size: number; unit: string; description: string }[];
}

/** What the bridge needs to run a policy trained on a task: the facts plus the task's pure observation. */
export interface DeploySpec<R> extends DeployFacts {
  /** The actor observation from plain readings: the very function the env uses (without noise). */
  observe(input: R, out?: Float32Array): Float32Array;
}
