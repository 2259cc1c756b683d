/** Small in-memory demonstration sets for the policy tests. */
import type { ActionSpec, SpaceSpec } from '@s2r/sim/env/types.ts';
import { computeStats, type DemoDataset, type EpisodeEntry } from '../src/demos/dataset.ts';

export function specs(obsDim: number, actDim: number): { observationSpec: SpaceSpec; actionSpec: ActionSpec } {
  return {
    observationSpec: { terms: [{ name: 'state', size: obsDim, unit: '1' }], size: obsDim },
    actionSpec: { size: actDim, joints: Array.from({ length: actDim }, (_, i) => `j${i}`), low: -1, high: 1, mode: 'position', scale: 1, unit: 'rad' },
  };
}

/** Build a dataset from per-episode [obs rows, action rows]; every episode is marked successful. */
export function datasetFrom(episodes: { obs: number[][]; act: number[][] }[], obsDim: number, actDim: number, task = 'toy'): DemoDataset {
  const N = episodes.reduce((a, e) => a + e.obs.length, 0);
  const obs = new Float32Array(N * obsDim);
  const act = new Float32Array(N * actDim);
  const entries: EpisodeEntry[] = [];
  const episode = new Int32Array(N);
  const step = new Int32Array(N);
  let r = 0;
  episodes.forEach((e, i) => {
    entries.push({ index: i, start: r, length: e.obs.length, success: true, return: 0, terminated: true });
    e.obs.forEach((o, k) => {
      obs.set(o, r * obsDim);
      act.set(e.act[k]!, r * actDim);
      episode[r] = i;
      step[r] = k;
      r++;
    });
  });
  const term = new Uint8Array(N);
  for (const e of entries) term[e.start + e.length - 1] = 1;
  return {
    meta: { task, expert: 'toy', noise: 0, seed: 0, dt: 0.1, obsDim, actDim, ...specs(obsDim, actDim), createdAt: '1970-01-01T00:00:00Z' },
    episodes: entries,
    obs,
    action: act,
    expertAction: new Float32Array(act),
    reward: new Float32Array(N),
    terminated: term,
    truncated: new Uint8Array(N),
    episode,
    step,
    stats: computeStats(obs, act, obsDim, actDim),
  };
}
