/** The layout file's shape (documented in docs/deploy-onnx.md); checked by layout.ts, resolved by resolve.ts. */
export type JointOrderRule = 'urdf' | 'breadth_first' | 'depth_first';
export type PerJoint = number | number[] | Record<string, number>;

export interface LayoutTermSpec {
  /** The term's name in the layout's vocabulary (`terms` table) or s2r's (S2R_TERMS). */
  term: string;
  /** Multiplier: one number, or one per component. Default 1. */
  scale?: number | number[];
  /** Clip the scaled term to ±clip. */
  clip?: number;
}

export interface LayoutSpec {
  name?: string;
  description?: string;
  /** Start from a preset and override fields (layout files). */
  extends?: string;
  input?: string;
  output?: string;
  /** Recurrent state: each input tensor carried from its output across steps, zeroed at episode start. */
  recurrent?: { input: string; output: string }[];
  /** Translation table: the project's term name → s2r's (see S2R_TERMS). */
  terms?: Record<string, string>;
  observation?: LayoutTermSpec[];
  /** Clip the whole observation to ±observationClip after scaling (legged_gym clip_observations). */
  observationClip?: number;
  /** Joint order of action (and observation, unless observationJointOrder): a rule or the names in order. */
  jointOrder?: JointOrderRule | string[];
  observationJointOrder?: JointOrderRule | string[];
  actionScale?: PerJoint;
  /** Raw actions are clipped to ±actionClip before use (and as last_action). */
  actionClip?: number;
  /** Action offset (default pose); default the robot's s2r.json defaultJointPos. */
  defaultPose?: PerJoint;
  kp?: PerJoint;
  kd?: PerJoint;
  effort?: PerJoint;
  policyRateHz?: number;
  /** 'mjlab': read joint_names, default_joint_pos, joint_stiffness, joint_damping, action_scale, observation_names. */
  metadata?: 'mjlab';
}

