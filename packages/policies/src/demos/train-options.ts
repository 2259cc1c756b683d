/** What every learner trained from demonstrations (BC, diffusion) takes and reports. */
import type { PolicyControl } from '@s2r/core';
import { computeStats, rowsOf, type DemoDataset } from './dataset.ts';
import { makeActionNormalizer, makeObsNormalizer, normalizeAction, termMask } from './normalizer.ts';
import { loadDemos } from './store.ts';
import { buildWindows, columnQuantiles, normalizeColumns, relativeTargets } from './windows.ts';
import { resolveActionFrame, type ActionFrameName } from './action-frame.ts';

export interface TrainProgress {
  iteration: number;
  iterations: number;
  loss: number;
  lr: number;
  elapsedS: number;
}

export interface DemoTrainOptions<C> {
  /** The demonstrations, or the folder they were saved to. */
  demos: DemoDataset | string;
  config?: Partial<C>;
  /** Default pose / gains of the task (else taken from the demos' meta.control, else zeros / null). */
  control?: Partial<PolicyControl>;
  /** Where to write the artifact (policy.json). */
  out?: string;
  /** Called every `progressEvery` iterations (default 50) — drive a progress bar / metrics.jsonl from it. */
  onProgress?: (p: TrainProgress) => void;
  progressEvery?: number;
  /** Stop early (Ctrl-C): the weights so far are exported. */
  signal?: AbortSignal;
}

/** The data settings BC and diffusion share. */
export interface DemoDataConfig {
  successOnly: boolean;
  label: 'expert' | 'executed';
  ignoreObsTerms: string[];
  obsHistory: number;
  /**
   * Predict actions as they are ('absolute') or as moves from the previous command ('relative', action-frame.ts);
   * 'auto' picks relative when the observation has a `last_action` term of the action's size.
   */
  actionFrame: ActionFrameName | 'auto';
}

/**
 * Everything a demonstration learner needs before its first batch: the dataset, the episodes it learns from,
 * normalizers fitted on exactly those rows, normalized columns and sampling windows of `horizon` actions.
 */
/**
 * Relative-frame target range: `quantile` q maps the [q, 1−q] quantiles of each (chunk step, joint) to [−1, 1]
 * (0: min / max), and targets beyond are clipped to ±`clip` (the sampler's x̂₀ clip must match).
 */
export interface TargetRange {
  quantile: number;
  clip: number;
}

export function prepareDemos(who: string, demos: DemoDataset | string, cfg: DemoDataConfig, horizon: number, range: TargetRange = { quantile: 0, clip: 1 }) {
  const d = typeof demos === 'string' ? loadDemos(demos) : demos;
  const eps = cfg.successOnly ? d.episodes.filter((e) => e.success) : d.episodes;
  if (eps.length === 0) throw new Error(`${who}: no ${cfg.successOnly ? 'successful ' : ''}episodes in the demonstrations (${d.episodes.length} total)`);
  const O = d.meta.obsDim;
  const A = d.meta.actDim;
  const frame = resolveActionFrame(d.meta.observationSpec, A, cfg.actionFrame, who);
  const labels = cfg.label === 'expert' ? d.expertAction : d.action;
  const stats = computeStats(d.obs, labels, O, A, rowsOf(eps));
  const on = makeObsNormalizer(stats.obs, undefined, undefined, termMask(d.meta.observationSpec, cfg.ignoreObsTerms));
  /** The demonstrated absolute action range (residual policies scale their correction by it). */
  const actionRange = { min: stats.action.min, max: stats.action.max };
  const win = buildWindows(eps, cfg.obsHistory, horizon);
  const absolute = makeActionNormalizer(stats.action);
  let an = absolute;
  let windowTargets: Float32Array | undefined;
  if (frame) {
    const raw = relativeTargets(d, eps, horizon, labels, frame.obsOffset);
    // One min-max range per (chunk step, joint): a move 15 steps ahead spans far more than the next one, and a
    // shared range would leave the first, most important steps only a sliver of [−1, 1].
    const r = columnQuantiles(raw, horizon * A, range.quantile);
    an = makeActionNormalizer(r);
    windowTargets = new Float32Array(raw.length);
    for (let i = 0; i < raw.length; i += horizon * A) normalizeAction(an, raw.subarray(i, i + horizon * A), windowTargets, i);
    for (let i = 0; i < windowTargets.length; i++) windowTargets[i] = Math.max(-range.clip, Math.min(range.clip, windowTargets[i]!));
  }
  const cols = { ...normalizeColumns(d, on, absolute, cfg.label), ...(windowTargets ? { windowTargets } : {}) };
  return { d, eps, O, A, on, an, cols, win, frame, actionRange };
}
