/**
 * Observation and action spaces: flat Float32Arrays whose layout is described by named terms, so every consumer
 * (env, trainer, artifact, bridge, viewer) agrees on what each slot is. One definition, imported everywhere.
 */

export interface SpecTerm {
  /** e.g. 'base_lin_vel', 'joint_pos_rel', 'last_action' (see OBS_TERMS for the shared names). */
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

/** How an action becomes a command: 'position' means target = default + scale·a; 'torque' means effort = scale·a. */
export type ActionMode = 'position' | 'torque';

export interface ActionSpec {
  size: number;
  /** Joint names in action order. */
  joints: string[];
  low: number;
  high: number;
  mode: ActionMode;
  scale: number;
  unit: string;
}

/**
 * Observation term names shared by the env and the bridge's spec-built observation. One name per concept:
 * the velocity command is `velocity_command` (Isaac Lab's `velocity_commands` and legged_gym's `commands` are read
 * as aliases only when importing a foreign artifact, see OBS_TERM_ALIASES).
 */
export const OBS_TERMS = {
  baseLinVel: 'base_lin_vel',
  baseAngVel: 'base_ang_vel',
  projectedGravity: 'projected_gravity',
  velocityCommand: 'velocity_command',
  jointPos: 'joint_pos',
  jointPosRel: 'joint_pos_rel',
  jointVel: 'joint_vel',
  lastAction: 'last_action',
} as const;
export type ObsTermName = (typeof OBS_TERMS)[keyof typeof OBS_TERMS];

/** Foreign names (other frameworks' exports) → s2r's one name. */
export const OBS_TERM_ALIASES: Readonly<Record<string, ObsTermName>> = {
  commands: 'velocity_command',
  velocity_commands: 'velocity_command',
  actions: 'last_action',
};

/** Chunked policies (diffusion, BC): how many actions a call returns and how many run before the next call. */
export interface ChunkSpec {
  /** Actions per chunk (H). */
  horizon: number;
  /** Actions executed before the next chunk is used (receding horizon). */
  execute: number;
  /** Observations fed to actChunk (most recent last). */
  obsHistory: number;
  /**
   * Temporal ensembling (ACT): one chunk every `execute` steps and each step executes the exp(−decay·i)-weighted
   * mean of the live chunks' predictions for it, i = 0 the oldest. Absent or false: receding horizon.
   */
  ensemble?: boolean;
  /** Its decay per prediction (dimensionless; ACT uses 0.01). */
  ensembleDecay?: number;
}
