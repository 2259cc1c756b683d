/**
 * An ONNX policy (Isaac Lab, mjlab, legged_gym, Playground, or s2r's own export) as the DeployPolicy the loop runs.
 * The layout (presets or a file, resolved and checked in @s2r/policies/onnx) names the observation terms; they are
 * built by the bridge's one observation function (observationFromSpec), so an ONNX policy sees exactly what an s2r
 * artifact with the same terms would. Per-joint action scales (mjlab) are applied here and the loop's scale is 1;
 * the `last_action` slot always holds the network's own latest raw output, also under command latency.
 */
import type { DeployPolicy, ObsInput } from './types.ts';
import { observationFromSpec } from './observation.ts';

export interface OnnxSource {
  onnx: string;
  layout: string;
  robot: string;
  jointOrder?: string[];
  zeroTerms?: string[];
  measures?: string[];
}

export async function adaptOnnxPolicy(s: OnnxSource): Promise<DeployPolicy & { describe(): string[] }> {
  const { OnnxPolicy } = await import('@s2r/policies/onnx/index.ts');
  const p = new OnnxPolicy({ path: s.onnx, layout: s.layout, robot: s.robot, jointOrder: s.jointOrder, zeroTerms: s.zeroTerms, measures: s.measures });
  const L = p.layout;
  const J = L.actionJoints.length;
  // Zeroed terms are the same term multiplied by 0: what the policy sees is printed and recorded as zeros.
  const spec = observationFromSpec(
    L.terms.map((t) => ({ name: t.name, size: t.size, scale: t.zeroed ? 0 : t.scale, ...(t.clip ? { clip: t.clip } : {}) })),
    J,
  );
  const rawLast = new Float32Array(J);
  // Observation joint order ≠ action order: the joint readings are permuted into scratch arrays (no allocation).
  const perm = L.obsJoints.map((j) => L.actionJoints.indexOf(j));
  const permuted = perm.some((k, i) => k !== i);
  const view: ObsInput = {
    jointPos: new Float64Array(J), jointVel: new Float64Array(J), defaultPose: new Float64Array(J),
    angVel: new Float64Array(3), projectedGravity: new Float64Array(3), linVel: new Float64Array(3), commands: new Float64Array(3),
    lastAction: new Float32Array(J),
  };
  const oc = L.observationClip ?? Infinity;
  const uniform = L.actionScale.every((x) => x === L.actionScale[0]);
  const scaled = new Float32Array(J);
  const dp: DeployPolicy & { describe(): string[] } = {
    jointNames: L.actionJoints,
    obsSize: L.obsSize,
    actSize: J,
    defaultPose: Float64Array.from(L.defaultPose),
    actionScale: uniform ? L.actionScale[0]! : 1,
    actionMode: 'position',
    kp: Float64Array.from(L.kp),
    kd: Float64Array.from(L.kd),
    policyRate: L.policyRateHz,
    observe(inp, out) {
      let src = inp;
      if (permuted) {
        for (let i = 0; i < J; i++) {
          const k = perm[i]!;
          view.jointPos[i] = inp.jointPos[k]!;
          view.jointVel[i] = inp.jointVel[k]!;
          view.defaultPose[i] = inp.defaultPose[k]!;
          view.lastAction[i] = rawLast[k]!;
        }
        view.angVel = inp.angVel;
        view.projectedGravity = inp.projectedGravity;
        view.linVel = inp.linVel;
        view.commands = inp.commands;
        src = view;
      } else if (src.lastAction !== rawLast) {
        view.jointPos = inp.jointPos;
        view.jointVel = inp.jointVel;
        view.defaultPose = inp.defaultPose;
        view.angVel = inp.angVel;
        view.projectedGravity = inp.projectedGravity;
        view.linVel = inp.linVel;
        view.commands = inp.commands;
        view.lastAction = rawLast;
        src = view;
      }
      spec.observe(src, out);
      if (oc !== Infinity) for (let i = 0; i < out.length; i++) out[i] = out[i]! > oc ? oc : out[i]! < -oc ? -oc : out[i]!;
    },
    act(obs) {
      const a = p.act(obs);
      rawLast.set(a);
      if (uniform) return a;
      for (let i = 0; i < J; i++) scaled[i] = a[i]! * L.actionScale[i]!;
      return scaled;
    },
    reset() {
      p.reset();
      rawLast.fill(0);
    },
    dispose: () => p.dispose(),
    describe: () => p.describe(),
  };
  return dp;
}
