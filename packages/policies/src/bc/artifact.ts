/**
 * The behaviour-cloning MLP artifact (kind 'bc-mlp'): obs history (To frames, normalized) → one action
 * (normalized to [−1, 1], denormalized at the output). One JSON file, bit-exact base64 float32 weights.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ActionSpec, SpaceSpec } from '@s2r/sim/env/types.ts';
import { b64ToF32, f32ToB64, specHash } from '../diffusion/encode.ts';
import { checkActionNormalizer, checkNormalizer, type ActionNormalizer, type ObsNormalizer } from '../demos/normalizer.ts';
import { POLICY_SCHEMA } from '../diffusion/artifact.ts';
import type { RuntimeActivation, RuntimeLayer } from '../runtime/mlp.ts';

export const BC_SCHEMA_VERSION = 1;

export interface BcArtifact {
  schema: typeof POLICY_SCHEMA;
  schemaVersion: number;
  kind: 'bc-mlp';
  task: string;
  observationSpec: SpaceSpec;
  actionSpec: ActionSpec;
  specHash: string;
  normalizer: { obs: ObsNormalizer; action: ActionNormalizer };
  obsHistory: number;
  net: { activation: RuntimeActivation; layers: { in: number; out: number; w: string; b: string }[] };
  trainConfig: Record<string, unknown>;
}

export function makeBcArtifact(i: Omit<BcArtifact, 'schema' | 'schemaVersion' | 'kind' | 'specHash' | 'net'> & { activation: RuntimeActivation; layers: RuntimeLayer[] }): BcArtifact {
  return {
    schema: POLICY_SCHEMA,
    schemaVersion: BC_SCHEMA_VERSION,
    kind: 'bc-mlp',
    task: i.task,
    observationSpec: i.observationSpec,
    actionSpec: i.actionSpec,
    specHash: specHash(i.observationSpec, i.actionSpec),
    normalizer: i.normalizer,
    obsHistory: i.obsHistory,
    net: { activation: i.activation, layers: i.layers.map((l) => ({ in: l.in, out: l.out, w: f32ToB64(l.w), b: f32ToB64(l.b) })) },
    trainConfig: i.trainConfig,
  };
}

export function checkBcArtifact(a: unknown, where = 'bc-mlp artifact', expectSpecHash?: string): { artifact: BcArtifact; layers: RuntimeLayer[] } {
  const art = a as BcArtifact;
  if (!art || typeof art !== 'object') throw new Error(`${where}: not an object`);
  if (art.schema !== POLICY_SCHEMA) throw new Error(`${where}: schema is "${art.schema}", expected "${POLICY_SCHEMA}"`);
  if (art.kind !== 'bc-mlp') throw new Error(`${where}: kind is "${art.kind}", expected "bc-mlp"`);
  if (art.schemaVersion !== BC_SCHEMA_VERSION) throw new Error(`${where}: schemaVersion ${art.schemaVersion} is not supported`);
  const h = specHash(art.observationSpec, art.actionSpec);
  if (art.specHash !== h) throw new Error(`${where}: specHash ${art.specHash} does not match its own specs (${h})`);
  if (expectSpecHash !== undefined && expectSpecHash !== h) throw new Error(`${where}: trained for spec ${h}, but the task's spec is ${expectSpecHash}`);
  const O = art.observationSpec.size;
  const A = art.actionSpec.size;
  if (!(Number.isInteger(art.obsHistory) && art.obsHistory >= 1)) throw new Error(`${where}: obsHistory invalid (${art.obsHistory})`);
  checkNormalizer(art.normalizer?.obs, O, `${where}: normalizer.obs`);
  checkActionNormalizer(art.normalizer?.action, A, `${where}: normalizer.action`);
  const layers = (art.net?.layers ?? []).map((l, i) => ({ in: l.in, out: l.out, w: b64ToF32(l.w, l.in * l.out, `${where}: layer ${i} w`), b: b64ToF32(l.b, l.out, `${where}: layer ${i} b`) }));
  if (layers.length === 0) throw new Error(`${where}: net has no layers`);
  if (layers[0]!.in !== O * art.obsHistory) throw new Error(`${where}: first layer takes ${layers[0]!.in} inputs, expected ${art.obsHistory}×${O}`);
  if (layers[layers.length - 1]!.out !== A) throw new Error(`${where}: last layer gives ${layers[layers.length - 1]!.out} outputs, expected ${A}`);
  return { artifact: art, layers };
}

export function saveBcArtifact(path: string, a: BcArtifact): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(a));
}

export function readBcArtifact(path: string, expectSpecHash?: string): { artifact: BcArtifact; layers: RuntimeLayer[] } {
  return checkBcArtifact(JSON.parse(readFileSync(path, 'utf8')), `bc-mlp artifact ${path}`, expectSpecHash);
}
