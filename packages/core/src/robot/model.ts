/**
 * RobotModel: the pure-data robot description parsed from URDF. No Rapier, no three.js.
 * The simulator, the bridge's safety limits and the viewer all read the robot through this.
 * Units: metres, kilograms, radians, seconds, newtons, N·m. Quaternions are [x, y, z, w].
 */
export type Vec3 = [number, number, number];
export type Quat = [number, number, number, number];

export interface Pose {
  xyz: Vec3;
  /** URDF roll-pitch-yaw (fixed axes X, then Y, then Z). */
  rpy: Vec3;
}

export type Geometry =
  | { type: 'box'; size: Vec3 }
  | { type: 'cylinder'; radius: number; length: number } // along the local z axis, as in URDF
  | { type: 'sphere'; radius: number }
  | {
      type: 'mesh';
      /** As written in the URDF (e.g. package://go1_description/meshes/calf.dae). */
      uri: string;
      /** Absolute filesystem path after resolving package:// or relative paths; null if unresolvable. */
      path: string | null;
      scale: Vec3;
      /** True when the file exists on disk. Missing visual meshes warn; missing collision meshes are errors. */
      exists: boolean;
    };

export interface Shape {
  name?: string;
  origin: Pose;
  geometry: Geometry;
  /** Visual only: RGBA colour from the URDF material, if any. */
  rgba?: [number, number, number, number];
  /**
   * The URDF link this shape was declared in. Set by `mergeFixedJoints` when a shape moves into another link,
   * so per-link contacts can still tell a foot sphere from the calf it was merged into.
   */
  link?: string;
}

export interface Inertial {
  mass: number;
  /** Centre of mass and inertia frame, relative to the link frame. */
  origin: Pose;
  /** ixx, iyy, izz, ixy, ixz, iyz about the inertial frame. */
  inertia: { ixx: number; iyy: number; izz: number; ixy: number; ixz: number; iyz: number };
}

export interface Link {
  name: string;
  inertial: Inertial | null;
  collisions: Shape[];
  visuals: Shape[];
  /** Names of links merged into this one through fixed joints (after `mergeFixedJoints`). */
  merged?: string[];
}

export type JointType = 'revolute' | 'continuous' | 'prismatic' | 'fixed' | 'floating' | 'planar';

export interface JointLimits {
  /** Position bounds (rad or m); ±Infinity for continuous joints. */
  lower: number;
  upper: number;
  /** Max |velocity| (rad/s or m/s); Infinity when unspecified. */
  velocity: number;
  /** Max |effort| (N·m or N); Infinity when unspecified. */
  effort: number;
}

export interface Joint {
  name: string;
  type: JointType;
  parent: string;
  child: string;
  /** Pose of the child frame in the parent link frame at q = 0. */
  origin: Pose;
  /** Unit axis in the joint (child) frame. */
  axis: Vec3;
  limits: JointLimits;
  dynamics: { damping: number; friction: number };
}

export interface RobotModel {
  name: string;
  /** Absolute path of the URDF file it was parsed from (for error messages and the viewer). */
  source: string;
  /** Folder that `package://` and relative paths resolve against. */
  rootDir: string;
  links: Link[];
  joints: Joint[];
  rootLink: string;
  /** Names of the actuated (non-fixed, non-floating) joints in URDF order: the joint order of everything. */
  actuatedJoints: string[];
  /** Warnings collected while parsing (missing visual meshes, zero inertias, ...). */
  warnings: string[];
  /** Raw URDF text, embedded in recordings so a file is self-contained. */
  urdf: string;
  /**
   * True when the URDF pins its root to a `world` link with a fixed joint (arms such as the Z1). The parser
   * drops that `world` link and joint and sets this flag; the simulator then fixes the base by default.
   */
  fixedToWorld?: boolean;
}
