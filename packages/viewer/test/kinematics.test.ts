/**
 * The viewer poses links with core's one forward kinematics: for the real Go1 at random joint angles its poses are
 * exactly (bit for bit) what `linkPoses` gives, and a recorded /tf pose of a link moves that link's subtree.
 */
import { describe, expect, it } from 'vitest';
import { kinematicChain, linkPoses, loadUrdf, Rng, type Xform } from '@s2r/core';
import { buildKinTree, forwardKinematics } from '../src/kinematics.ts';
import { GO1_URDF } from '../../../test/helpers/robots.ts';

describe('viewer forward kinematics', () => {
  const model = loadUrdf(GO1_URDF);
  const tree = buildKinTree(model);
  const chain = kinematicChain(model);
  const rng = Rng.seed(3);

  it("is core's linkPoses, bit for bit, at 5 random Go1 configurations", () => {
    expect(tree.nodes.map((n) => n.link)).toEqual(chain.links);
    for (let trial = 0; trial < 5; trial++) {
      const q = model.actuatedJoints.map(() => rng.uniform(-1.5, 1.5));
      const byName = new Map(model.actuatedJoints.map((n, i) => [n, q[i]!]));
      const out = forwardKinematics(tree, (j) => byName.get(j), () => null, new Float64Array(tree.nodes.length * 7));
      const core = linkPoses(chain, q);
      core.forEach((x, i) => expect(Array.from(out.subarray(7 * i, 7 * i + 7))).toEqual([...x.p, ...x.q]));
    }
  });

  it('a recorded pose replaces FK for that link and carries its subtree; missing joints count as 0', () => {
    const base: Xform = { p: [1, 2, 0.3], q: [0, 0, Math.SQRT1_2, Math.SQRT1_2] };
    const root = [...base.p, ...base.q];
    const out = forwardKinematics(tree, (j) => (j === 'FR_calf_joint' ? -1.2 : undefined), (l) => (l === model.rootLink ? root : null), new Float64Array(tree.nodes.length * 7));
    const q = model.actuatedJoints.map((n) => (n === 'FR_calf_joint' ? -1.2 : 0));
    const core = linkPoses(chain, q, base);
    core.forEach((x, i) => expect(Array.from(out.subarray(7 * i, 7 * i + 7))).toEqual([...x.p, ...x.q]));
    const foot = tree.index.get('FR_foot')!;
    expect(out[7 * foot]).not.toBeCloseTo(linkPoses(chain, q)[foot]!.p[0], 3); // moved with the recorded root
  });
});
