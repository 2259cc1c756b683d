/**
 * The diffusion policy artifact (kind 'diffusion'): one JSON file holding the EMA denoiser weights (bit-exact
 * base64 float32), the normalizers, the chunk settings, the noise schedule, the specs with their hash and the
 * training config. Loading checks every field and fails naming the one that is wrong.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ActionSpec, SpaceSpec } from '@s2r/sim/env/types.ts';
import { checkConfig, paramShapes, type FilmMlpConfig, type Params } from './film-mlp.ts';
import { decodeParams, encodeParams, specHash } from './encode.ts';
import { checkActionNormalizer, checkNormalizer, type ActionNormalizer, type ObsNormalizer } from '../demos/normalizer.ts';
import type { ChunkSettings } from './chunked-policy.ts';

export const POLICY_SCHEMA = 's2r.policy';
export const DIFFUSION_SCHEMA_VERSION = 1;

export interface DiffusionChunkSettings extends ChunkSettings {
  /** Average overlapping chunks over time (ACT-style temporal ensembling). */
  ensemble: boolean;
  /** Ensembling weight exp(−decay·i), i = 0 for the oldest prediction (ACT uses 0.01). */
  ensembleDecay: number;
}

export interface DiffusionArtifact {
  schema: typeof POLICY_SCHEMA;
  schemaVersion: number;
  kind: 'diffusion';
  task: string;
  observationSpec: SpaceSpec;
  actionSpec: ActionSpec;
  specHash: string;
  normalizer: { obs: ObsNormalizer; action: ActionNormalizer };
  chunk: DiffusionChunkSettings;
  diffusion: {
    schedule: 'squaredcos_cap_v2';
    trainSteps: number;
    inferenceSteps: number;
    /** x̂₀ clip in normalized action units. */
    clip: number;
    prediction: 'epsilon';
  };
  net: { type: 'film-mlp'; config: FilmMlpConfig; weights: Record<string, string> };
  /** The fully resolved training config (for the record). */
  trainConfig: Record<string, unknown>;
}

export interface DiffusionArtifactInput {
  task: string;
  observationSpec: SpaceSpec;
  actionSpec: ActionSpec;
  normalizer: { obs: ObsNormalizer; action: ActionNormalizer };
  chunk: DiffusionChunkSettings;
  trainSteps: number;
  inferenceSteps: number;
  clip?: number;
  config: FilmMlpConfig;
  params: Params;
  trainConfig: Record<string, unknown>;
}

export function makeDiffusionArtifact(i: DiffusionArtifactInput): DiffusionArtifact {
  return {
    schema: POLICY_SCHEMA,
    schemaVersion: DIFFUSION_SCHEMA_VERSION,
    kind: 'diffusion',
    task: i.task,
    observationSpec: i.observationSpec,
    actionSpec: i.actionSpec,
    specHash: specHash(i.observationSpec, i.actionSpec),
    normalizer: i.normalizer,
    chunk: i.chunk,
    diffusion: { schedule: 'squaredcos_cap_v2', trainSteps: i.trainSteps, inferenceSteps: i.inferenceSteps, clip: i.clip ?? 1, prediction: 'epsilon' },
    net: { type: 'film-mlp', config: i.config, weights: encodeParams(i.params) },
    trainConfig: i.trainConfig,
  };
}

export interface CheckedDiffusionArtifact {
  artifact: DiffusionArtifact;
  params: Params;
}

/** Validate a parsed artifact; `expectSpecHash` (the task's current spec hash) must match when given. */
export function checkDiffusionArtifact(a: unknown, where = 'diffusion artifact', expectSpecHash?: string): CheckedDiffusionArtifact {
  const art = a as DiffusionArtifact;
  if (!art || typeof art !== 'object') throw new Error(`${where}: not an object`);
  if (art.schema !== POLICY_SCHEMA) throw new Error(`${where}: schema is "${art.schema}", expected "${POLICY_SCHEMA}"`);
  if (art.kind !== 'diffusion') throw new Error(`${where}: kind is "${art.kind}", expected "diffusion"`);
  if (art.schemaVersion !== DIFFUSION_SCHEMA_VERSION) throw new Error(`${where}: schemaVersion ${art.schemaVersion} is not supported (this build reads ${DIFFUSION_SCHEMA_VERSION})`);
  if (!art.observationSpec || !art.actionSpec) throw new Error(`${where}: observationSpec/actionSpec missing`);
  const h = specHash(art.observationSpec, art.actionSpec);
  if (art.specHash !== h) throw new Error(`${where}: specHash ${art.specHash} does not match its own specs (${h}); the file is corrupt or edited`);
  if (expectSpecHash !== undefined && expectSpecHash !== h) throw new Error(`${where}: trained for spec ${h}, but the task's spec is ${expectSpecHash} (observation/action layout changed)`);
  const c = art.net?.config;
  if (art.net?.type !== 'film-mlp' || !c) throw new Error(`${where}: net.type must be "film-mlp"`);
  checkConfig(c);
  if (c.obsDim !== art.observationSpec.size) throw new Error(`${where}: net obsDim ${c.obsDim} ≠ observationSpec.size ${art.observationSpec.size}`);
  if (c.actDim !== art.actionSpec.size) throw new Error(`${where}: net actDim ${c.actDim} ≠ actionSpec.size ${art.actionSpec.size}`);
  const ch = art.chunk;
  if (!ch || ch.horizon !== c.horizon || ch.obsHistory !== c.obsHistory) throw new Error(`${where}: chunk settings disagree with the net (horizon ${ch?.horizon}/${c.horizon}, obsHistory ${ch?.obsHistory}/${c.obsHistory})`);
  if (!(Number.isInteger(ch.execute) && ch.execute >= 1 && ch.execute <= ch.horizon)) throw new Error(`${where}: chunk.execute must be an integer in [1, ${ch.horizon}], got ${ch.execute}`);
  const d = art.diffusion;
  if (!d || d.schedule !== 'squaredcos_cap_v2' || d.prediction !== 'epsilon') throw new Error(`${where}: diffusion.schedule/prediction must be squaredcos_cap_v2/epsilon`);
  if (!(Number.isInteger(d.trainSteps) && d.trainSteps >= 1)) throw new Error(`${where}: diffusion.trainSteps invalid (${d.trainSteps})`);
  if (!(Number.isInteger(d.inferenceSteps) && d.inferenceSteps >= 1 && d.inferenceSteps <= d.trainSteps)) throw new Error(`${where}: diffusion.inferenceSteps invalid (${d.inferenceSteps})`);
  checkNormalizer(art.normalizer?.obs, c.obsDim, `${where}: normalizer.obs`);
  checkActionNormalizer(art.normalizer?.action, c.actDim, `${where}: normalizer.action`);
  const params = decodeParams(art.net.weights, paramShapes(c), `${where}: net`);
  return { artifact: art, params };
}

export function saveDiffusionArtifact(path: string, a: DiffusionArtifact): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(a));
}

export function readDiffusionArtifact(path: string, expectSpecHash?: string): CheckedDiffusionArtifact {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`diffusion artifact ${path}: ${(err as Error).message}`);
  }
  return checkDiffusionArtifact(parsed, `diffusion artifact ${path}`, expectSpecHash);
}
