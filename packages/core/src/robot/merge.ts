/**
 * Merge links joined by fixed joints into their parents, so the simulator builds one rigid body per moving part.
 * The Go1 has 12 rotor links, 4 feet, camera/ultrasound links and massless frames on fixed joints; merged it is
 * 13 bodies and 13.10 kg. Inertias combine with the parallel-axis theorem about the merged centre of mass, and
 * shapes move into the parent's frame (keeping the name of the link they came from in `shape.link`).
 */
import type { Inertial, Joint, Link, RobotModel, Shape } from './model.ts';
import {
  IDENTITY,
  inertiaToMat,
  matToInertia,
  poseToXform,
  quatToMat,
  rotateInertia,
  shiftInertia,
  xformMul,
  xformToPose,
  type Mat3,
  type Xform,
} from './transform.ts';

function moveShape(s: Shape, x: Xform, from: string): Shape {
  return { ...s, origin: xformToPose(xformMul(x, poseToXform(s.origin))), link: s.link ?? from };
}

/** Combine inertials expressed in one frame (each with its own origin) into one about the joint COM. */
export function combineInertials(parts: { inertial: Inertial; x: Xform }[]): Inertial | null {
  let mass = 0;
  const com = [0, 0, 0];
  const placed: { m: number; c: number[]; I: Mat3 }[] = [];
  for (const { inertial, x } of parts) {
    if (inertial.mass <= 0 && inertiaToMat(inertial.inertia).every((v) => v === 0)) continue;
    const f = xformMul(x, poseToXform(inertial.origin));
    const R = quatToMat(f.q);
    placed.push({ m: inertial.mass, c: f.p, I: rotateInertia(R, inertiaToMat(inertial.inertia)) });
    mass += inertial.mass;
    for (let k = 0; k < 3; k++) com[k]! += inertial.mass * f.p[k]!;
  }
  if (placed.length === 0) return null;
  if (mass > 0) for (let k = 0; k < 3; k++) com[k]! /= mass;
  else for (let k = 0; k < 3; k++) com[k] = placed[0]!.c[k]!;
  let I = [0, 0, 0, 0, 0, 0, 0, 0, 0] as Mat3;
  for (const p of placed) {
    const shifted = shiftInertia(p.I, p.m, [p.c[0]! - com[0]!, p.c[1]! - com[1]!, p.c[2]! - com[2]!]);
    I = I.map((v, i) => v + shifted[i]!) as Mat3;
  }
  return { mass, origin: { xyz: [com[0]!, com[1]!, com[2]!], rpy: [0, 0, 0] }, inertia: matToInertia(I) };
}

/**
 * Return a new model in which every fixed joint is gone and its child link is folded into the parent.
 * Floating and planar joints below the root are also treated as fixed (the simulator cannot actuate them).
 */
export function mergeFixedJoints(model: RobotModel): RobotModel {
  const linkByName = new Map(model.links.map((l) => [l.name, l]));
  const childJoints = new Map<string, Joint[]>();
  for (const j of model.joints) childJoints.set(j.parent, [...(childJoints.get(j.parent) ?? []), j]);
  const isMoving = (j: Joint) => j.type === 'revolute' || j.type === 'continuous' || j.type === 'prismatic';

  const outLinks: Link[] = [];
  const outJoints: Joint[] = [];
  // Each kept link gathers the links fixed to it, with their transform relative to the kept link's frame.
  const build = (keep: Link) => {
    const members: { link: Link; x: Xform }[] = [];
    const moving: { joint: Joint; x: Xform }[] = [];
    const stack: { link: Link; x: Xform }[] = [{ link: keep, x: IDENTITY }];
    while (stack.length) {
      const m = stack.pop()!;
      members.push(m);
      for (const j of childJoints.get(m.link.name) ?? []) {
        const jx = xformMul(m.x, poseToXform(j.origin));
        if (isMoving(j)) moving.push({ joint: j, x: jx });
        else stack.push({ link: linkByName.get(j.child)!, x: jx });
      }
    }
    const merged = members.slice(1).map((m) => m.link.name);
    const parts = members.filter((m) => m.link.inertial).map((m) => ({ inertial: m.link.inertial!, x: m.x }));
    const inertial = merged.length === 0 ? keep.inertial : combineInertials(parts);
    const link: Link = {
      name: keep.name,
      inertial,
      collisions: members.flatMap((m) => m.link.collisions.map((s) => (m.link === keep ? s : moveShape(s, m.x, m.link.name)))),
      visuals: members.flatMap((m) => m.link.visuals.map((s) => (m.link === keep ? s : moveShape(s, m.x, m.link.name)))),
    };
    if (merged.length) link.merged = [...(keep.merged ?? []), ...merged];
    else if (keep.merged) link.merged = keep.merged;
    outLinks.push(link);
    for (const { joint, x } of moving) {
      outJoints.push({ ...joint, parent: keep.name, origin: xformToPose(x) });
      build(linkByName.get(joint.child)!);
    }
  };
  build(linkByName.get(model.rootLink)!);
  // Keep URDF joint order for actuated joints (it is the joint order of everything).
  const order = new Map(model.joints.map((j, i) => [j.name, i]));
  outJoints.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
  return { ...model, links: outLinks, joints: outJoints, warnings: [...model.warnings] };
}

/** Total mass of a model (kg), summed over links. */
export function totalMass(model: RobotModel): number {
  return model.links.reduce((s, l) => s + (l.inertial?.mass ?? 0), 0);
}
