/**
 * In-memory demonstration dataset (the columns of demos/FORMAT.md) and its normalization statistics.
 * Rows are control steps, episodes are contiguous row ranges.
 */
import type { ActionSpec, SpaceSpec } from '@s2r/sim/env/types.ts';

export interface EpisodeEntry {
  index: number;
  /** First row of the episode. */
  start: number;
  length: number;
  success: boolean;
  return: number;
  /** Ended by the task (true) or by the time limit / collection cap (false). */
  terminated: boolean;
}

export interface FeatureStats {
  mean: number[];
  std: number[];
  min: number[];
  max: number[];
}

export interface DemoStats {
  obs: FeatureStats;
  action: FeatureStats;
}

export interface DemoMeta {
  task: string;
  /** 'scripted' or the teacher artifact path. */
  expert: string;
  /** Gaussian σ added to executed actions (action units). */
  noise: number;
  seed: number;
  /** Control period (s). */
  dt: number;
  obsDim: number;
  actDim: number;
  observationSpec: SpaceSpec;
  actionSpec: ActionSpec;
  createdAt: string;
  /** Default pose (rad) and PD gains of the task, when the env exposes them; copied into policy artifacts. */
  control?: { defaultPose?: number[]; kp?: number[] | null; kd?: number[] | null };
}

export interface DemoDataset {
  meta: DemoMeta;
  episodes: EpisodeEntry[];
  /** [N×O] observation the expert saw at each step. */
  obs: Float32Array;
  /** [N×A] action actually executed (expert + noise, clipped). */
  action: Float32Array;
  /** [N×A] the expert's clean action at that state (the label BC/diffusion learn; DART-style). */
  expertAction: Float32Array;
  /** [N] reward of the step. */
  reward: Float32Array;
  /** [N] 1 on the last step of an episode that the task terminated. */
  terminated: Uint8Array;
  /** [N] 1 on the last step of an episode cut by the time limit. */
  truncated: Uint8Array;
  /** [N] episode index of each row. */
  episode: Int32Array;
  /** [N] step index within the episode. */
  step: Int32Array;
  stats: DemoStats;
}

/** Per-dimension statistics over the rows of a [N×D] column (float64 accumulation). */
export function featureStats(col: Float32Array, dim: number, rows?: number[]): FeatureStats {
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  const min = new Array<number>(dim).fill(Infinity);
  const max = new Array<number>(dim).fill(-Infinity);
  const N = rows ? rows.length : col.length / dim;
  for (let r = 0; r < N; r++) {
    const o = (rows ? rows[r]! : r) * dim;
    for (let d = 0; d < dim; d++) {
      const v = col[o + d]!;
      mean[d]! += v;
      sq[d]! += v * v;
      if (v < min[d]!) min[d] = v;
      if (v > max[d]!) max[d] = v;
    }
  }
  const m: number[] = [];
  const s: number[] = [];
  for (let d = 0; d < dim; d++) {
    const mu = N > 0 ? mean[d]! / N : 0;
    m.push(mu);
    s.push(N > 0 ? Math.sqrt(Math.max(0, sq[d]! / N - mu * mu)) : 0);
  }
  return { mean: m, std: s, min: N > 0 ? min : m.map(() => 0), max: N > 0 ? max : m.map(() => 0) };
}

export function computeStats(obs: Float32Array, expertAction: Float32Array, obsDim: number, actDim: number, rows?: number[]): DemoStats {
  return { obs: featureStats(obs, obsDim, rows), action: featureStats(expertAction, actDim, rows) };
}

/** Row indices of the episodes selected (e.g. successful ones only). */
export function rowsOf(episodes: EpisodeEntry[]): number[] {
  const rows: number[] = [];
  for (const e of episodes) for (let i = 0; i < e.length; i++) rows.push(e.start + i);
  return rows;
}
