/**
 * The viewer's side of forward kinematics: core's one FK (`@s2r/core/robot/kinematics.ts`, browser-safe) fed
 * with a recording's joint states and recorded poses. A link is posed from its recorded world pose (/tf) when
 * there is one, else from its parent's pose and the joint angle — so a recording may carry full link poses, only
 * the base pose, or nothing but joint states. Poses are 7 numbers: x y z (m), qx qy qz qw.
 */
import { kinematicChain, linkPoses, type KinematicChain, type KinematicModel } from '@s2r/core/robot/kinematics.ts';
import type { Xform } from '@s2r/core/robot/transform.ts';

export interface KinNode {
  link: string;
  /** Index of the parent node in `nodes`, -1 for the root (and links not reachable from it). */
  parent: number;
  jointName: string | null;
}

export interface KinTree {
  nodes: KinNode[];
  index: ReadonlyMap<string, number>;
  chain: KinematicChain;
  /** Joint positions in chain.jointNames order, refilled every evaluation. */
  q: Float64Array;
}

/** Links in topological order (parents before children), root first; unreachable links last, at the origin. */
export function buildKinTree(model: KinematicModel): KinTree {
  const chain = kinematicChain(model);
  const nodes = chain.links.map((link, i) => ({ link, parent: chain.parent[i]!, jointName: chain.joint[i]! }));
  return { nodes, index: chain.index, chain, q: new Float64Array(chain.jointNames.length) };
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
  const names = tree.chain.jointNames;
  for (let j = 0; j < names.length; j++) tree.q[j] = q(names[j]!) ?? 0;
  const poses = linkPoses(tree.chain, tree.q, undefined, (i): Xform | null => {
    const g = given(tree.nodes[i]!.link);
    return g ? { p: [g[0]!, g[1]!, g[2]!], q: [g[3]!, g[4]!, g[5]!, g[6]!] } : null;
  });
  for (let i = 0; i < poses.length; i++) {
    const x = poses[i]!;
    const o = i * 7;
    out[o] = x.p[0];
    out[o + 1] = x.p[1];
    out[o + 2] = x.p[2];
    out[o + 3] = x.q[0];
    out[o + 4] = x.q[1];
    out[o + 5] = x.q[2];
    out[o + 6] = x.q[3];
  }
  return out;
}
