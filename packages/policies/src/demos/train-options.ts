/** What every learner trained from demonstrations (BC, diffusion) takes and reports. */
import type { ArtifactControl } from '../artifact.ts';
import { computeStats, rowsOf, type DemoDataset } from './dataset.ts';
import { makeActionNormalizer, makeObsNormalizer, termMask } from './normalizer.ts';
import { loadDemos } from './store.ts';
import { buildWindows, normalizeColumns } from './windows.ts';

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
  control?: Partial<ArtifactControl>;
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
}

/**
 * Everything a demonstration learner needs before its first batch: the dataset, the episodes it learns from,
 * normalizers fitted on exactly those rows, normalized columns and sampling windows of `horizon` actions.
 */
export function prepareDemos(who: string, demos: DemoDataset | string, cfg: DemoDataConfig, horizon: number) {
  const d = typeof demos === 'string' ? loadDemos(demos) : demos;
  const eps = cfg.successOnly ? d.episodes.filter((e) => e.success) : d.episodes;
  if (eps.length === 0) throw new Error(`${who}: no ${cfg.successOnly ? 'successful ' : ''}episodes in the demonstrations (${d.episodes.length} total)`);
  const O = d.meta.obsDim;
  const A = d.meta.actDim;
  const stats = computeStats(d.obs, cfg.label === 'expert' ? d.expertAction : d.action, O, A, rowsOf(eps));
  const on = makeObsNormalizer(stats.obs, undefined, undefined, termMask(d.meta.observationSpec, cfg.ignoreObsTerms));
  const an = makeActionNormalizer(stats.action);
  const cols = normalizeColumns(d, on, an, cfg.label);
  const win = buildWindows(eps, cfg.obsHistory, horizon);
  return { d, eps, O, A, on, an, cols, win };
}
