/**
 * Preset layouts: explicit translation tables from each training project's observation term names to s2r's, and
 * the conventions their exported policies follow. Facts taken from each project's own code (2025–2026):
 * - Isaac Lab (isaaclab_tasks velocity env, rsl_rl exporter): policy group terms base_lin_vel, base_ang_vel,
 *   projected_gravity, velocity_commands, joint_pos (mdp.joint_pos_rel), joint_vel (mdp.joint_vel_rel), actions
 *   (mdp.last_action), unscaled; `exported/policy.onnx` takes `obs` [1,N] and returns `actions`; JointPositionAction
 *   scale 0.25 with use_default_offset; sim dt 0.005 × decimation 4 = 50 Hz. PhysX orders joints breadth-first.
 * - mjlab (tasks/velocity/velocity_env_cfg.py, rl/exporter.py): the same terms with the command last (`command`,
 *   from the `twist` command); its ONNX metadata carries joint_names, joint_stiffness, joint_damping,
 *   default_joint_pos, command_names, observation_names and action_scale as CSV strings. dt 0.005 × 4.
 * - legged_gym / unitree_rl_gym (legged_robot.py compute_observations, go2_config.py): base_lin_vel × 2.0,
 *   base_ang_vel × 0.25, projected_gravity, commands[:3] × [2, 2, 0.25], (dof_pos − default) × 1, dof_vel × 0.05,
 *   actions; clip_observations 100, clip_actions 100, action_scale 0.25. Isaac Gym orders DOFs depth-first with
 *   sibling bodies by name (Go2: FL, FR, RL, RR leg by leg).
 * - MuJoCo Playground (locomotion/go1/joystick.py _get_obs): linvel, gyro, gravity, joint_angles − default,
 *   joint_vel, last_act, command, unscaled; brax's ONNX export outputs `continuous_actions`; action_scale 0.5;
 *   ctrl_dt 0.02. Its Go1 MJCF orders joints leg by leg FR, FL, RR, RL, the URDF's order.
 */
import type { LayoutSpec } from './layout-spec.ts';

/** s2r's observation terms at deploy time: name → size ('J' = one per joint) and what it is. */
export const S2R_TERMS: Record<string, { size: 3 | 'J'; what: string }> = {
  base_lin_vel: { size: 3, what: 'base linear velocity, base frame (m/s); measured by the sim hardware only' },
  base_ang_vel: { size: 3, what: 'IMU gyro, base frame (rad/s)' },
  projected_gravity: { size: 3, what: 'unit gravity in the base frame' },
  velocity_command: { size: 3, what: 'command vx, vy (m/s), yaw rate (rad/s)' },
  joint_pos_rel: { size: 'J', what: 'joint position − default pose (rad)' },
  joint_pos: { size: 'J', what: 'joint position (rad)' },
  joint_vel: { size: 'J', what: 'joint velocity (rad/s)' },
  last_action: { size: 'J', what: "the policy's own previous output (raw, before scaling)" },
};

/** Terms no real robot measures directly: refused off the sim hardware unless zeroed with --zero-terms. */
export const UNMEASURED_ON_ROBOTS = ['base_lin_vel'];

const ISAACLAB_TERMS: Record<string, string> = {
  base_lin_vel: 'base_lin_vel',
  base_ang_vel: 'base_ang_vel',
  projected_gravity: 'projected_gravity',
  velocity_commands: 'velocity_command',
  joint_pos: 'joint_pos_rel', // mdp.joint_pos_rel
  joint_pos_rel: 'joint_pos_rel',
  joint_vel: 'joint_vel', // mdp.joint_vel_rel: the default joint velocity is 0
  joint_vel_rel: 'joint_vel',
  actions: 'last_action', // mdp.last_action
  last_action: 'last_action',
};

export const PRESETS: Record<string, LayoutSpec> = {
  isaaclab: {
    name: 'isaaclab',
    description: 'Isaac Lab + rsl_rl (exported/policy.onnx): velocity task, breadth-first joints, unscaled terms',
    input: 'obs',
    output: 'actions',
    terms: ISAACLAB_TERMS,
    observation: ['base_lin_vel', 'base_ang_vel', 'projected_gravity', 'velocity_commands', 'joint_pos', 'joint_vel', 'actions'].map((term) => ({ term })),
    jointOrder: 'breadth_first',
    actionScale: 0.25,
    policyRateHz: 50,
  },
  mjlab: {
    name: 'mjlab',
    description: 'mjlab (policy.onnx with metadata): joints, default pose, gains, action scale and term order from the file',
    input: 'obs',
    output: 'actions',
    terms: { ...ISAACLAB_TERMS, command: 'velocity_command' },
    observation: ['base_lin_vel', 'base_ang_vel', 'projected_gravity', 'joint_pos', 'joint_vel', 'actions', 'command'].map((term) => ({ term })),
    metadata: 'mjlab',
    jointOrder: 'urdf',
    actionScale: 0.25,
    policyRateHz: 50,
  },
  legged_gym: {
    name: 'legged_gym',
    description: 'legged_gym / unitree_rl_gym (policy exported to ONNX): obs scales, clip 100',
    input: 'obs',
    output: 'actions',
    terms: {
      base_lin_vel: 'base_lin_vel',
      base_ang_vel: 'base_ang_vel',
      projected_gravity: 'projected_gravity',
      commands: 'velocity_command',
      dof_pos: 'joint_pos_rel',
      dof_vel: 'joint_vel',
      actions: 'last_action',
    },
    observation: [
      { term: 'base_lin_vel', scale: 2.0 },
      { term: 'base_ang_vel', scale: 0.25 },
      { term: 'projected_gravity' },
      { term: 'commands', scale: [2.0, 2.0, 0.25] },
      { term: 'dof_pos', scale: 1.0 },
      { term: 'dof_vel', scale: 0.05 },
      { term: 'actions' },
    ],
    observationClip: 100,
    actionClip: 100,
    jointOrder: 'depth_first',
    actionScale: 0.25,
    policyRateHz: 50,
  },
  playground: {
    name: 'playground',
    description: 'MuJoCo Playground Go1 joystick (brax → ONNX): continuous_actions, action scale 0.5',
    input: 'obs',
    output: 'continuous_actions',
    terms: {
      linvel: 'base_lin_vel',
      gyro: 'base_ang_vel',
      gravity: 'projected_gravity',
      joint_angles: 'joint_pos_rel', // joint_angles − default_pose
      joint_vel: 'joint_vel',
      last_act: 'last_action',
      command: 'velocity_command',
    },
    observation: ['linvel', 'gyro', 'gravity', 'joint_angles', 'joint_vel', 'last_act', 'command'].map((term) => ({ term })),
    jointOrder: 'urdf',
    actionScale: 0.5,
    policyRateHz: 50,
  },
};
PRESETS.unitree_rl_gym = { ...PRESETS.legged_gym!, name: 'unitree_rl_gym' };

/** mjlab's observation term name for each s2r term (export writes these into observation_names). */
export const MJLAB_NAME: Record<string, string> = {
  base_lin_vel: 'base_lin_vel',
  base_ang_vel: 'base_ang_vel',
  projected_gravity: 'projected_gravity',
  velocity_command: 'command',
  joint_pos_rel: 'joint_pos',
  joint_vel: 'joint_vel',
  last_action: 'actions',
};
