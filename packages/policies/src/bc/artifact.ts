/**
 * The behaviour-cloning MLP in the house policy artifact (format 's2r-policy', kind 'bc-mlp'):
 * obs history (To frames, z-scored with `normalizer`) → MLP → action in [−1, 1] → denormalized with
 * model.actionNormalizer. tensors 'mlp.<i>.w' [in×out] / 'mlp.<i>.b'.
 */
import type { PolicyControl } from '@s2r/core';
import type { ActionSpec, SpaceSpec } from '@s2r/sim/env/types.ts';
import { ArtifactError, buildArtifact, decodeTensor, encodeTensor, validateArtifact, type PolicyArtifact } from '../artifact.ts';
import { checkActionNormalizer, type ActionNormalizer, type ObsNormalizer } from '../demos/normalizer.ts';
import { decodeObsNormalizer, encodeObsNormalizer } from '../diffusion/artifact.ts';
import { checkActionFrame, type RelativeActionFrame } from '../demos/action-frame.ts';
import type { RuntimeActivation, RuntimeLayer } from '../runtime/mlp.ts';

export interface BcModel {
  activation: RuntimeActivation;
  /** Widths including input (To·O) and output (A). */
  sizes: number[];
  obsHistory: number;
  actionNormalizer: ActionNormalizer;
  /** Demonstrated absolute action range (residual policies on top scale by it). */
  actionRange?: { min: number[]; max: number[] };
  /** Present when the net predicts moves from the previous command. */
  actionFrame?: RelativeActionFrame;
  obsMask?: number[];
}

export function makeBcArtifact(i: {
  task: string;
  observationSpec: SpaceSpec;
  actionSpec: ActionSpec;
  control: PolicyControl;
  obsNormalizer: ObsNormalizer;
  actionNormalizer: ActionNormalizer;
  actionRange?: { min: number[]; max: number[] };
  actionFrame?: RelativeActionFrame;
  rows: number;
  obsHistory: number;
  activation: RuntimeActivation;
  layers: RuntimeLayer[];
  training: Record<string, unknown>;
}): PolicyArtifact {
  const tensors: PolicyArtifact['tensors'] = {};
  i.layers.forEach((l, k) => {
    tensors[`mlp.${k}.w`] = encodeTensor(l.w, [l.in, l.out]);
    tensors[`mlp.${k}.b`] = encodeTensor(l.b, [l.out]);
  });
  const model: BcModel = { activation: i.activation, sizes: [i.layers[0]!.in, ...i.layers.map((l) => l.out)], obsHistory: i.obsHistory, actionNormalizer: i.actionNormalizer, ...(i.actionRange ? { actionRange: i.actionRange } : {}), ...(i.actionFrame ? { actionFrame: i.actionFrame } : {}), ...(i.obsNormalizer.mask ? { obsMask: i.obsNormalizer.mask } : {}) };
  return buildArtifact({
    kind: 'bc-mlp',
    task: i.task,
    specs: { observation: i.observationSpec, action: i.actionSpec, privileged: null },
    normalizer: encodeObsNormalizer(i.obsNormalizer, i.rows),
    control: i.control,
    model: model as unknown as Record<string, unknown>,
    tensors,
    training: i.training,
  });
}

export function checkBcArtifact(raw: unknown, where = 'bc-mlp artifact', expectSpecHash?: string): { artifact: PolicyArtifact; model: BcModel; obsNormalizer: ObsNormalizer; layers: RuntimeLayer[] } {
  const a = validateArtifact(raw, where, expectSpecHash ? { specHash: expectSpecHash } : {});
  if (a.kind !== 'bc-mlp') throw new ArtifactError(`${where}: kind`, `is "${a.kind}", expected "bc-mlp"`);
  const m = a.model as unknown as BcModel;
  const O = a.specs.observation.size;
  const A = a.specs.action.size;
  if (!['elu', 'relu', 'tanh', 'linear'].includes(m.activation)) throw new ArtifactError(`${where}: model.activation`, `unknown ${JSON.stringify(m.activation)}`);
  if (!(Number.isInteger(m.obsHistory) && m.obsHistory >= 1)) throw new ArtifactError(`${where}: model.obsHistory`, `invalid (${m.obsHistory})`);
  if (!Array.isArray(m.sizes) || m.sizes.length < 2) throw new ArtifactError(`${where}: model.sizes`, 'must list at least 2 widths');
  if (m.sizes[0] !== O * m.obsHistory) throw new ArtifactError(`${where}: model.sizes`, `input ${m.sizes[0]} ≠ ${m.obsHistory}×${O}`);
  if (m.sizes[m.sizes.length - 1] !== A) throw new ArtifactError(`${where}: model.sizes`, `output ${m.sizes[m.sizes.length - 1]} ≠ action size ${A}`);
  checkActionNormalizer(m.actionNormalizer, A, `${where}: model.actionNormalizer`);
  if (m.actionRange !== undefined) checkActionNormalizer(m.actionRange, A, `${where}: model.actionRange`);
  checkActionFrame(m.actionFrame, a.specs.observation, A, where);
  const layers: RuntimeLayer[] = [];
  for (let k = 0; k + 1 < m.sizes.length; k++) {
    const nin = m.sizes[k]!;
    const nout = m.sizes[k + 1]!;
    layers.push({ in: nin, out: nout, w: decodeTensor(a.tensors[`mlp.${k}.w`], `${where}: tensors["mlp.${k}.w"]`, [nin, nout]), b: decodeTensor(a.tensors[`mlp.${k}.b`], `${where}: tensors["mlp.${k}.b"]`, [nout]) });
  }
  return { artifact: a, model: m, obsNormalizer: decodeObsNormalizer(a, where), layers };
}
