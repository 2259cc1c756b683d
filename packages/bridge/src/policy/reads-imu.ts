/**
 * Does this policy's observation depend on the IMU (base angular velocity, projected gravity)? Found by asking the
 * observation function itself: the same input twice, once with a level, still base and once tilted and turning. A
 * policy whose observation does not change never reads the IMU, so a robot without one can run it.
 */
import type { DeployPolicy, ObsInput } from './types.ts';

export function policyReadsImu(p: Pick<DeployPolicy, 'observe' | 'obsSize' | 'actSize' | 'defaultPose' | 'inputs'>): boolean {
  const n = p.defaultPose.length;
  // External inputs (a block pose, a goal) as zeros: the same in both calls.
  const extra = Object.fromEntries((p.inputs ?? []).map((e) => [e.name, new Float64Array(e.size)]));
  const input = (angVel: number[], gravity: number[]): ObsInput => ({
    ...extra,
    jointPos: Float64Array.from(p.defaultPose),
    jointVel: new Float64Array(n),
    defaultPose: Float64Array.from(p.defaultPose),
    angVel: Float64Array.from(angVel),
    projectedGravity: Float64Array.from(gravity),
    linVel: new Float64Array(3),
    command: new Float64Array(3),
    lastAction: new Float32Array(p.actSize),
  });
  const a = new Float32Array(p.obsSize);
  const b = new Float32Array(p.obsSize);
  p.observe(input([0, 0, 0], [0, 0, -1]), a);
  p.observe(input([0.3, -0.2, 0.5], [0.2, -0.1, -0.97]), b);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return true;
  return false;
}
