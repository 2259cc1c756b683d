/**
 * External inputs: readings a policy observes that the robot itself does not measure (z1-push: the block's pose
 * from a tracker and the goal). The task declares them (DeployFacts.externalInputs), the artifact adapter copies
 * them onto the DeployPolicy, and the hardware provides them in RobotState.inputs under the same names:
 * - the sim hardware, from the task's own scene (it simulates the block);
 * - ROS, from geometry_msgs/PoseStamped topics (--ros-object-topic, --ros-goal-topic);
 * - any hardware module whose states carry them (HardwareInterface.inputs names what it provides).
 * A deploy whose hardware lacks one refuses to start, naming it; a stale one trips the safety watchdog
 * (control-loop.ts), like stale joints.
 */
import type { HardwareInterface } from '../types.ts';
import type { DeployPolicy } from './types.ts';

/** CLI names of the ROS input topics → the input they feed. */
export const ROS_INPUT_FLAGS = { 'ros-object-topic': 'blockPose', 'ros-goal-topic': 'goal' } as const;

/** Throws, naming every input the policy needs and the hardware does not provide, and how to give each a source. */
export function checkInputs(policy: Pick<DeployPolicy, 'inputs'>, hw: Pick<HardwareInterface, 'name' | 'inputs'>, label = 'policy'): void {
  const have = new Set(hw.inputs ?? []);
  const missing = (policy.inputs ?? []).filter((e) => !have.has(e.name));
  if (!missing.length) return;
  const what = missing.map((e) => `${e.name} [${e.size}] (${e.unit}; ${e.description})`).join('; ');
  throw new Error(`${label} observes inputs hardware "${hw.name}" does not provide: ${what}. Give each a source: --hardware sim (the task's scene `
    + `reports them), over ROS --ros-object-topic T (blockPose) and --ros-goal-topic T (goal), both geometry_msgs/PoseStamped, or a hardware `
    + `module whose states carry them (RobotState.inputs)`);
}

/**
 * A PoseStamped pose as an input of `size` values: 7 = x y z qx qy qz qw (m, quaternion xyzw), 3 = x y z (m),
 * 2 = x y (m). Null for a malformed message or another size.
 */
export function poseToInput(msg: unknown, size: number, out: Float64Array): boolean {
  const pose = (msg as { pose?: { position?: Record<string, unknown>; orientation?: Record<string, unknown> } } | null)?.pose;
  const p = pose?.position;
  const q = pose?.orientation;
  if (!p || (size === 7 && !q)) return false;
  const v = size === 7 ? [p.x, p.y, p.z, q!.x, q!.y, q!.z, q!.w] : size === 3 ? [p.x, p.y, p.z] : size === 2 ? [p.x, p.y] : null;
  if (!v || v.length !== out.length) return false;
  for (const x of v) if (typeof x !== 'number' || !Number.isFinite(x)) return false;
  for (let i = 0; i < v.length; i++) out[i] = v[i] as number;
  return true;
}
