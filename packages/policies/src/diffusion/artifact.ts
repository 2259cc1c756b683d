/**
 * The diffusion policy in the house policy artifact (artifact.ts, format 's2r-policy', kind 'diffusion').
 *
 *   normalizer  observation z-score: mean, var (= std², eps 0), clip — what the denoiser's condition sees
 *   model       { type 'film-mlp', net: FilmMlpConfig, chunk: {horizon, execute, obsHistory, ensemble,
 *                 ensembleDecay}, diffusion: {schedule 'squaredcos_cap_v2', trainSteps, inferenceSteps, clip,
 *                 prediction 'epsilon'}, actionNormalizer: {min, max} (actions ↔ [−1, 1]) }
 *   tensors     'denoiser.<name>' for every FiLM-MLP parameter (EMA weights), shapes from paramShapes()
 *   control     dt, action scale/mode/bounds, joints, default pose, gains (from the demonstrations' task)
 */
import type { PolicyControl } from '@s2r/core';
import type { ActionSpec, SpaceSpec } from '@s2r/sim/env/types.ts';
import { ArtifactError, buildArtifact, decodeTensor, encodeTensor, validateArtifact, type PolicyArtifact } from '../artifact.ts';
import { checkConfig, paramShapes, type FilmMlpConfig, type Params } from './film-mlp.ts';
import { checkActionNormalizer, type ActionNormalizer, type ObsNormalizer } from '../demos/normalizer.ts';
import type { ChunkSpec } from './chunked-policy.ts';
import type { Prediction } from './sampler.ts';
import { checkActionFrame, type RelativeActionFrame } from '../demos/action-frame.ts';
import { checkOneStep, type OneStepSettings } from './onestep.ts';

export interface DiffusionChunkSettings extends ChunkSpec {
  /** Average overlapping chunks over time (ACT-style temporal ensembling). */
  ensemble: boolean;
  /** Ensembling weight exp(−decay·i), i = 0 for the oldest prediction (ACT uses 0.01). */
  ensembleDecay: number;
}

export interface DiffusionSettings {
  schedule: 'squaredcos_cap_v2';
  trainSteps: number;
  inferenceSteps: number;
  /** x̂₀ clip in normalized action units. */
  clip: number;
  /** What the denoiser outputs (sampler.ts: asEpsFn). */
  prediction: Prediction;
}

export interface DiffusionModel {
  type: 'film-mlp';
  net: FilmMlpConfig;
  chunk: DiffusionChunkSettings;
  diffusion: DiffusionSettings;
  /** actions ↔ [−1, 1]: A entries (one range per joint), or H·A (one per chunk step and joint, relative frame). */
  actionNormalizer: ActionNormalizer;
  /** Demonstrated absolute action range (residual policies on top scale by it). */
  actionRange?: { min: number[]; max: number[] };
  /** Present when chunks are moves from the previous command (demos/action-frame.ts). */
  actionFrame?: RelativeActionFrame;
  /** 0/1 per observation dimension: terms the denoiser ignores (see ignoreObsTerms). */
  obsMask?: number[];
  /** Present on a one-step student (onestep.ts): one denoiser call at this step maps x_T to the chunk. */
  onestep?: OneStepSettings;
}

/** Control block defaults when the task does not say (no default pose offset, no gains). */
export function defaultControl(actionSpec: ActionSpec, dt: number, c: Partial<PolicyControl> = {}): PolicyControl {
  return {
    dt,
    actionScale: actionSpec.scale,
    actionMode: actionSpec.mode,
    actionLow: actionSpec.low,
    actionHigh: actionSpec.high,
    jointNames: [...actionSpec.joints],
    defaultPose: c.defaultPose ?? actionSpec.joints.map(() => 0),
    kp: c.kp ?? null,
    kd: c.kd ?? null,
    ...c,
  };
}

/** Observation normalizer → artifact block (var = std², eps 0, so deployment divides by the same std). */
export function encodeObsNormalizer(n: ObsNormalizer, count: number): PolicyArtifact['normalizer'] {
  return { mean: encodeTensor(n.mean), var: encodeTensor(n.std.map((s) => s * s)), count, clip: n.clip, eps: 0 };
}

export function decodeObsNormalizer(a: PolicyArtifact, where: string): ObsNormalizer {
  const O = a.specs.observation.size;
  const mean = decodeTensor(a.normalizer.mean, `${where}: normalizer.mean`, [O]);
  const v = decodeTensor(a.normalizer.var, `${where}: normalizer.var`, [O]);
  const std = Array.from(v, (x) => Math.sqrt(x + a.normalizer.eps));
  if (std.some((s) => !(s > 0))) throw new ArtifactError(`${where}: normalizer.var`, 'has a zero variance with eps 0 (division by zero)');
  const mask = (a.model as { obsMask?: unknown }).obsMask;
  if (mask !== undefined && (!Array.isArray(mask) || mask.length !== O || !mask.every((x) => x === 0 || x === 1))) throw new ArtifactError(`${where}: model.obsMask`, `must be ${O} entries of 0/1`);
  return { mean: Array.from(mean), std, clip: a.normalizer.clip, ...(mask ? { mask: mask as number[] } : {}) };
}

export interface DiffusionArtifactInput {
  task: string;
  observationSpec: SpaceSpec;
  actionSpec: ActionSpec;
  control: PolicyControl;
  obsNormalizer: ObsNormalizer;
  actionNormalizer: ActionNormalizer;
  actionRange?: { min: number[]; max: number[] };
  actionFrame?: RelativeActionFrame;
  rows: number;
  chunk: DiffusionChunkSettings;
  trainSteps: number;
  inferenceSteps: number;
  clip?: number;
  prediction?: Prediction;
  net: FilmMlpConfig;
  params: Params;
  training: Record<string, unknown>;
}

