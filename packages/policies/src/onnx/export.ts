/**
 * Export an s2r 'mlp' policy artifact to ONNX, the way rsl_rl's exporter does it: the observation normalizer baked
 * into the graph (Sub → Mul → Clip), the MLP (Gemm + activation), and the action clip s2r's runtime applies; input
 * `obs` [1,N], output `actions` [1,A], opset 17, batch 1. Metadata follows mjlab's convention (CSV strings), so
 * mjlab's tools and `s2r deploy --layout mjlab` read the file the same way: joint names, default pose, stiffness,
 * damping, action scale, and the observation terms under mjlab's names in the network's actual input order.
 */
import { ArtifactError, decodeTensor, readArtifact, type PolicyArtifact } from '../artifact.ts';
import { writeOnnxModel, type OnnxConst, type OnnxNode } from './onnx-file.ts';
import { MJLAB_NAME } from './presets.ts';

export const EXPORT_OPSET = 17;

/** mjlab writes numbers as CSV; s2r keeps 7 significant digits (float32 values round-trip exactly enough). */
const csv = (xs: ArrayLike<number>) => Array.from(xs, (x) => String(Number(x.toPrecision(7)))).join(',');

export interface OnnxExport {
  bytes: Uint8Array;
  metadata: Record<string, string>;
  obsSize: number;
  actSize: number;
}

export function exportArtifactToOnnx(a: PolicyArtifact, where: string): OnnxExport {
  if (a.kind !== 'mlp') throw new ArtifactError(where, `ONNX export supports kind "mlp" (PPO policies); this artifact is "${a.kind}"`);
  const m = a.model as { activation?: string; sizes?: number[] };
  const act = m.activation;
  if (!['elu', 'tanh', 'relu', 'linear'].includes(act ?? '')) throw new ArtifactError(where, `model.activation ${JSON.stringify(act)} has no ONNX export`);
  const sizes = m.sizes ?? [];
  const N = a.specs.observation.size;
  const A = a.specs.action.size;
  if (sizes[0] !== N || sizes[sizes.length - 1] !== A) throw new ArtifactError(where, `model.sizes ${JSON.stringify(sizes)} do not match observation ${N} → action ${A}`);
  const c = a.control;
  if (c.actionMode !== 'position') throw new ArtifactError(where, `ONNX export with mjlab metadata needs a position policy (target = default + scale·action); this one is "${c.actionMode}"`);

  // Observation names in mjlab's vocabulary, in the network's input order.
  const terms = a.specs.observation.terms;
  const names = terms.map((t) => {
    const n = MJLAB_NAME[t.name];
    if (!n) throw new ArtifactError(where, `observation term "${t.name}" has no mjlab name (known: ${Object.keys(MJLAB_NAME).join(', ')}); it cannot be described in mjlab metadata`);
    return n;
  });

  const mean = decodeTensor(a.normalizer.mean, `${where}: normalizer.mean`, [N]);
  const variance = decodeTensor(a.normalizer.var, `${where}: normalizer.var`, [N]);
  // Same float32 constants as RunningNormalizer: (x − mean)·(1/√(var + eps)), clipped to ±clip.
  const inv = Float32Array.from(variance, (v) => 1 / Math.sqrt(v + a.normalizer.eps));
  const consts: OnnxConst[] = [
    { name: 'obs_mean', dims: [N], data: Float32Array.from(mean) },
    { name: 'obs_inv_std', dims: [N], data: inv },
    { name: 'obs_clip_lo', dims: [], data: [-a.normalizer.clip] },
    { name: 'obs_clip_hi', dims: [], data: [a.normalizer.clip] },
    { name: 'act_lo', dims: [], data: [c.actionLow] },
    { name: 'act_hi', dims: [], data: [c.actionHigh] },
  ];
  const nodes: OnnxNode[] = [
    { op: 'Sub', inputs: ['obs', 'obs_mean'], outputs: ['obs_centered'] },
    { op: 'Mul', inputs: ['obs_centered', 'obs_inv_std'], outputs: ['obs_scaled'] },
    { op: 'Clip', inputs: ['obs_scaled', 'obs_clip_lo', 'obs_clip_hi'], outputs: ['x0'] },
  ];
  let x = 'x0';
  for (let i = 0; i + 1 < sizes.length; i++) {
    const w = decodeTensor(a.tensors[`actor.${i}.w`], `${where}: tensors["actor.${i}.w"]`, [sizes[i]!, sizes[i + 1]!]);
    const b = decodeTensor(a.tensors[`actor.${i}.b`], `${where}: tensors["actor.${i}.b"]`, [sizes[i + 1]!]);
    consts.push({ name: `actor.${i}.w`, dims: [sizes[i]!, sizes[i + 1]!], data: w }, { name: `actor.${i}.b`, dims: [sizes[i + 1]!], data: b });
    const y = `h${i}`;
    nodes.push({ op: 'Gemm', inputs: [x, `actor.${i}.w`, `actor.${i}.b`], outputs: [y] });
    x = y;
    if (i + 2 < sizes.length && act !== 'linear') {
      const z = `a${i}`;
      nodes.push({ op: act === 'elu' ? 'Elu' : act === 'tanh' ? 'Tanh' : 'Relu', inputs: [x], outputs: [z], ...(act === 'elu' ? { attrs: { alpha: 1.0 } } : {}) });
      x = z;
    }
  }
  // The deterministic (mean) action, clipped to the bounds it was trained under, as s2r's runtime does.
  nodes.push({ op: 'Clip', inputs: [x, 'act_lo', 'act_hi'], outputs: ['actions'] });

  const J = c.jointNames;
  const metadata: Record<string, string> = {
    run_path: `s2r ${a.task} ${a.createdAt}`,
    joint_names: J.join(','),
    joint_stiffness: csv(c.kp ?? new Array(J.length).fill(0)),
    joint_damping: csv(c.kd ?? new Array(J.length).fill(0)),
    default_joint_pos: csv(c.defaultPose),
    command_names: 'twist',
    observation_names: names.join(','),
    action_scale: csv(new Array(J.length).fill(c.actionScale)),
    // s2r's additions (mjlab ignores unknown keys): term sizes, policy rate, the action bounds baked in.
    observation_sizes: terms.map((t) => t.size).join(','),
    policy_rate_hz: String(Number((1 / c.dt).toPrecision(7))),
    s2r_task: a.task,
    s2r_sha256: a.integrity.sha256,
  };
  const bytes = writeOnnxModel({
    name: `s2r_${a.task}`,
    inputs: [{ name: 'obs', dims: [1, N] }],
    outputs: [{ name: 'actions', dims: [1, A] }],
    nodes,
    consts,
    opset: EXPORT_OPSET,
    producer: 's2r',
    producerVersion: String(a.schemaVersion),
    metadata,
  });
  return { bytes, metadata, obsSize: N, actSize: A };
}

export async function exportPolicyFileToOnnx(path: string): Promise<OnnxExport> {
  return exportArtifactToOnnx(await readArtifact(path), path);
}
