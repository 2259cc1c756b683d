/**
 * Training windows over demonstrations, as Diffusion Policy's SequenceSampler builds them: for each step t of
 * each episode, the observation history rows t−To+1..t (padded with the first row) and the action rows
 * t..t+H−1 (padded with the last row, i.e. "hold the final action").
 */
import type { Rng } from '@s2r/sim/rng.ts';
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
    for (let k = 0; k < H; k++) {
      const r = w.actRows[i * H + k]!;
      actOut.set(cols.action.subarray(r * A, (r + 1) * A), (b * H + k) * A);
    }
  }
}
