/**
 * What the control loop needs from a policy at deploy time, whatever trained it (PPO MLP, diffusion, residual).
 * Arrays are in the policy's own joint order (`jointNames`); the loop maps them to the hardware's order by name.
 * Units: rad, rad/s, N·m/rad, N·m·s/rad.
 */
/**
 * The readings the controller keeps (policy joint order): @s2r/core's Readings, the same shape the env's tasks
 * observe (LeggedReadings plus base linear velocity and the default pose).
 */
export type { Readings as ObsInput, ChunkSpec } from '@s2r/core';
import type { ActionPipelineSpec, ChunkSpec, Readings as ObsInput } from '@s2r/core';

export interface DeployPolicy {
  /** Action joint order. */
  jointNames: readonly string[];
  obsSize: number;
  actSize: number;
  /** Default joint pose (rad), policy order: where the soft start ends and the rate limiter starts. */
  defaultPose: Float64Array;
  /**
   * The action pipeline the policy was trained behind (clip bounds, scale and offset, limits, rate limit, substep
   * grid), in policy joint order: the controller runs it exactly as the env did.
   */
  pipeline: ActionPipelineSpec;
  kp: Float64Array;
  kd: Float64Array;
  /** The rate the policy was trained at (Hz), if the artifact says; the loop warns when deploying at another. */
  policyRate?: number;
  /** Pure observation function (the task's, or one built from the observation spec). */
  observe(input: ObsInput, out: Float32Array): void;
  /** Single-step policies. Must be synchronous: it runs on the control thread or in the inference worker. */
  act?(obs: Float32Array): ArrayLike<number>;
  /** Chunked policies: history of `chunk.obsHistory` observations → H×A actions, flat row-major. */
  actChunk?(obsHistory: Float32Array[]): ArrayLike<number> | Promise<ArrayLike<number>>;
  chunk?: ChunkSpec;
  /** The task it was trained on, when known (the sim hardware builds that task's scene around the robot). */
  task?: string;
  /**
   * Readings the observation needs beyond the robot's own (DeployFacts.externalInputs): each must come from the
   * hardware (RobotState.inputs) under its name, or the deploy refuses to start, naming it.
   */
  inputs?: { name: string; size: number; unit: string; description: string }[];
  /**
   * Per-step correction on the control thread, after the action source: writes the action to execute for `obs`
   * given the queued one. Residual policies over a chunked base use it as ResiP deploys them — the base chunk
   * comes through the queue (inference worker), the residual MLP (µs) refines every policy step.
   */
  refine?(obs: Float32Array, action: Float32Array, out: Float32Array): void;
  reset(): void;
  /** JIT warm-up before real time (run by the inference worker before it reports ready). */
  warmup?(): void | Promise<void>;
  /** Free resources (tensors, sessions). */
  dispose?(): void;
}

/**
 * Where a policy comes from. Policies are (re)loaded inside the thread that runs them, so a source is plain data:
 * an artifact path (loaded with @s2r/policies' loadPolicy) or a module exporting a factory (tests, custom code).
 */
export type PolicySource =
  | { artifact: string; task?: string }
  /** An ONNX file with its layout (preset or file), resolved against the robot URDF; see policy/onnx.ts. */
  | { onnx: string; layout: string; robot: string; jointOrder?: string[]; zeroTerms?: string[]; measures?: string[] }
  | { module: string; export?: string; options?: unknown };
