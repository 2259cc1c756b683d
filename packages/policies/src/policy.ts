/**
 * The deployable Policy contract and `loadPolicy`. A Policy runs without the trainer and without tfjs.
 *
 * Kinds: the built-in ones are listed in BUILT_IN_KINDS, each a module exporting `fromArtifact(artifact, where)`
 * that `loadPolicy` imports on first use (literal, type-checked specifiers: the deploy path never loads the
 * diffusion or residual code unless an artifact needs it). Other kinds plug in with `registerPolicyKind`.
 */
import type { ActionSpec, PolicyControl, SpaceSpec } from '@s2r/core';
import { ArtifactError, readArtifact, validateArtifact, type ExpectedSpecs, type PolicyArtifact } from './artifact.ts';

export interface PolicyMeta {
  kind: string;
  schemaVersion: number;
  task: string;
  observationSpec: SpaceSpec;
  actionSpec: ActionSpec;
  privilegedSpec: SpaceSpec | null;
  specHash: string;
  /**
   * How actions become commands (joints, default pose, scale, clip bounds, gains, period, pipeline): the artifact's
   * control block, the contract's one type for these facts. The policy rate is 1 / control.dt Hz.
   */
  control: PolicyControl;
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

/** The built-in kinds and their modules ('bc-mlp' is the bc family's MLP head). */
const BUILT_IN_KINDS: Record<string, () => Promise<{ fromArtifact: PolicyFactory }>> = {
  mlp: () => import('./mlp-policy.ts'),
  diffusion: () => import('./diffusion/index.ts'),
  residual: () => import('./residual/index.ts'),
  'bc-mlp': () => import('./bc/index.ts'),
};

async function factoryFor(kind: string, where: string): Promise<PolicyFactory> {
  const f = registry.get(kind);
  if (f) return f;
  const load = Object.hasOwn(BUILT_IN_KINDS, kind) ? BUILT_IN_KINDS[kind] : undefined;
  if (!load) throw new ArtifactError(where, `kind ${JSON.stringify(kind)} is not supported by this @s2r/policies (built in: ${Object.keys(BUILT_IN_KINDS).join(', ')}; others need registerPolicyKind)`);
  const { fromArtifact } = await load();
  registry.set(kind, fromArtifact);
  return fromArtifact;
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
    control: a.control,
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
