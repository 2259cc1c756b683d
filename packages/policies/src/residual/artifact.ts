/**
 * The residual policy in the house policy artifact (format 's2r-policy', kind 'residual'). It deploys as one
 * policy: the frozen base artifact is embedded whole (model.base, itself a validated s2r-policy artifact with
 * its own integrity hash), plus the residual Gaussian actor's mean MLP.
 *
 *   normalizer          z-score of the task observation (the first O inputs of the residual MLP)
 *   model.baseActionNormalizer  {mean, var, clip, eps} of the base-action inputs (the last A inputs)
 *   model.residual      { activation, sizes [O+A, …, A], logStd (informational), scale, bound[A] }
 *   tensors             'residual.<i>.w' [in×out], 'residual.<i>.b'
 *   a = clip(a_base + bound ⊙ clip(μ(x), −1, 1), low, high)
 */
import type { PolicyControl } from '@s2r/core';
import type { ActionSpec, SpaceSpec } from '@s2r/sim/env/types.ts';
import { ArtifactError, buildArtifact, decodeTensor, encodeTensor, validateArtifact, type EncodedTensor, type PolicyArtifact } from '../artifact.ts';
import type { RuntimeActivation, RuntimeLayer } from '../runtime/mlp.ts';

export interface ResidualModel {
  base: PolicyArtifact;
  baseActionNormalizer: { mean: EncodedTensor; var: EncodedTensor; clip: number; eps: number };
  residual: { activation: RuntimeActivation; sizes: number[]; logStd: number[]; scale: number; bound: number[]; baseOwnAction?: boolean };
}

export interface ResidualArtifactInput {
  task: string;
  observationSpec: SpaceSpec;
  actionSpec: ActionSpec;
  control: PolicyControl;
  base: PolicyArtifact;
  /** Running normalizer over [obs, a_base] (size O + A). */
  norm: { mean: Float32Array | Float64Array; var: Float32Array | Float64Array; count: number; clip: number; eps: number };
  activation: RuntimeActivation;
  layers: RuntimeLayer[];
  logStd: ArrayLike<number>;
  scale: number;
  bound: number[];
  /** The base was fed its own previous action as last_action in training (OwnCommandBase); absent = false. */
  baseOwnAction?: boolean;
  training: Record<string, unknown>;
}

export function makeResidualArtifact(i: ResidualArtifactInput): PolicyArtifact {
  const O = i.observationSpec.size;
  const A = i.actionSpec.size;
  if (i.norm.mean.length !== O + A) throw new Error(`makeResidualArtifact: normalizer has ${i.norm.mean.length} entries, expected ${O}+${A}`);
  const f = (x: ArrayLike<number>, a: number, b: number) => Float32Array.from(Array.from(x).slice(a, b));
  const tensors: PolicyArtifact['tensors'] = {};
  i.layers.forEach((l, k) => {
    tensors[`residual.${k}.w`] = encodeTensor(l.w, [l.in, l.out]);
    tensors[`residual.${k}.b`] = encodeTensor(l.b, [l.out]);
  });
  const model: ResidualModel = {
    base: i.base,
    baseActionNormalizer: { mean: encodeTensor(f(i.norm.mean, O, O + A)), var: encodeTensor(f(i.norm.var, O, O + A)), clip: i.norm.clip, eps: i.norm.eps },
    residual: { activation: i.activation, sizes: [i.layers[0]!.in, ...i.layers.map((l) => l.out)], logStd: Array.from(i.logStd), scale: i.scale, bound: i.bound, ...(i.baseOwnAction ? { baseOwnAction: true } : {}) },
  };
  return buildArtifact({
    kind: 'residual',
    task: i.task,
    specs: { observation: i.observationSpec, action: i.actionSpec, privileged: null },
    normalizer: { mean: encodeTensor(f(i.norm.mean, 0, O)), var: encodeTensor(f(i.norm.var, 0, O)), count: i.norm.count, clip: i.norm.clip, eps: i.norm.eps },
    control: i.control,
    model: model as unknown as Record<string, unknown>,
    tensors,
    training: i.training,
  });
}

