/**
 * Where to spawn a floating-base robot: the root height at which its lowest collision point, at a given joint
 * pose and upright, touches z = 0. Computed from the model alone (no Rapier).
 */
import { mergeFixedJoints, poseToXform, quatFromAxisAngle, quatToMat, xformMul, type Joint, type Quat, type RobotModel, type Vec3, type Xform } from '@s2r/core';
import { readMesh } from '../mesh/load.ts';

/** World pose of every link of the (merged) model for joint positions q (actuated order) and a root pose. */
export function linkFrames(model: RobotModel, q: ArrayLike<number>, rootPos: Vec3 = [0, 0, 0], rootQuat: Quat = [0, 0, 0, 1]): Map<string, Xform> {
  const idx = new Map(model.actuatedJoints.map((n, i) => [n, i]));
  const children = new Map<string, Joint[]>();
  for (const j of model.joints) children.set(j.parent, [...(children.get(j.parent) ?? []), j]);
  const out = new Map<string, Xform>([[model.rootLink, { p: [...rootPos] as Vec3, q: [...rootQuat] as Quat }]]);
  const stack = [model.rootLink];
  while (stack.length) {
    const l = stack.pop()!;
    for (const j of children.get(l) ?? []) {
      let x = xformMul(out.get(l)!, poseToXform(j.origin));
      const i = idx.get(j.name);
      const v = i === undefined ? 0 : (q[i] ?? 0);
      if (j.type === 'prismatic') x = xformMul(x, { p: [j.axis[0] * v, j.axis[1] * v, j.axis[2] * v], q: [0, 0, 0, 1] });
      else if (j.type === 'revolute' || j.type === 'continuous') x = xformMul(x, { p: [0, 0, 0], q: quatFromAxisAngle(j.axis, v) });
      out.set(j.child, x);
      stack.push(j.child);
    }
  }
  return out;
}

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
