/**
 * The contract between the Rapier articulation (owned by physics/*) and tasks/envs (owned by env/*, tasks/*).
 * Units: m, kg, s, rad, N, N·m. Quaternions [x, y, z, w]. World frame: z up, gravity −z.
 */
import type { Quat, RobotModel, Vec3 } from '@s2r/core';

export type RapierFlavor = 'compat' | 'simd' | 'deterministic';

export interface GroundSpec {
  /** 'plane': flat ground with its top at z = 0, 1 km × 1 km centred at the origin. */
  type: 'plane' | 'heightfield' | 'none';
  /**
   * heightfield: rows × cols heights (m), row-major, spacing in metres, centred at the origin.
   * heights[r·cols + c] is the ground height at x = (r − (rows−1)/2)·spacing, y = (c − (cols−1)/2)·spacing
   * (rows run along +x, as legged_gym's height_field_raw[x][y]).
   */
  heights?: Float32Array;
  rows?: number;
  cols?: number;
  spacing?: number;
  friction?: number;
  restitution?: number;
}

export interface WorldOptions {
  /** Physics step (s), e.g. 0.005. */
  dt: number;
  gravity?: Vec3;
  ground?: GroundSpec;
  flavor?: RapierFlavor;
  /** Rapier solver iterations; more is stiffer and slower. */
  solverIterations?: number;
  internalPgsIterations?: number;
}

export interface AddRobotOptions {
  /** Root pose at spawn. */
  basePosition?: Vec3;
  baseQuat?: Quat;
  /** Fix the root link to the world (arms, cart-pole rail). Default false (floating base). */
  fixedBase?: boolean;
  /** Initial joint positions in actuated-joint order (default 0). */
  initialJointPos?: ArrayLike<number>;
  /** PD gains per joint (N·m/rad, N·m·s/rad) or one value for all. */
  kp?: number | ArrayLike<number>;
  kd?: number | ArrayLike<number>;
  /** Collide links of this robot with each other (default false; adjacent links never collide). */
  selfCollision?: boolean;
  /**
   * 'pd' (default): PD in JS each physics step, exact clamped effort; explicit, so light links need small gains.
   * 'motor': Rapier's implicit ForceBased joint motor (stiff gains on light arm links); effort is an estimate.
   */
  actuator?: 'pd' | 'motor';
  /** Initial friction / restitution of every collider of the robot (default 1 / 0). */
  friction?: number;
  restitution?: number;
  /**
   * Keep collision geometry only of these URDF links (names before merging, e.g. trunk, *_thigh, *_calf, *_foot);
   * default all. Fewer colliders is faster (Go1: ~10% per step with trunk/thigh/calf/foot only) but changes what
   * can touch the ground: camera and rotor bumps are gone.
   */
  collisionLinks?: readonly string[];
}

export interface LinkContact {
  link: string;
  inContact: boolean;
  /** Total contact force magnitude on the link this step (N). */
  force: number;
}

/** One articulated robot in a SimWorld, actuated in joint space. */
export interface RobotSim {
  readonly model: RobotModel;
  readonly dof: number;
  /** Actuated joint names: the joint order of every array below. */
  readonly jointNames: readonly string[];
  /** Rigid bodies after fixed-joint merging, root first. */
  readonly linkNames: readonly string[];
  /** Notes from building the robot (massless links, limits cut at ±π, explicit-PD stability, …). */
  readonly warnings: readonly string[];

  // --- actuation (applied on every physics substep by SimWorld.step) ---
  /** PD position control toward these targets (rad or m). */
  setPositionTargets(q: ArrayLike<number>): void;
  /** Feed-forward/direct torques added to the PD output (N·m). With gains zero this is pure torque control. */
  setTorques(tau: ArrayLike<number>): void;
  setGains(kp: number | ArrayLike<number>, kd: number | ArrayLike<number>): void;
  /** Per-joint motor strength scale applied to the actuator torque before the effort clamp (DR). */
  setMotorStrength(scale: number | ArrayLike<number>): void;

  // --- state (valid after SimWorld.step; arrays are owned by the robot, copy to keep) ---
  readonly jointPos: Float32Array;
  readonly jointVel: Float32Array;
  /** Torque actually applied last substep, after clamping (N·m). */
  readonly jointEffort: Float32Array;
  basePosition(): Vec3;
  baseQuat(): Quat;
  /** World-frame linear / angular velocity of the root (m/s, rad/s). */
  baseLinVel(): Vec3;
  baseAngVel(): Vec3;
  /** IMU on the root body: angular velocity in the base frame and gravity direction (unit) in the base frame. */
  imu(): { angVel: Vec3; projectedGravity: Vec3 };
  /**
   * Per-link contact flags and force magnitudes from the last step, one entry per URDF link that owns collision
   * geometry, in `contactLinkNames` order. Links merged through fixed joints keep their own entry, so a foot
   * (FR_foot) is reported apart from the calf it was merged into. Allocates; hot loops use contactForces().
   */
  contacts(): LinkContact[];
  /** URDF links that own collision geometry: the order of contacts() and contactForces(). */
  readonly contactLinkNames: readonly string[];
  /** Contact force magnitude per contact link (N) from the last step. Owned by the robot; copy to keep. */
  contactForces(): Float32Array;
  /** World poses of every link: [L × 7] = x y z qx qy qz qw. */
  linkPoses(out?: Float32Array): Float32Array;

  // --- resets and domain randomization ---
  resetState(q: ArrayLike<number>, basePosition?: Vec3, baseQuat?: Quat, qd?: ArrayLike<number>): void;
  setBaseVelocity(lin: Vec3, ang?: Vec3): void;
  setFriction(mu: number): void;
  setRestitution(e: number): void;
  /** Multiply a link's mass and inertia (1 = nominal). */
  setLinkMassScale(link: string, scale: number): void;
  /** Extra mass at the root (kg) and CoM offset of the root (m, base frame). */
  setBasePayload(addedMassKg: number, comOffset: Vec3): void;
}

export interface SimWorld {
  readonly dt: number;
  readonly rapier: unknown;
  /** The underlying RAPIER.World, for tasks that add their own bodies (tables, blocks). */
  readonly world: unknown;
  addRobot(model: RobotModel, options?: AddRobotOptions): RobotSim;
  setGravity(g: Vec3): void;
  /** One physics step: actuate every robot (PD + torques, clamped), then advance Rapier. */
  step(): void;
  /** Free the WASM world. The world is unusable afterwards. */
  free(): void;
}
