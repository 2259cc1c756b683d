/**
 * Readings: the plain robot measurements an observation is built from — the same object at training time (the env
 * fills it from the simulator) and at deploy time (the bridge fills it from hardware). Units: rad, rad/s, m/s.
 */

/** What a legged robot reports (and what its actor observation needs). */
export interface LeggedReadings {
  /** Measured joint positions (rad), policy joint order. */
  jointPos: ArrayLike<number>;
  /** Measured joint velocities (rad/s). */
  jointVel: ArrayLike<number>;
  /** IMU gyro in the base frame (rad/s). */
  angVel: ArrayLike<number>;
  /** Unit gravity direction in the base frame ((0, 0, −1) when level). */
  projectedGravity: ArrayLike<number>;
  /** Command [vx (m/s), vy (m/s), yaw rate (rad/s)], base frame. */
  command: ArrayLike<number>;
  /** The policy's previous action (clipped, action units). */
  lastAction: ArrayLike<number>;
}

/**
 * What the bridge's controller keeps per tick: the legged readings plus what a spec-built observation may also ask
 * for (base linear velocity when the hardware knows it, the default pose for `joint_pos_rel`).
 */
export interface Readings extends LeggedReadings {
  jointPos: Float64Array;
  jointVel: Float64Array;
  angVel: Float64Array;
  projectedGravity: Float64Array;
  command: Float64Array;
  lastAction: Float32Array;
  /** Base linear velocity in the base frame (m/s), when the hardware knows it (sims); zeros otherwise. */
  linVel: Float64Array;
  /** Default joint pose (rad), policy order. */
  defaultPose: Float64Array;
}
