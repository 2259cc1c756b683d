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
  // The view the layout's terms read: the loop's readings, except the joint arrays (permuted when needed) and the
  // last action (always the network's own raw output).
  const pos = new Float64Array(J), vel = new Float64Array(J), pose = new Float64Array(J), last = permuted ? new Float32Array(J) : rawLast;
  const view = { lastAction: last } as ObsInput;
  const oc = L.observationClip ?? Infinity;
  const uniform = L.actionScale.every((x) => x === L.actionScale[0]);
  const scaled = new Float32Array(J);
  const dp: DeployPolicy & { describe(): string[] } = {
    jointNames: L.actionJoints,
    obsSize: L.obsSize,
    actSize: J,
    defaultPose: Float64Array.from(L.defaultPose),
    // Foreign trainers (Isaac Lab, mjlab, Playground) neither clip, clamp nor rate-limit their targets: the pipeline
    // is scale and offset only, and the safety layer's bounds stand behind it as for any policy.
    pipeline: {
      mode: 'position', joints: [...L.actionJoints], low: -Infinity, high: Infinity, scale: uniform ? L.actionScale[0]! : 1,
      offset: [...L.defaultPose], lower: L.actionJoints.map(() => null), upper: L.actionJoints.map(() => null),
      maxRate: L.actionJoints.map(() => null), substepDt: 1 / L.policyRateHz,
    },
    kp: Float64Array.from(L.kp),
    kd: Float64Array.from(L.kd),
    policyRate: L.policyRateHz,
    observe(inp, out) {
      view.angVel = inp.angVel;
      view.projectedGravity = inp.projectedGravity;
      view.linVel = inp.linVel;
      view.command = inp.command;
      if (permuted) {
        for (let i = 0; i < J; i++) {
          const k = perm[i]!;
          pos[i] = inp.jointPos[k]!;
          vel[i] = inp.jointVel[k]!;
          pose[i] = inp.defaultPose[k]!;
          last[i] = rawLast[k]!;
        }
        view.jointPos = pos;
        view.jointVel = vel;
        view.defaultPose = pose;
      } else {
        view.jointPos = inp.jointPos;
        view.jointVel = inp.jointVel;
        view.defaultPose = inp.defaultPose;
      }
      spec.observe(view, out);
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
