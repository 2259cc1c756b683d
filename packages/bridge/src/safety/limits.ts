/**
 * Per-joint limits in a hardware's joint order, taken from the RobotModel (the URDF is the single source of truth).
 * Units: rad, rad/s, N·m (m, m/s, N for prismatic joints).
 */
import type { RobotModel } from '@s2r/core';

export interface JointLimitTable {
  names: readonly string[];
  lower: Float64Array;
  upper: Float64Array;
  /** Max |velocity|; Infinity when the URDF gives none. */
  velocity: Float64Array;
  /** Max |effort|; Infinity when the URDF gives none. */
  effort: Float64Array;
}

/** Look the joints up by name; a joint the model lacks is an error that names it and the URDF. */
export function limitsFromModel(model: RobotModel, jointNames: readonly string[]): JointLimitTable {
  const n = jointNames.length;
  const t: JointLimitTable = {
    names: [...jointNames],
    lower: new Float64Array(n),
    upper: new Float64Array(n),
    velocity: new Float64Array(n),
    effort: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const name = jointNames[i]!;
    const j = model.joints.find((x) => x.name === name);
    if (!j) throw new Error(`joint "${name}" is not in robot "${model.name}" (${model.source}); its joints are: ${model.actuatedJoints.join(', ')}`);
    if (j.type === 'fixed' || j.type === 'floating' || j.type === 'planar') {
      throw new Error(`joint "${name}" of robot "${model.name}" is ${j.type}, not an actuated joint`);
    }
    const L = j.limits;
    const continuous = j.type === 'continuous';
    t.lower[i] = continuous ? -Infinity : L.lower;
    t.upper[i] = continuous ? Infinity : L.upper;
    // URDF writes 0 for "unspecified" velocity/effort on some robots; 0 would freeze the joint, so treat it as none.
    t.velocity[i] = L.velocity > 0 ? L.velocity : Infinity;
    t.effort[i] = L.effort > 0 ? L.effort : Infinity;
    if (!(t.lower[i]! <= t.upper[i]!)) throw new Error(`joint "${name}" has lower limit ${L.lower} above upper ${L.upper} in ${model.source}`);
  }
  return t;
}

/** Limits built directly (tests, robots without a URDF at hand). */
export function limitTable(names: readonly string[], l: { lower: number[]; upper: number[]; velocity: number[]; effort: number[] }): JointLimitTable {
  return {
    names: [...names],
    lower: Float64Array.from(l.lower),
    upper: Float64Array.from(l.upper),
    velocity: Float64Array.from(l.velocity),
    effort: Float64Array.from(l.effort),
  };
}
