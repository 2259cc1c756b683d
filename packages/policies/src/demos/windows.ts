/**
 * Training windows over demonstrations, as Diffusion Policy's SequenceSampler builds them: for each step t of
 * each episode, the observation history rows t−To+1..t (padded with the first row) and the action rows
 * t..t+H−1 (padded with the last row, i.e. "hold the final action").
 */
import type { Rng } from '@s2r/core';
import type { DemoDataset, EpisodeEntry } from './dataset.ts';
import { normalizeAction, normalizeObs, type ActionNormalizer, type ObsNormalizer } from './normalizer.ts';

export interface Windows {
  count: number;
  obsHistory: number;
  horizon: number;
  /** [count×To] rows of the observation history, oldest first. */
  obsRows: Int32Array;
  /** [count×H] rows of the action chunk. */
  actRows: Int32Array;
}

export function buildWindows(episodes: EpisodeEntry[], obsHistory: number, horizon: number): Windows {
  const count = episodes.reduce((a, e) => a + e.length, 0);
  const obsRows = new Int32Array(count * obsHistory);
  const actRows = new Int32Array(count * horizon);
  let w = 0;
  for (const e of episodes) {
    for (let t = 0; t < e.length; t++, w++) {
      for (let k = 0; k < obsHistory; k++) obsRows[w * obsHistory + k] = e.start + Math.max(0, t - obsHistory + 1 + k);
      for (let k = 0; k < horizon; k++) actRows[w * horizon + k] = e.start + Math.min(e.length - 1, t + k);
    }
  }
  return { count, obsHistory, horizon, obsRows, actRows };
}

/** Normalized copies of the columns, so batches are plain gathers. */
export interface NormalizedColumns {
  obs: Float32Array;
  action: Float32Array;
  obsDim: number;
  actDim: number;
  /** Relative action frame: [count×H×A] normalized chunk targets per window (replaces the `action` gather). */
  windowTargets?: Float32Array;
}

/**
 * Relative chunk targets (the "relative trajectory" action representation of UMI, Chi et al. 2024): every action
 * of the chunk planned at step t is an offset from the command in force at t — the `last_action` observation of
 * the window's newest frame. The offset for chunk step k is the sum of the expert's own per-step moves
 * (label_r − last_action_r, r = t..t+k), not label_{t+k} − last_action_t: with DART demonstrations the executed
 * actions carry noise, and the direct difference would fold k steps of that noise into the label.
 * A learner in this frame cannot copy its previous command (the copycat failure of BC with action inputs):
 * the previous command is the origin, and what is left to predict is the move.
 *
 * Windows are visited in buildWindows' order (episode by episode, step by step); past an episode's end the
 * offset holds (the expert's move is zero), matching the "hold the final action" padding.
 */
export function relativeTargets(d: DemoDataset, episodes: EpisodeEntry[], horizon: number, labels: Float32Array, lastActionOffset: number): Float32Array {
  const O = d.meta.obsDim;
  const A = d.meta.actDim;
  const count = episodes.reduce((a, e) => a + e.length, 0);
  const out = new Float32Array(count * horizon * A);
  let w = 0;
  for (const e of episodes) {
    // C[t] = Σ_{r ≤ t} move_r within the episode (float64, so long episodes do not accumulate rounding).
    const C = new Float64Array((e.length + 1) * A); // C[0] = 0 is "before the first step"
    for (let t = 0; t < e.length; t++) {
      const r = e.start + t;
      for (let j = 0; j < A; j++) C[(t + 1) * A + j] = C[t * A + j]! + labels[r * A + j]! - d.obs[r * O + lastActionOffset + j]!;
    }
    for (let t = 0; t < e.length; t++, w++) {
      for (let k = 0; k < horizon; k++) {
        const tk = Math.min(e.length - 1, t + k);
        for (let j = 0; j < A; j++) out[(w * horizon + k) * A + j] = C[(tk + 1) * A + j]! - C[t * A + j]!;
      }
    }
  }
  return out;
}

/**
 * Per-column [q, 1−q] quantiles of a [rows×D] array. With q = 0 this is the min / max. A diffusion target needs a
 * robust range: z1-push's next-step moves have σ ≈ 0.01 but rare IK-capped jumps of 0.16, and a min-max range
 * would squeeze the typical move into ±0.06 of [−1, 1], below the sampler's precision.
 */
export function columnQuantiles(x: Float32Array, dim: number, q: number): { min: number[]; max: number[] } {
  if (q <= 0) return columnRange(x, dim);
  const rows = x.length / dim;
  const col = new Float32Array(rows);
  const min: number[] = [];
  const max: number[] = [];
  for (let d = 0; d < dim; d++) {
    for (let r = 0; r < rows; r++) col[r] = x[r * dim + d]!;
    col.sort();
    min.push(col[Math.floor(q * (rows - 1))] ?? 0);
    max.push(col[Math.ceil((1 - q) * (rows - 1))] ?? 0);
  }
  return { min, max };
}

/** Min / max over rows of a [rows×D] array (per column), as FeatureStats-like bounds for makeActionNormalizer. */
export function columnRange(x: Float32Array, dim: number): { min: number[]; max: number[] } {
  const min = new Array<number>(dim).fill(Infinity);
  const max = new Array<number>(dim).fill(-Infinity);
  for (let i = 0; i < x.length; i++) {
    const d = i % dim;
    const v = x[i]!;
    if (v < min[d]!) min[d] = v;
    if (v > max[d]!) max[d] = v;
  }
  return { min: min.map((v) => (Number.isFinite(v) ? v : 0)), max: max.map((v) => (Number.isFinite(v) ? v : 0)) };
}

export function normalizeColumns(d: DemoDataset, on: ObsNormalizer, an: ActionNormalizer, label: 'expert' | 'executed' = 'expert'): NormalizedColumns {
  const O = d.meta.obsDim;
  const A = d.meta.actDim;
  const N = d.obs.length / O;
  const obs = new Float32Array(N * O);
  const action = new Float32Array(N * A);
  const src = label === 'expert' ? d.expertAction : d.action;
  for (let r = 0; r < N; r++) {
    normalizeObs(on, d.obs.subarray(r * O, (r + 1) * O), obs, r * O);
    normalizeAction(an, src.subarray(r * A, (r + 1) * A), action, r * A);
  }
  return { obs, action, obsDim: O, actDim: A };
}

/** Fill obsOut [B×To·O] and actOut [B×H·A] with B windows drawn uniformly from the Rng. */
export function sampleBatch(w: Windows, cols: NormalizedColumns, B: number, rng: Rng, obsOut: Float32Array, actOut: Float32Array): void {
  const { obsDim: O, actDim: A } = cols;
  const To = w.obsHistory;
  const H = w.horizon;
  for (let b = 0; b < B; b++) {
    const i = rng.int(w.count);
    for (let k = 0; k < To; k++) {
      const r = w.obsRows[i * To + k]!;
      obsOut.set(cols.obs.subarray(r * O, (r + 1) * O), (b * To + k) * O);
    }
    if (cols.windowTargets) {
      actOut.set(cols.windowTargets.subarray(i * H * A, (i + 1) * H * A), b * H * A);
      continue;
    }
    for (let k = 0; k < H; k++) {
      const r = w.actRows[i * H + k]!;
      actOut.set(cols.action.subarray(r * A, (r + 1) * A), (b * H + k) * A);
    }
  }
}
