/**
 * What the control loop needs from a policy at deploy time, whatever trained it (PPO MLP, diffusion, residual).
 * Arrays are in the policy's own joint order (`jointNames`); the loop maps them to the hardware's order by name.
 * Units: rad, rad/s, N·m/rad, N·m·s/rad.
 */
export interface ObsInput {
  /** Joint positions / velocities in policy joint order (rad, rad/s). */
  jointPos: Float64Array;
  jointVel: Float64Array;
  defaultPose: Float64Array;
  /** Base angular velocity in the base frame (rad/s) and unit gravity in the base frame, from the IMU. */
  angVel: Float64Array;
  projectedGravity: Float64Array;
  /** Base linear velocity in the base frame (m/s), when the hardware knows it (sims); zeros otherwise. */
  linVel: Float64Array;
  /** Velocity command [vx m/s, vy m/s, yaw rate rad/s]. */
  commands: Float64Array;
  /** The previous raw policy action. */
  lastAction: Float32Array;
}

export interface ChunkSpec {
  /** Actions per chunk (H). */
  horizon: number;
  /** Actions executed before the next chunk is used (receding horizon). */
  execute: number;
  /** Observations fed to actChunk (most recent last). */
  obsHistory: number;
}

export interface DeployPolicy {
  /** Action joint order. */
  jointNames: readonly string[];
  obsSize: number;
  actSize: number;
  /** Default joint pose (rad), policy order. */
  defaultPose: Float64Array;
  /** target = default + actionScale · action (position mode); τ = actionScale · action (torque mode). */
  actionScale: number;
  actionMode: 'position' | 'torque';
  /**
   * Action bounds the policy was trained under (action units): the env clips every action to them before using
   * it and observes the clipped one as `last_action`, so the controller does the same. Absent: unbounded.
   */
  actionLow?: number;
  actionHigh?: number;
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
  /**
   * Per-step correction on the control thread, after the action source: writes the action to execute for `obs`
   * given the queued one. Residual policies over a chunked base use it as ResiP deploys them — the base chunk
   * comes through the queue (inference worker), the residual MLP (µs) refines every policy step.
   */
  refine?(obs: Float32Array, action: Float32Array, out: Float32Array): void;
  reset(): void;
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
