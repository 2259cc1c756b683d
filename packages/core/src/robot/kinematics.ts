/**
 * The one forward kinematics of s2r: world poses of a RobotModel's links from joint positions. Pure data (no
 * Rapier, no three.js, no node:*), so the sim (spawn height; body poses at spawn and reset), the tasks'
 * observations (z1-push's end effector and its expert's IK) and the browser viewer all run this same code.
 *
 * child = parent ∘ origin ∘ motion(q): the joint origin in the parent frame, then a rotation about the joint axis
 * (revolute, continuous; rad) or a translation along it (prismatic; m), axis in the child frame, as in URDF.
 */
import type { RobotModel, Vec3 } from './model.ts';
import { IDENTITY, poseToXform, quatFromAxisAngle, quatRotate, xformMul, type Xform } from './transform.ts';

/** The model fields forward kinematics needs (the viewer has them from a recording's robot JSON too). */
export type KinematicModel = Pick<RobotModel, 'joints' | 'rootLink'> & {
  links: readonly { name: string }[];
  actuatedJoints?: readonly string[];
};

/** A model's link tree flattened for forward kinematics. Build once per model, evaluate many times. */
export interface KinematicChain {
  /** Links breadth-first from the root (index 0), parents before children; then links not reachable from the root. */
  readonly links: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  /** Parent link index per link; −1 for the root and for unreachable links (those sit at the origin). */
  readonly parent: Int32Array;
  /** The joint above each link (null for the root and unreachable links). */
  readonly joint: readonly (string | null)[];
  /** Joint origin in the parent frame (identity for the root). */
  readonly origin: readonly Xform[];
  /** Joint axis in the child frame (unit). */
  readonly axis: readonly Vec3[];
  /** Per link: 0 no motion (root, fixed, unknown), 1 rotation about the axis, 2 translation along it. */
  readonly motion: Uint8Array;
  /** Per link: index into q of its joint, −1 when it has none. */
  readonly qIndex: Int32Array;
  /** The joints q is indexed by: the model's actuated joints in order. */
  readonly jointNames: readonly string[];
}

const MOVING = new Set(['revolute', 'continuous', 'prismatic']);

/** Flatten a model's tree. q is indexed by `model.actuatedJoints` (default: its moving joints in file order). */
export function kinematicChain(model: KinematicModel): KinematicChain {
  const jointNames = [...(model.actuatedJoints ?? model.joints.filter((j) => MOVING.has(j.type)).map((j) => j.name))];
  const qOf = new Map(jointNames.map((n, i) => [n, i]));
  const byParent = new Map<string, RobotModel['joints']>();
  for (const j of model.joints) {
    const l = byParent.get(j.parent);
    if (l) l.push(j);
    else byParent.set(j.parent, [j]);
  }
  const links: string[] = [];
  const parent: number[] = [];
  const joint: (string | null)[] = [];
  const origin: Xform[] = [];
  const axis: Vec3[] = [];
  const motion: number[] = [];
  const qIndex: number[] = [];
  const index = new Map<string, number>();
  const add = (link: string, p: number, j: RobotModel['joints'][number] | null): void => {
    index.set(link, links.length);
    links.push(link);
    parent.push(p);
    joint.push(j?.name ?? null);
    origin.push(j ? poseToXform(j.origin) : { p: [0, 0, 0], q: [0, 0, 0, 1] });
    axis.push(j ? [...j.axis] : [1, 0, 0]);
    const qi = j ? (qOf.get(j.name) ?? -1) : -1;
    qIndex.push(qi);
    motion.push(qi < 0 || !j || !MOVING.has(j.type) ? 0 : j.type === 'prismatic' ? 2 : 1);
  };
  add(model.rootLink, -1, null);
  // Breadth-first: the order the sim creates its bodies in, so body b of a merged model is link b here.
  for (let i = 0; i < links.length; i++) {
    for (const j of byParent.get(links[i]!) ?? []) if (!index.has(j.child)) add(j.child, i, j);
  }
  for (const l of model.links) if (!index.has(l.name)) add(l.name, -1, null);
  return {
    links,
    index,
    parent: Int32Array.from(parent),
    joint,
    origin,
    axis,
    motion: Uint8Array.from(motion),
    qIndex: Int32Array.from(qIndex),
    jointNames,
  };
}

/**
 * World pose of every link of `chain` (its order) for joint positions q (chain.jointNames order; a missing or
 * non-finite value counts as 0) and a root pose. `given(i)` may return a known world pose of link i (the viewer's
 * recorded /tf), which then replaces the computed one and poses that link's subtree.
 */
export function linkPoses(chain: KinematicChain, q: ArrayLike<number>, base: Xform = IDENTITY, given?: (link: number) => Xform | null): Xform[] {
  const L = chain.links.length;
  const out: Xform[] = new Array(L);
  for (let i = 0; i < L; i++) {
    const g = given?.(i);
    if (g) {
      out[i] = g;
      continue;
    }
    const p = chain.parent[i]!;
    if (p < 0) {
      out[i] = i === 0 ? { p: [...base.p], q: [...base.q] } : { p: [0, 0, 0], q: [0, 0, 0, 1] };
      continue;
    }
    let local = chain.origin[i]!;
    const m = chain.motion[i]!;
    if (m !== 0) {
      const raw = q[chain.qIndex[i]!];
      const v = raw !== undefined && Number.isFinite(raw) ? raw : 0;
      const ax = chain.axis[i]!;
      local = m === 2
        ? xformMul(local, { p: [ax[0] * v, ax[1] * v, ax[2] * v], q: [0, 0, 0, 1] })
        : xformMul(local, { p: [0, 0, 0], q: quatFromAxisAngle(ax, v) });
    }
    out[i] = xformMul(out[p]!, local);
  }
  return out;
}

/** Link poses by name (convenience for callers that look up a few links). */
export function linkFrames(model: KinematicModel | KinematicChain, q: ArrayLike<number>, base?: Xform): Map<string, Xform> {
  const chain = 'qIndex' in model ? model : kinematicChain(model);
  const poses = linkPoses(chain, q, base);
  return new Map(chain.links.map((l, i) => [l, poses[i]!]));
}

/**
 * Forward kinematics of one model, chain built once: what the tasks hold (z1-push's end effector, its IK).
 * q is in the model's actuated-joint order.
 */
export class Kinematics {
  readonly chain: KinematicChain;
  readonly jointNames: string[];

  constructor(readonly model: RobotModel) {
    this.chain = kinematicChain(model);
    this.jointNames = [...this.chain.jointNames];
  }

  /** World frames of every link for joint positions q (base at `base`, default identity). */
  linkFrames(q: ArrayLike<number>, base: Xform = IDENTITY): Map<string, Xform> {
    return linkFrames(this.chain, q, base);
  }

  /** World position of a point given in a link's frame. */
  point(q: ArrayLike<number>, link: string, offset: Vec3, base: Xform = IDENTITY): Vec3 {
    const i = this.chain.index.get(link);
    if (i === undefined) throw new Error(`kinematics: unknown link "${link}" in ${this.model.name}`);
    const f = linkPoses(this.chain, q, base)[i]!;
    const r = quatRotate(f.q, offset);
    return [f.p[0] + r[0], f.p[1] + r[1], f.p[2] + r[2]];
  }
}
