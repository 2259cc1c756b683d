/**
 * Where to spawn a floating-base robot: the root height at which its lowest collision point, at a given joint
 * pose and upright, touches z = 0. Computed from the model alone (no Rapier), with core's forward kinematics.
 */
import { linkFrames, mergeFixedJoints, poseToXform, quatToMat, xformMul, type RobotModel } from '@s2r/core';
import { readMesh } from '../mesh/load.ts';

/** Lowest z (m) of any collision shape with the root at the origin, upright, at joint positions q. */
export function lowestCollisionZ(model: RobotModel, q: ArrayLike<number>): number {
  const merged = mergeFixedJoints(model);
  const frames = linkFrames(merged, q);
  let low = Infinity;
  for (const link of merged.links) {
    const f = frames.get(link.name)!;
    for (const s of link.collisions) {
      const x = xformMul(f, poseToXform(s.origin));
      const R = quatToMat(x.q);
      const g = s.geometry;
      let z: number;
      if (g.type === 'sphere') z = x.p[2] - g.radius;
      else if (g.type === 'box') z = x.p[2] - (Math.abs(R[6]) * g.size[0] + Math.abs(R[7]) * g.size[1] + Math.abs(R[8]) * g.size[2]) / 2;
      else if (g.type === 'cylinder') z = x.p[2] - (Math.abs(R[8]) * g.length) / 2 - g.radius * Math.sqrt(Math.max(0, 1 - R[8] * R[8]));
      else {
        if (!g.path || !g.exists) continue;
        const v = readMesh(g.path, g.scale).vertices;
        z = Infinity;
        for (let k = 0; k < v.length; k += 3) z = Math.min(z, x.p[2] + R[6] * v[k]! + R[7] * v[k + 1]! + R[8] * v[k + 2]!);
      }
      low = Math.min(low, z);
    }
  }
  return low;
}

/** Root height (m) that puts the lowest collision point `clearance` metres above flat ground. */
export function standingSpawnHeight(model: RobotModel, q: ArrayLike<number>, clearance = 0.01): number {
  const low = lowestCollisionZ(model, q);
  return Number.isFinite(low) ? -low + clearance : 0;
}
