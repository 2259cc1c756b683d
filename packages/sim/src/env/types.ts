/**
 * Gymnasium-style environment contracts. Observations and actions are flat Float32Arrays whose layout is
 * described by named specs, so every consumer (trainer, artifact, bridge, viewer) agrees on what each slot is.
 */
import type { Rng } from '@s2r/core';

// The space specs are part of the shared contract (@s2r/core); re-exported here for the sim's own imports.
export type { SpecTerm, SpaceSpec, ActionSpec } from '@s2r/core';
import type { SpaceSpec, ActionSpec } from '@s2r/core';

export interface StepResult {
  obs: Float32Array;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: StepInfo;
}

export interface StepInfo {
  /** Per reward term value for this step (already weighted and multiplied by dt). */
  rewardTerms: Record<string, number>;
  /** Set on tasks with a success criterion (e.g. z1-push). */
  success?: boolean;
  /** Privileged observation for an asymmetric critic, if the task defines one. */
  privileged?: Float32Array;
  [key: string]: unknown;
}

export interface Env {
  readonly name: string;
  readonly observationSpec: SpaceSpec;
  /** Privileged group the critic may see; null if none. */
  readonly privilegedSpec: SpaceSpec | null;
  readonly actionSpec: ActionSpec;
  readonly physicsDt: number;
  readonly decimation: number;
  /** Control period: physicsDt × decimation (s). */
  readonly dt: number;
  /** Steps before truncation. */
  readonly maxEpisodeSteps: number;
  reset(seed?: number | Rng): { obs: Float32Array; info: StepInfo };
  step(action: ArrayLike<number>): StepResult;
  /** Free the physics world (WASM memory has one owner). */
  close(): void;
}

/** What every s2r task env adds to Env: its resolved config, the DR values it drew, and its term tables. */
export interface TaskEnv<C = unknown> extends Env {
  /** The fully resolved (defaults + overrides), frozen config. Trainers dump it into the run folder. */
  readonly config: C;
  /** Reward term names in order (the keys of info.rewardTerms and EpisodeStats.terms). */
  readonly rewardTermNames: readonly string[];
  /** Largest possible episode return when known (cartpole: one per step), else null. */
  readonly maxReturn: number | null;
  /** DR values drawn for the current episode: term name → value (scalar or per joint / per link). */
  drValues(): Record<string, number | number[]>;
  /** The printed tables of active terms (observations, rewards, terminations, DR events). */
  termsTable(): string;
}

/** Statistics of one finished episode, reported by a VecEnv on the step that ended it. */
export interface EpisodeStats {
  env: number;
  return: number;
  length: number;
  /** Sum over the episode of each reward term. */
  terms: Record<string, number>;
  success?: boolean;
  terminated: boolean;
  truncated: boolean;
  /** Domain-randomization values drawn for this episode (term name → value), for recordings. */
  dr?: Record<string, number | number[]>;
}

/**
 * N environments stepped in lock-step (possibly across worker threads) over flat shared buffers.
 * Auto-reset: when env i ends, `obs[i]` already holds the first observation of its next episode and
 * `terminated[i]`/`truncated[i]` say how the previous one ended. For a given seed the contents of every
 * buffer are identical whatever the worker count.
 */
export interface VecEnv {
  readonly numEnvs: number;
  readonly observationSpec: SpaceSpec;
  readonly privilegedSpec: SpaceSpec | null;
  readonly actionSpec: ActionSpec;
  readonly dt: number;
  readonly maxEpisodeSteps: number;
  /** [N × obs] */
  readonly obs: Float32Array;
  /** [N × priv], empty when there is no privileged group. */
  readonly privileged: Float32Array;
  /** [N] */
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  /**
   * Resets every env from the seed given at construction (or this one). The same seed reproduces the same
   * episodes (envs that have stepped are rebuilt, so no physics cache survives).
   */
  reset(seed?: number): Promise<void>;
  /** actions: [N × act]. Fills the buffers above; returns episodes that ended on this step. */
  step(actions: Float32Array): Promise<EpisodeStats[]>;
  close(): Promise<void>;
}