export interface CheckedResidual {
  artifact: PolicyArtifact;
  model: ResidualModel;
  base: PolicyArtifact;
  layers: RuntimeLayer[];
  /** Mean / 1/√(var+eps) over the O + A residual inputs, and the clip. */
  inMean: Float32Array;
  inInvStd: Float32Array;
  clip: number;
}

export function checkResidualArtifact(raw: unknown, where = 'residual artifact', expectSpecHash?: string): CheckedResidual {
  const a = validateArtifact(raw, where, expectSpecHash ? { specHash: expectSpecHash } : {});
  if (a.kind !== 'residual') throw new ArtifactError(`${where}: kind`, `is "${a.kind}", expected "residual"`);
  const m = a.model as unknown as ResidualModel;
  if (!m.base) throw new ArtifactError(`${where}: model.base`, 'missing (the residual artifact embeds its frozen base)');
  const base = validateArtifact(m.base, `${where}: model.base`, { specHash: a.specs.hash });
  if (base.kind === 'residual') throw new ArtifactError(`${where}: model.base.kind`, 'a residual cannot be the base of a residual');
  const O = a.specs.observation.size;
  const A = a.specs.action.size;
  const r = m.residual;
  if (!r || !['elu', 'relu', 'tanh', 'linear'].includes(r.activation)) throw new ArtifactError(`${where}: model.residual.activation`, `unknown ${JSON.stringify(r?.activation)}`);
  if (!Array.isArray(r.sizes) || r.sizes.length < 2 || r.sizes[0] !== O + A || r.sizes[r.sizes.length - 1] !== A) throw new ArtifactError(`${where}: model.residual.sizes`, `must run from ${O}+${A} inputs to ${A} outputs, got [${r.sizes}]`);
  if (!(typeof r.scale === 'number' && r.scale > 0)) throw new ArtifactError(`${where}: model.residual.scale`, `must be > 0, got ${r.scale}`);
  if (r.baseOwnAction !== undefined && typeof r.baseOwnAction !== 'boolean') throw new ArtifactError(`${where}: model.residual.baseOwnAction`, `must be a boolean, got ${JSON.stringify(r.baseOwnAction)}`);
  if (!Array.isArray(r.bound) || r.bound.length !== A || !r.bound.every((b) => Number.isFinite(b) && b >= 0)) throw new ArtifactError(`${where}: model.residual.bound`, `must hold ${A} finite non-negative bounds`);
  const layers: RuntimeLayer[] = [];
  for (let k = 0; k + 1 < r.sizes.length; k++) {
    const nin = r.sizes[k]!;
    const nout = r.sizes[k + 1]!;
    layers.push({ in: nin, out: nout, w: decodeTensor(a.tensors[`residual.${k}.w`], `${where}: tensors["residual.${k}.w"]`, [nin, nout]), b: decodeTensor(a.tensors[`residual.${k}.b`], `${where}: tensors["residual.${k}.b"]`, [nout]) });
  }
  const bn = m.baseActionNormalizer;
  if (!bn) throw new ArtifactError(`${where}: model.baseActionNormalizer`, 'missing — refusing to run the residual on unnormalized inputs');
  const om = decodeTensor(a.normalizer.mean, `${where}: normalizer.mean`, [O]);
  const ov = decodeTensor(a.normalizer.var, `${where}: normalizer.var`, [O]);
  const bm = decodeTensor(bn.mean, `${where}: model.baseActionNormalizer.mean`, [A]);
  const bv = decodeTensor(bn.var, `${where}: model.baseActionNormalizer.var`, [A]);
  const inMean = new Float32Array(O + A);
  const inInvStd = new Float32Array(O + A);
  for (let j = 0; j < O; j++) {
    inMean[j] = om[j]!;
    inInvStd[j] = 1 / Math.sqrt(ov[j]! + a.normalizer.eps);
  }
  for (let j = 0; j < A; j++) {
    inMean[O + j] = bm[j]!;
    inInvStd[O + j] = 1 / Math.sqrt(bv[j]! + bn.eps);
  }
  if (!inInvStd.every(Number.isFinite)) throw new ArtifactError(`${where}: normalizer`, 'has a zero variance with eps 0');
  return { artifact: a, model: m, base, layers, inMean, inInvStd, clip: a.normalizer.clip };
}
