/**
 * The versioned policy artifact: one JSON file that holds everything needed to run a policy without the
 * trainer — weights, the observation normalizer, observation/action specs and their hash, action scaling,
 * default pose, gains, control period, and the config that trained it.
 *
 * Layout (schemaVersion 1):
 *   format 's2r-policy', schemaVersion, kind ('mlp' | 'diffusion' | 'residual' | …), createdAt, task,
 *   specs     { observation: SpaceSpec, action: ActionSpec, privileged: SpaceSpec | null, hash }
 *   normalizer{ mean, var (EncodedTensor [obs]), count, clip, eps }
 *   control   { dt (s), actionScale, actionMode, actionLow, actionHigh, jointNames, defaultPose (rad), kp, kd,
 *               pipeline? (the task's ActionPipelineSpec: limits, rate limit, substep grid; written since issue 11;
 *               older files get it from their task and envConfig at load, which is the same data) }
 *   model     kind-specific hyper-parameters (mlp: { activation, sizes, inputs, logStd })
 *   tensors   name → { shape, dtype 'float32', data: base64 of little-endian float32 }
 *   training  { algo, config, envConfig, iterations, envSteps, … }
 *   integrity { sha256 } over the canonical JSON of every other field: a hand-edited or truncated file is
 *             rejected instead of silently driving motors with altered weights.
 *
 * `specs.hash` = sha256 of canonicalJson({observation, action}); the bridge/sim compute the same from the robot's
 * specs (`specHash`) and loading fails loudly on a mismatch. Every check names the field that is wrong.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './run-dir.ts';
import { readPolicyControl, type ActionSpec, type PolicyControl, type SpaceSpec } from '@s2r/core';

export const ARTIFACT_FORMAT = 's2r-policy';
export const SCHEMA_VERSION = 1;

export interface EncodedTensor {
  shape: number[];
  dtype: 'float32';
  /** base64 of the little-endian float32 bytes. */
  data: string;
}

export interface ArtifactSpecs {
  observation: SpaceSpec;
  action: ActionSpec;
  privileged: SpaceSpec | null;
  hash: string;
}

export interface ArtifactNormalizer {
  mean: EncodedTensor;
  var: EncodedTensor;
  count: number;
  clip: number;
  eps: number;
}

export interface PolicyArtifact {
  format: typeof ARTIFACT_FORMAT;
  schemaVersion: number;
  kind: string;
  createdAt: string;
  task: string;
  specs: ArtifactSpecs;
  normalizer: ArtifactNormalizer;
  control: PolicyControl;
  model: Record<string, unknown>;
  tensors: Record<string, EncodedTensor>;
  training: Record<string, unknown>;
  integrity: { sha256: string };
}

