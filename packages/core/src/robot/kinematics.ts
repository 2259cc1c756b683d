/**
 * Forward kinematics of a fixed-base RobotModel (pure data, no physics): link frames from joint positions.
 * Used by the z1-push observation (end-effector position) and its scripted expert's IK, so both run the same
 * way in the sim and on a real arm.
 */
import type { Quat, RobotModel, Vec3 } from '../robot/model.ts';
import { poseToXform, quatFromAxisAngle, quatMul, quatRotate, type Xform } from '../robot/transform.ts';

export class Kinematics {
  /** Joints in parent-before-child order with the actuated index of each (−1 for fixed). */
  private readonly chain: { parent: string; child: string; origin: Xform; axis: Vec3; q: number; prismatic: boolean }[] = [];
  readonly jointNames: string[];

  constructor(readonly model: RobotModel) {
    this.jointNames = [...model.actuatedJoints];
    const byParent = new Map<string, typeof model.joints>();
    for (const j of model.joints) byParent.set(j.parent, [...(byParent.get(j.parent) ?? []), j]);
    const queue = [model.rootLink];
    while (queue.length) {
      const l = queue.shift()!;
      for (const j of byParent.get(l) ?? []) {
        this.chain.push({
          parent: j.parent,
          child: j.child,
          origin: poseToXform(j.origin),
          axis: j.axis,
          q: this.jointNames.indexOf(j.name),
          prismatic: j.type === 'prismatic',
        });
        queue.push(j.child);
      }
    }
  }

  /** World frames of every link for joint positions q (base at `base`, default identity). */
  linkFrames(q: ArrayLike<number>, base: Xform = { p: [0, 0, 0], q: [0, 0, 0, 1] }): Map<string, Xform> {
    const out = new Map<string, Xform>([[this.model.rootLink, base]]);
    for (const c of this.chain) {
      const P = out.get(c.parent)!;
      const o = c.origin;
      let p = add(P.p, quatRotate(P.q, o.p));
      let r: Quat = quatMul(P.q, o.q);
      if (c.q >= 0) {
        const v = q[c.q]!;
        if (c.prismatic) p = add(p, quatRotate(r, [c.axis[0] * v, c.axis[1] * v, c.axis[2] * v]));
        else r = quatMul(r, quatFromAxisAngle(c.axis, v));
      }
      out.set(c.child, { p, q: r });
    }
    return out;
  }

  /** World position of a point given in a link's frame. */
  point(q: ArrayLike<number>, link: string, offset: Vec3, base?: Xform): Vec3 {
    const f = this.linkFrames(q, base).get(link);
    if (!f) throw new Error(`kinematics: unknown link "${link}" in ${this.model.name}`);
    return add(f.p, quatRotate(f.q, offset));
  }
}

function add(a: Vec3, b: Vec3): Vec3 {
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}
