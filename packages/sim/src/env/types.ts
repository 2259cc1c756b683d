/**
 * Gymnasium-style environment contracts. Observations and actions are flat Float32Arrays whose layout is
 * described by named specs, so every consumer (trainer, artifact, bridge, viewer) agrees on what each slot is.
 */
import type { Rng } from '../rng.ts';

export interface SpecTerm {
  /** e.g. 'base_lin_vel', 'joint_pos_rel', 'last_action'. */
  name: string;
  size: number;
  /** Unit of the values, e.g. 'm/s', 'rad', 'rad/s', '1' (dimensionless). */
  unit: string;
  /** Optional per-element bounds; default ±Infinity. */
  low?: number;
  high?: number;
  /** Optional per-element labels, e.g. joint names. */
  labels?: string[];
}

export interface SpaceSpec {
  /** Terms in order; the flat vector is their concatenation. */
  terms: SpecTerm[];
  size: number;
}

export interface ActionSpec {
  size: number;
  /** Joint names in action order. */
  joints: string[];
  low: number;
  high: number;
  /** How an action becomes a command: 'position' means target = default + scale·a; 'torque' means τ = scale·a. */
  mode: 'position' | 'torque';
  scale: number;
  unit: string;
}

export interface StepResult {
  obs: Float32Array;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: StepInfo;
}

export interface StepInfo {
  /** Per reward term value for this step (already weighted and multiplied by dt). */
  rewardTerms: Record<string, number>;
  /** Set on tasks with a success criterion (e.g. z1-push). */
  success?: boolean;
  /** Privileged observation for an asymmetric critic, if the task defines one. */
  privileged?: Float32Array;
  [key: string]: unknown;
}

export interface Env {
  readonly name: string;
  readonly observationSpec: SpaceSpec;
  /** Privileged group the critic may see; null if none. */
  readonly privilegedSpec: SpaceSpec | null;
  readonly actionSpec: ActionSpec;
  readonly physicsDt: number;
  readonly decimation: number;
  /** Control period: physicsDt × decimation (s). */
  readonly dt: number;
  /** Steps before truncation. */
  readonly maxEpisodeSteps: number;
  reset(seed?: number | Rng): { obs: Float32Array; info: StepInfo };
  step(action: ArrayLike<number>): StepResult;
  /** Free the physics world (WASM memory has one owner). */
  close(): void;
}