export function makeDiffusionArtifact(i: DiffusionArtifactInput): PolicyArtifact {
  const shapes = paramShapes(i.net);
  const tensors: PolicyArtifact['tensors'] = {};
  for (const [name, shape] of Object.entries(shapes)) tensors[`denoiser.${name}`] = encodeTensor(i.params[name]!, shape);
  const model: DiffusionModel = {
    type: 'film-mlp',
    net: i.net,
    chunk: i.chunk,
    diffusion: { schedule: 'squaredcos_cap_v2', trainSteps: i.trainSteps, inferenceSteps: i.inferenceSteps, clip: i.clip ?? 1, prediction: i.prediction ?? 'epsilon' },
    actionNormalizer: i.actionNormalizer,
    ...(i.actionRange ? { actionRange: i.actionRange } : {}),
    ...(i.actionFrame ? { actionFrame: i.actionFrame } : {}),
    ...(i.obsNormalizer.mask ? { obsMask: i.obsNormalizer.mask } : {}),
  };
  return buildArtifact({
    kind: 'diffusion',
    task: i.task,
    specs: { observation: i.observationSpec, action: i.actionSpec, privileged: null },
    normalizer: encodeObsNormalizer(i.obsNormalizer, i.rows),
    control: i.control,
    model: model as unknown as Record<string, unknown>,
    tensors,
    training: i.training,
  });
}

export interface CheckedDiffusion {
  artifact: PolicyArtifact;
  model: DiffusionModel;
  obsNormalizer: ObsNormalizer;
  params: Params;
}

/** Validate (house checks + diffusion-specific ones) and decode. Errors name the field. */
export function checkDiffusionArtifact(raw: unknown, where = 'diffusion artifact', expectSpecHash?: string): CheckedDiffusion {
  const a = validateArtifact(raw, where, expectSpecHash ? { specHash: expectSpecHash } : {});
  if (a.kind !== 'diffusion') throw new ArtifactError(`${where}: kind`, `is "${a.kind}", expected "diffusion"`);
  const m = a.model as unknown as DiffusionModel;
  if (m.type !== 'film-mlp' || !m.net) throw new ArtifactError(`${where}: model.type`, `must be "film-mlp", got ${JSON.stringify(m.type)}`);
  try {
    checkConfig(m.net);
  } catch (e) {
    throw new ArtifactError(`${where}: model.net`, (e as Error).message);
  }
  const O = a.specs.observation.size;
  const A = a.specs.action.size;
  if (m.net.obsDim !== O) throw new ArtifactError(`${where}: model.net.obsDim`, `${m.net.obsDim} ≠ observation size ${O}`);
  if (m.net.actDim !== A) throw new ArtifactError(`${where}: model.net.actDim`, `${m.net.actDim} ≠ action size ${A}`);
  const ch = m.chunk;
  if (!ch || ch.horizon !== m.net.horizon || ch.obsHistory !== m.net.obsHistory) throw new ArtifactError(`${where}: model.chunk`, `disagrees with the net (horizon ${ch?.horizon}/${m.net.horizon}, obsHistory ${ch?.obsHistory}/${m.net.obsHistory})`);
  if (!(Number.isInteger(ch.execute) && ch.execute >= 1 && ch.execute <= ch.horizon)) throw new ArtifactError(`${where}: model.chunk.execute`, `must be an integer in [1, ${ch.horizon}], got ${ch.execute}`);
  const d = m.diffusion;
  if (!d || d.schedule !== 'squaredcos_cap_v2' || (d.prediction !== 'epsilon' && d.prediction !== 'sample')) throw new ArtifactError(`${where}: model.diffusion`, 'schedule must be squaredcos_cap_v2 and prediction epsilon or sample');
  if (!(d.clip > 0)) throw new ArtifactError(`${where}: model.diffusion.clip`, `must be > 0, got ${d.clip}`);
  if (!(Number.isInteger(d.trainSteps) && d.trainSteps >= 1)) throw new ArtifactError(`${where}: model.diffusion.trainSteps`, `invalid (${d.trainSteps})`);
  if (!(Number.isInteger(d.inferenceSteps) && d.inferenceSteps >= 1 && d.inferenceSteps <= d.trainSteps)) throw new ArtifactError(`${where}: model.diffusion.inferenceSteps`, `invalid (${d.inferenceSteps})`);
  if (m.onestep !== undefined) checkOneStep(m.onestep, d, where);
  const nA = Array.isArray(m.actionNormalizer?.min) && m.actionNormalizer.min.length === ch.horizon * A ? ch.horizon * A : A;
  checkActionNormalizer(m.actionNormalizer, nA, `${where}: model.actionNormalizer`);
  if (m.actionRange !== undefined) checkActionNormalizer(m.actionRange, A, `${where}: model.actionRange`);
  checkActionFrame(m.actionFrame, a.specs.observation, A, where);
  const params: Params = {};
  const shapes = paramShapes(m.net);
  for (const [name, shape] of Object.entries(shapes)) params[name] = decodeTensor(a.tensors[`denoiser.${name}`], `${where}: tensors["denoiser.${name}"]`, shape);
  const extra = Object.keys(a.tensors).filter((k) => !(k.startsWith('denoiser.') && k.slice(9) in shapes));
  if (extra.length) throw new ArtifactError(`${where}: tensors`, `unexpected tensors: ${extra.join(', ')}`);
  return { artifact: a, model: m, obsNormalizer: decodeObsNormalizer(a, where), params };
}
