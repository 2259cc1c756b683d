/**
 * Build a real 'mlp' policy artifact for go1-flat with @s2r/policies (tiny seeded weights: the robot stands), so
 * deploy tests exercise the artifact path end to end: loadPolicy → spec checks → the task's observe().
 */
import { buildArtifact, saveArtifact, encodeTensor } from '@s2r/policies/artifact.ts';
import { encodeMlp } from '@s2r/policies/mlp-policy.ts';
import { getTask } from '@s2r/sim/tasks/registry.ts';
import { Rng } from '@s2r/core';

export async function writeGo1Artifact(path: string, opts: { jointNames?: (names: string[]) => string[]; hidden?: number } = {}): Promise<void> {
  const spec = getTask('go1-flat').deploy();
  const obs = spec.observationSpec;
  const n = spec.jointNames.length;
  const rng = Rng.seed(7).split('test-artifact');
  const sizes = [obs.size, opts.hidden ?? 32, n];
  const layers = sizes.slice(1).map((out, i) => {
    const w = new Float32Array(sizes[i]! * out);
    rng.fillNormal(w, 0, 1e-3);
    return { in: sizes[i]!, out, w, b: new Float32Array(out) };
  });
  const { model, tensors } = encodeMlp(layers, 'elu', new Array(n).fill(0));
  const joints = opts.jointNames ? opts.jointNames([...spec.jointNames]) : [...spec.jointNames];
  const a = buildArtifact({
    kind: 'mlp',
    task: 'go1-flat',
    specs: {
      observation: obs,
      action: { size: n, joints, low: -100, high: 100, mode: 'position', scale: spec.pipeline.scale, unit: 'rad' },
      privileged: null,
    },
    normalizer: { mean: encodeTensor(new Float32Array(obs.size)), var: encodeTensor(new Float32Array(obs.size).fill(1)), count: 1, clip: 5, eps: 1e-8 },
    control: {
      dt: spec.controlDt,
      actionScale: spec.pipeline.scale,
      actionMode: 'position',
      actionLow: -100,
      actionHigh: 100,
      jointNames: joints,
      defaultPose: Array.from(spec.defaultJointPos),
      kp: Array.from(spec.kp),
      kd: Array.from(spec.kd),
    },
    model: model as unknown as Record<string, unknown>,
    tensors,
    training: { note: 'test artifact with random tiny weights' },
  });
  await saveArtifact(path, a);
}
