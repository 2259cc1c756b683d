/**
 * Before a policy artifact is loaded for a robot: does it act on this robot's joints at all? A cartpole policy on
 * a Go1 URDF otherwise fails deep inside loading with a message about the cartpole task alone, naming no robot.
 */
import { readFileSync } from 'node:fs';

/** Throw, naming the policy's task and joints and the robot, when the artifact shares no joint with the robot. */
export function checkArtifactFitsRobot(artifactPath: string, label: string, robot: { name: string; source: string; actuatedJoints: readonly string[] }): void {
  let a: { task?: unknown; control?: { jointNames?: unknown }; specs?: { action?: { joints?: unknown } } };
  try {
    a = JSON.parse(readFileSync(artifactPath, 'utf8'));
  } catch {
    return; // unreadable or not JSON: loading it reports that, with the file named
  }
  const joints = a?.control?.jointNames ?? a?.specs?.action?.joints;
  if (!Array.isArray(joints) || !joints.every((j) => typeof j === 'string')) return;
  const robotJoints = new Set(robot.actuatedJoints);
  if ((joints as string[]).some((j) => robotJoints.has(j))) return; // partly matching sets: the joint check names the differences
  const task = typeof a.task === 'string' ? `task "${a.task}", ` : '';
  throw new Error(`policy ${label} (${task}joints [${joints.join(', ')}]) is not for robot "${robot.name}" (${robot.source}): `
    + `the robot has none of its joints (its actuated joints: ${[...robot.actuatedJoints].join(', ')}). Wrong --policy or wrong --robot?`);
}
