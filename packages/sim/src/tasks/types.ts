/**
 * A registered task: one file per task exporting a TaskDefinition (mujoco_playground style).
 * `defaultConfig()` is a fresh typed object each call; `create` builds an env from a resolved config.
 */
import type { DeepPartial } from '../env/config.ts';
import type { EnvOptions } from '../env/manager-env.ts';
import type { SpaceSpec, TaskEnv } from '../env/types.ts';

/** What the bridge needs to run a policy trained on this task on a real robot. */
export interface DeploySpec<R> {
  task: string;
  /** Joint order of observations and actions. */
  jointNames: string[];
  /** Default joint positions (rad or m), joint order. */
  defaultJointPos: Float32Array;
  /** 'position': target = default + actionScale·a; 'torque': effort = actionScale·a. Actuated joints only. */
  actionMode: 'position' | 'torque';
  actionScale: number;
  /** Action joints (may be a subset of jointNames, e.g. the cart-pole's slider). */
  actionJoints: string[];
  actionClip: number;
  /** PD gains the policy was trained with (N·m/rad, N·m·s/rad), joint order. */
  kp: Float32Array;
  kd: Float32Array;
  /** Control period (s). */
  controlDt: number;
  observationSpec: SpaceSpec;
  /**
   * Readings the observation needs beyond what robot hardware reports (joints, IMU, command, last action): e.g.
   * an object pose from a tracker. A deployment must supply each under its name; the bridge refuses to start a
   * policy whose task needs inputs it was not given, naming them.
   */
  externalInputs?: { name: string; size: number; unit: string; description: string }[];
  /** The actor observation from plain readings: the very function the env uses (without noise). */
  observe(input: R, out?: Float32Array): Float32Array;
}

export interface TaskDefinition<C = any, R = any> {
  name: string;
  description: string;
  defaultConfig(): C;
  create(config: C, opts?: EnvOptions): Promise<TaskEnv<C>>;
  /** Deployment facts for a config (default: defaultConfig()). */
  deploy(config?: C): DeploySpec<R>;
}

export type Overrides<C> = DeepPartial<C>;
