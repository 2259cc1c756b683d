/**
 * Joint order checks and name mapping between the policy artifact, the robot description and the hardware.
 * Sets must match exactly; order may differ (arrays are mapped by name). A mismatch names the joints.
 */
export interface JointMap {
  /** hwIndex[p] = index in the hardware arrays of policy joint p. */
  hwIndex: Int32Array;
  /** True when the orders are identical (mapping is the identity). */
  identity: boolean;
}

export function checkJointSets(a: readonly string[], aName: string, b: readonly string[], bName: string): void {
  const dupA = a.filter((x, i) => a.indexOf(x) !== i);
  if (dupA.length) throw new Error(`${aName} lists joint(s) twice: ${dupA.join(', ')}`);
  const dupB = b.filter((x, i) => b.indexOf(x) !== i);
  if (dupB.length) throw new Error(`${bName} lists joint(s) twice: ${dupB.join(', ')}`);
  const onlyA = a.filter((x) => !b.includes(x));
  const onlyB = b.filter((x) => !a.includes(x));
  if (onlyA.length || onlyB.length) {
    const parts = [];
    if (onlyA.length) parts.push(`${aName} has ${onlyA.map((x) => `"${x}"`).join(', ')} that ${bName} lacks`);
    if (onlyB.length) parts.push(`${bName} has ${onlyB.map((x) => `"${x}"`).join(', ')} that ${aName} lacks`);
    throw new Error(`joint mismatch: ${parts.join('; ')}`);
  }
}

export function mapJoints(policyJoints: readonly string[], hwJoints: readonly string[]): JointMap {
  checkJointSets(policyJoints, 'policy', hwJoints, 'hardware');
  const hwIndex = Int32Array.from(policyJoints, (j) => hwJoints.indexOf(j));
  return { hwIndex, identity: hwIndex.every((h, p) => h === p) };
}

/** Human-readable note when orders differ (mapping is by name, so this is information, not an error). */
export function orderNote(policyJoints: readonly string[], otherJoints: readonly string[], otherName: string): string | null {
  if (policyJoints.every((j, i) => otherJoints[i] === j)) return null;
  return `joint order differs between policy and ${otherName}; mapping by name`;
}
