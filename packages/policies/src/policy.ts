/**
 * The deployable Policy contract and `loadPolicy`. A Policy runs without the trainer and without tfjs.
 *
 * Kinds are pluggable: `registerPolicyKind(kind, factory)`, or by convention a module exporting
 * `fromArtifact(artifact, where)` — `src/<kind>-policy.ts`, `src/<kind>/index.ts` or `src/<family>/index.ts`
 * for kind '<family>-…' — that `loadPolicy` imports on first use, so the diffusion, residual and bc kinds live
 * in their own folders and this file never changes when a kind is added.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ActionPipelineSpec, ActionSpec, SpaceSpec } from '@s2r/core';
import { ArtifactError, readArtifact, validateArtifact, type ExpectedSpecs, type PolicyArtifact } from './artifact.ts';

export interface PolicyMeta {
  kind: string;
  schemaVersion: number;
  task: string;
  observationSpec: SpaceSpec;
  actionSpec: ActionSpec;
  privilegedSpec: SpaceSpec | null;
  specHash: string;
  jointNames: string[];
  /** rad, in jointNames order. */
  defaultPose: number[];
  /** Position target = defaultPose + actionScale · action (for actionMode 'position'). */
  actionScale: number;
  actionMode: 'position' | 'torque';
  /** The bounds actions were clipped to in training (the task's, narrowed by the trainer's clip). */
  actionLow: number;
  actionHigh: number;
  /** The action pipeline stored in the artifact, or null for artifacts written before it was (issue 11). */
  pipeline: ActionPipelineSpec | null;
  kp: number[] | null;
  kd: number[] | null;
  /** Control period (s) and its rate (Hz). */
  dt: number;
  policyRate: number;
  /** The config that trained it (algorithm) and the task's resolved config. */
  trainingConfig: unknown;
  envConfig: unknown;
  /** Where it was loaded from. */
  source: string;
}

/** Chunked policies' horizon / execute / obsHistory: the shared contract type (@s2r/core). */
export type { ChunkSpec } from '@s2r/core';
import type { ChunkSpec } from '@s2r/core';

export interface Policy {
  readonly kind: string;
  readonly obsSize: number;
  readonly actSize: number;
  readonly meta: PolicyMeta;
  /** Clear any internal state (history, queued chunk) at the start of an episode. */
  reset(): void;
  /** One observation (raw, un-normalized, [obsSize]) → one action [actSize]. Deterministic (mean action). */
  act(obs: Float32Array): Float32Array;
  /** Chunked policies: the last `chunk.obsHistory` observations (oldest first) → H×A actions, row-major. */
  actChunk?(obsHistory: Float32Array[]): Float32Array;
  chunk?: ChunkSpec;
  /** JIT warm-up before real time (diffusion, residual): a few calls on a dummy observation. */
  warmup?(): void;
  /** Policies that read the env's privileged group too (ONNX layouts with base_lin_vel), called before act(). */
  observePrivileged?(row: Float32Array, spec: SpaceSpec | null): void;
  dispose?(): void;
}

export type PolicyFactory = (artifact: PolicyArtifact, where: string) => Policy | Promise<Policy>;

const registry = new Map<string, PolicyFactory>();

export function registerPolicyKind(kind: string, factory: PolicyFactory): void {
  registry.set(kind, factory);
}

/**
 * Module candidates for a kind, in order: `./<kind>-policy.ts`, `./<kind>/index.ts`, and for a compound kind
 * `./<family>/index.ts` (kind 'bc-mlp' → ./bc/index.ts). The first that exports `fromArtifact` wins.
 */
function candidates(kind: string): string[] {
  const c = [`./${kind}-policy.ts`, `./${kind}/index.ts`];
  const family = kind.split('-')[0]!;
  if (family !== kind) c.push(`./${family}/index.ts`);
  return c;
}

async function factoryFor(kind: string, where: string): Promise<PolicyFactory> {
  const f = registry.get(kind);
  if (f) return f;
  if (!/^[a-z][a-z0-9-]*$/.test(kind)) throw new ArtifactError(where, `kind ${JSON.stringify(kind)} is not a valid policy kind name`);
  const tried: string[] = [];
  for (const rel of candidates(kind)) {
    const url = new URL(rel, import.meta.url);
    if (!existsSync(fileURLToPath(url))) {
      tried.push(`${rel} (absent)`);
      continue;
    }
    const mod = (await import(url.href)) as { fromArtifact?: PolicyFactory };
    if (typeof mod.fromArtifact === 'function') {
      registry.set(kind, mod.fromArtifact);
      return mod.fromArtifact;
    }
    tried.push(`${rel} (no fromArtifact export)`);
  }
  throw new ArtifactError(where, `kind "${kind}" is not supported by this @s2r/policies (looked for ${tried.join(', ')})`);
}

/** The PolicyMeta every kind shares, read from a validated artifact. */
export function metaFromArtifact(a: PolicyArtifact, source: string): PolicyMeta {
  return {
    kind: a.kind,
    schemaVersion: a.schemaVersion,
    task: a.task,
    observationSpec: a.specs.observation,
    actionSpec: a.specs.action,
    privilegedSpec: a.specs.privileged ?? null,
    specHash: a.specs.hash,
    jointNames: a.control.jointNames,
    defaultPose: a.control.defaultPose,
    actionScale: a.control.actionScale,
    actionMode: a.control.actionMode,
    actionLow: a.control.actionLow,
    actionHigh: a.control.actionHigh,
    pipeline: a.control.pipeline ?? null,
    kp: a.control.kp,
    kd: a.control.kd,
    dt: a.control.dt,
    policyRate: 1 / a.control.dt,
    trainingConfig: a.training.config ?? null,
    envConfig: a.training.envConfig ?? null,
    source,
  };
}

/** Build a Policy from an artifact already in memory (validated here). */
export async function policyFromArtifact(raw: unknown, where = '<memory>', expect: ExpectedSpecs = {}): Promise<Policy> {
  const a = validateArtifact(raw, where, expect);
  return (await factoryFor(a.kind, where))(a, where);
}

/**
 * Load a policy artifact file. Validates everything (see validateArtifact) and, when `expect` is given, that the
 * artifact matches the robot/task: spec hash, specs, joint order. Throws ArtifactError naming the problem.
 */
export async function loadPolicy(path: string, expect: ExpectedSpecs = {}): Promise<Policy> {
  const a = await readArtifact(path, expect);
  return (await factoryFor(a.kind, path))(a, path);
}