export class ArtifactError extends Error {
  constructor(where: string, message: string) {
    super(`policy artifact ${where}: ${message}`);
    this.name = 'ArtifactError';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Canonical JSON and hashes

/** JSON with object keys sorted at every level, no whitespace: the byte string every hash is taken over. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number' && !Number.isFinite(v)) return JSON.stringify(String(v)); // ±Infinity/NaN stay distinct
    return JSON.stringify(v) ?? 'null';
  }
  if (ArrayBuffer.isView(v)) return canonicalJson(Array.from(v as unknown as ArrayLike<number>));
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x === undefined ? null : x)).join(',')}]`;
  const keys = Object.keys(v as object)
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
}

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** Only the fields that define the meaning of each slot (names, sizes, units, bounds, joints, scaling). */
function specCore(observation: SpaceSpec, action: ActionSpec): unknown {
  return {
    observation: {
      size: observation.size,
      terms: observation.terms.map((t) => ({ name: t.name, size: t.size, unit: t.unit, low: t.low, high: t.high, labels: t.labels })),
    },
    action: { size: action.size, joints: action.joints, low: action.low, high: action.high, mode: action.mode, scale: action.scale, unit: action.unit },
  };
}

/** sha256 of the canonical JSON of the observation and action specs. Same function on both sides of a deploy. */
export function specHash(observation: SpaceSpec, action: ActionSpec): string {
  return sha256(canonicalJson(specCore(observation, action)));
}

function integrityOf(a: Omit<PolicyArtifact, 'integrity'> | PolicyArtifact): string {
  const { integrity: _skip, ...rest } = a as PolicyArtifact;
  return sha256(canonicalJson(rest));
}

// ---------------------------------------------------------------------------------------------------------
// Tensors

export function encodeTensor(data: Float32Array | number[], shape: number[] = [data.length]): EncodedTensor {
  const f = data instanceof Float32Array ? data : Float32Array.from(data);
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== f.length) throw new Error(`encodeTensor: shape [${shape}] holds ${n} values, data has ${f.length}`);
  const bytes = Buffer.from(f.buffer, f.byteOffset, f.byteLength);
  return { shape: [...shape], dtype: 'float32', data: bytes.toString('base64') };
}

export function decodeTensor(t: unknown, where: string, expectShape?: number[]): Float32Array {
  if (!t || typeof t !== 'object') throw new ArtifactError(where, 'missing (expected {shape, dtype, data})');
  const e = t as Partial<EncodedTensor>;
  if (e.dtype !== 'float32') throw new ArtifactError(where, `dtype must be "float32", got ${JSON.stringify(e.dtype)}`);
  if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new ArtifactError(where, 'shape must be an array of non-negative integers');
  if (typeof e.data !== 'string') throw new ArtifactError(where, 'data must be a base64 string');
  const n = e.shape.reduce((a, b) => a * b, 1);
  if (expectShape && (expectShape.length !== e.shape.length || expectShape.some((d, i) => d !== e.shape![i]))) {
    throw new ArtifactError(where, `shape [${e.shape}] but the model needs [${expectShape}]`);
  }
  const buf = Buffer.from(e.data, 'base64');
  if (buf.length !== n * 4) throw new ArtifactError(where, `data decodes to ${buf.length} bytes, shape [${e.shape}] needs ${n * 4}`);
  const out = new Float32Array(n);
  new Uint8Array(out.buffer).set(buf);
  for (let i = 0; i < n; i++) if (!Number.isFinite(out[i]!)) throw new ArtifactError(where, `value ${i} is not finite (${out[i]})`);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Build, save, read, validate

export type ArtifactBody = Omit<PolicyArtifact, 'format' | 'schemaVersion' | 'createdAt' | 'integrity' | 'specs'> & {
  specs: Omit<ArtifactSpecs, 'hash'>;
  createdAt?: string;
};

/** Stamp format, version, spec hash and integrity onto an artifact body. */
export function buildArtifact(body: ArtifactBody): PolicyArtifact {
  const specs: ArtifactSpecs = { ...body.specs, hash: specHash(body.specs.observation, body.specs.action) };
  const a: Omit<PolicyArtifact, 'integrity'> = {
    format: ARTIFACT_FORMAT,
    schemaVersion: SCHEMA_VERSION,
    kind: body.kind,
    createdAt: body.createdAt ?? new Date().toISOString(),
    task: body.task,
    specs,
    normalizer: body.normalizer,
    control: body.control,
    model: body.model,
    tensors: body.tensors,
    training: body.training,
  };
  // Round-trip through JSON so the hash is over exactly what a reader will see (e.g. no undefined keys).
  const plain = JSON.parse(JSON.stringify(a)) as Omit<PolicyArtifact, 'integrity'>;
  return { ...plain, integrity: { sha256: integrityOf(plain) } };
}

export async function saveArtifact(path: string, a: PolicyArtifact): Promise<void> {
  // Atomic: a crash never leaves a half-written artifact under the real name, a failed write no temp file.
  await writeFileAtomic(path, JSON.stringify(a));
}

function need(cond: unknown, where: string, msg: string): asserts cond {
  if (!cond) throw new ArtifactError(where, msg);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkSpace(s: unknown, where: string): SpaceSpec {
  need(isObj(s), where, 'missing (expected {terms, size})');
  need(Array.isArray(s.terms), `${where}.terms`, 'must be an array');
  let sum = 0;
  (s.terms as unknown[]).forEach((t, i) => {
    need(isObj(t) && typeof t.name === 'string' && Number.isInteger(t.size) && (t.size as number) > 0, `${where}.terms[${i}]`, 'needs a name and a positive integer size');
    sum += t.size as number;
  });
  need(s.size === sum, `${where}.size`, `is ${String(s.size)} but the terms add up to ${sum}`);
  return s as unknown as SpaceSpec;
}

export interface ExpectedSpecs {
  /** The robot/task side's spec hash (from `specHash(obs, act)`). */
  specHash?: string;
  observationSpec?: SpaceSpec;
  actionSpec?: ActionSpec;
  /** Joint names in the hardware's order; must equal the artifact's. */
  jointNames?: string[];
}

/**
 * Validate a parsed artifact. Throws ArtifactError naming the first problem: unknown format or version, a missing
 * or malformed field (a missing normalizer key is an error, never a pass-through), sizes that disagree, a spec hash
 * that does not match its specs or the robot's, or an integrity hash that does not match the content.
 */
export function validateArtifact(raw: unknown, where = '<memory>', expect: ExpectedSpecs = {}): PolicyArtifact {
  need(isObj(raw), where, 'is not a JSON object');
  need(raw.format === ARTIFACT_FORMAT, `${where}: format`, `expected "${ARTIFACT_FORMAT}", got ${JSON.stringify(raw.format)}`);
  need(raw.schemaVersion === SCHEMA_VERSION, `${where}: schemaVersion`, `this reader understands ${SCHEMA_VERSION}, file has ${JSON.stringify(raw.schemaVersion)}`);
  need(typeof raw.kind === 'string' && raw.kind.length > 0, `${where}: kind`, 'missing');
  need(typeof raw.task === 'string', `${where}: task`, 'missing');
  need(isObj(raw.specs), `${where}: specs`, 'missing');
  const obs = checkSpace(raw.specs.observation, `${where}: specs.observation`);
  const act = raw.specs.action as ActionSpec;
  need(isObj(act), `${where}: specs.action`, 'missing');
  need(Number.isInteger(act.size) && act.size > 0, `${where}: specs.action.size`, 'must be a positive integer');
  need(Array.isArray(act.joints) && act.joints.length === act.size, `${where}: specs.action.joints`, `must list ${act.size} joint names`);
  need(typeof act.scale === 'number', `${where}: specs.action.scale`, 'missing');
  if (raw.specs.privileged !== null && raw.specs.privileged !== undefined) checkSpace(raw.specs.privileged, `${where}: specs.privileged`);
  need(typeof raw.specs.hash === 'string', `${where}: specs.hash`, 'missing');
  const h = specHash(obs, act);
  need(h === raw.specs.hash, `${where}: specs.hash`, `does not match the specs it ships (stored ${raw.specs.hash.slice(0, 12)}…, computed ${h.slice(0, 12)}…)`);

  need(isObj(raw.normalizer), `${where}: normalizer`, 'missing — refusing to run a policy on unnormalized observations');
  for (const k of ['mean', 'var', 'clip', 'eps', 'count'] as const) {
    need(raw.normalizer[k] !== undefined && raw.normalizer[k] !== null, `${where}: normalizer.${k}`, 'missing — refusing to run a policy with a partial normalizer');
  }
  const mean = decodeTensor(raw.normalizer.mean, `${where}: normalizer.mean`, [obs.size]);
  const vr = decodeTensor(raw.normalizer.var, `${where}: normalizer.var`, [obs.size]);
  for (let i = 0; i < vr.length; i++) need(vr[i]! >= 0, `${where}: normalizer.var`, `entry ${i} is negative (${vr[i]})`);
  void mean;
  need(typeof raw.normalizer.clip === 'number' && raw.normalizer.clip > 0, `${where}: normalizer.clip`, 'must be a positive number');
  need(typeof raw.normalizer.eps === 'number' && raw.normalizer.eps >= 0, `${where}: normalizer.eps`, 'must be a non-negative number');

  // The control block is the contract's PolicyControl (@s2r/core), validated by its one reader.
  const c = readPolicyControl(raw.control, act.joints, (field, msg) => {
    throw new ArtifactError(`${where}: ${field}`, msg);
  });
  need(isObj(raw.model), `${where}: model`, 'missing');
  need(isObj(raw.tensors), `${where}: tensors`, 'missing');
  need(isObj(raw.training), `${where}: training`, 'missing');
  need(isObj(raw.integrity) && typeof raw.integrity.sha256 === 'string', `${where}: integrity.sha256`, 'missing');
  const ih = integrityOf(raw as unknown as PolicyArtifact);
  need(ih === raw.integrity.sha256, `${where}: integrity.sha256`, 'does not match the content: the file was modified or corrupted after export');

  if (expect.specHash !== undefined) {
    need(expect.specHash === h, `${where}: specs.hash`, `${h.slice(0, 12)}… does not match the robot/task's ${expect.specHash.slice(0, 12)}… — observation or action layout differs`);
  }
  if (expect.observationSpec && expect.actionSpec) {
    const eh = specHash(expect.observationSpec, expect.actionSpec);
    if (eh !== h) throw new ArtifactError(`${where}: specs.hash`, `${h.slice(0, 12)}… does not match the robot/task's ${eh.slice(0, 12)}…: ${describeSpecDiff(obs, act, expect.observationSpec, expect.actionSpec)}`);
  }
  if (expect.jointNames) {
    need(
      expect.jointNames.length === c.jointNames.length && expect.jointNames.every((n, i) => n === c.jointNames[i]),
      `${where}: control.jointNames`,
      `[${c.jointNames.join(', ')}] differ from the robot's [${expect.jointNames.join(', ')}]`,
    );
  }
  return raw as unknown as PolicyArtifact;
}

/** A human-readable first difference between two spec pairs, for mismatch errors. */
export function describeSpecDiff(o1: SpaceSpec, a1: ActionSpec, o2: SpaceSpec, a2: ActionSpec): string {
  if (o1.size !== o2.size) return `observation size ${o1.size} vs ${o2.size}`;
  for (let i = 0; i < Math.max(o1.terms.length, o2.terms.length); i++) {
    const t1 = o1.terms[i];
    const t2 = o2.terms[i];
    if (canonicalJson(t1) !== canonicalJson(t2)) return `observation term ${i}: ${t1 ? `${t1.name}[${t1.size}]` : 'none'} vs ${t2 ? `${t2.name}[${t2.size}]` : 'none'}`;
  }
  for (const k of ['size', 'joints', 'low', 'high', 'mode', 'scale', 'unit'] as const) {
    if (canonicalJson(a1[k]) !== canonicalJson(a2[k])) return `action ${k}: ${canonicalJson(a1[k])} vs ${canonicalJson(a2[k])}`;
  }
  return 'term details (units, bounds or labels) differ';
}

/** Read and validate an artifact file. */
export async function readArtifact(path: string, expect: ExpectedSpecs = {}): Promise<PolicyArtifact> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ArtifactError(path, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ArtifactError(path, `is not valid JSON (${(e as Error).message}) — truncated or not a policy artifact?`);
  }
  return validateArtifact(raw, path, expect);
}
