/**
 * Forward kinematics over a RobotModel's link tree, browser-safe. The viewer poses each link from its
 * recorded world pose (/tf) when there is one, else from its parent's pose and the joint angle — so a
 * recording may carry full link poses, only the base pose, or nothing but joint states.
 * Poses are 7 numbers: x y z (m), qx qy qz qw.
 */
import type { RobotModel, Vec3, Quat } from '@s2r/core/robot/model.ts';
import { quatFromAxisAngle, quatMul, quatNormalize, quatRotate, rpyToQuat } from '@s2r/core/robot/transform.ts';

export interface KinNode {
  link: string;
  /** Index of the parent node in `nodes`, -1 for the root. */
  parent: number;
  jointName: string | null;
  jointType: string | null;
  originP: Vec3;
  originQ: Quat;
  axis: Vec3;
}

export interface KinTree {
  nodes: KinNode[];
  index: Map<string, number>;
}

/** Links in topological order (parents before children), root first. */
export function buildKinTree(model: { links: readonly { name: string }[]; joints: RobotModel['joints']; rootLink: string }): KinTree {
  const byParent = new Map<string, RobotModel['joints']>();
  for (const j of model.joints) {
    const l = byParent.get(j.parent) ?? [];
    l.push(j);
    byParent.set(j.parent, l);
  }
  const nodes: KinNode[] = [];
  const index = new Map<string, number>();
  const visit = (link: string, parent: number, j: RobotModel['joints'][number] | null): void => {
    const i = nodes.length;
    nodes.push({
      link,
      parent,
      jointName: j?.name ?? null,
      jointType: j?.type ?? null,
      originP: j ? j.origin.xyz : [0, 0, 0],
      originQ: j ? rpyToQuat(j.origin.rpy) : [0, 0, 0, 1],
      axis: j?.axis ?? [1, 0, 0],
    });
    index.set(link, i);
    for (const c of byParent.get(link) ?? []) visit(c.child, i, c);
  };
  visit(model.rootLink, -1, null);
  // Links not reachable from the root (a malformed tree) are still drawn, at the origin.
  for (const l of model.links) if (!index.has(l.name)) visit(l.name, -1, null);
  return { nodes, index };
}

/**
 * World poses of every node into `out` (nodes × 7).
 * `q(jointName)` gives the joint position (rad or m; NaN/undefined → 0).
 * `given(link)` returns a recorded world pose (7 numbers) or null; the root defaults to the origin.
 */
export function forwardKinematics(
  tree: KinTree,
  q: (joint: string) => number | undefined,
  given: (link: string) => ArrayLike<number> | null,
  out: Float64Array,
): Float64Array {
  const { nodes } = tree;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    const o = i * 7;
    const g = given(n.link);
    if (g) {
      for (let k = 0; k < 7; k++) out[o + k] = g[k]!;
      continue;
    }
    if (n.parent < 0) {
      out.set([0, 0, 0, 0, 0, 0, 1], o);
      continue;
    }
    const po = n.parent * 7;
    const pp: Vec3 = [out[po]!, out[po + 1]!, out[po + 2]!];
    const pq: Quat = [out[po + 3]!, out[po + 4]!, out[po + 5]!, out[po + 6]!];
    // child = parent ∘ origin ∘ motion(q)
    let lp: Vec3 = n.originP;
    let lq: Quat = n.originQ;
    const qv = n.jointName ? q(n.jointName) : undefined;
    const a = qv === undefined || !Number.isFinite(qv) ? 0 : qv;
    if (a !== 0 && (n.jointType === 'revolute' || n.jointType === 'continuous')) {
      lq = quatMul(lq, quatFromAxisAngle(n.axis, a));
    } else if (a !== 0 && n.jointType === 'prismatic') {
      const d = quatRotate(lq, [n.axis[0] * a, n.axis[1] * a, n.axis[2] * a]);
      lp = [lp[0] + d[0], lp[1] + d[1], lp[2] + d[2]];
    }
    const wp = quatRotate(pq, lp);
    const wq = quatNormalize(quatMul(pq, lq));
    out[o] = pp[0] + wp[0];
    out[o + 1] = pp[1] + wp[1];
    out[o + 2] = pp[2] + wp[2];
    out[o + 3] = wq[0];
    out[o + 4] = wq[1];
    out[o + 5] = wq[2];
    out[o + 6] = wq[3];
  }
  return out;
}
