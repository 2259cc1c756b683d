/**
 * The deployable Policy contract: what every kind (mlp, diffusion, residual, bc-mlp, ONNX) exposes, and the
 * PolicyMeta every kind reads from its artifact. The loader (policy.ts) imports the kinds; the kinds import this.
 */
import type { ActionSpec, ChunkSpec, PolicyControl, SpaceSpec } from '@s2r/core';
import type { PolicyArtifact } from './artifact.ts';

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
export type { ChunkSpec };

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
