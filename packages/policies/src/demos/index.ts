/** Demonstrations: collection, columnar storage (FORMAT.md), normalizers, training windows, evaluation. */
export { collectDemos, policyExpert, type Expert, type CollectOptions } from './collect.ts';
export { scriptedExpert, scriptedTasks, teacherExpert } from './experts.ts';
export { saveDemos, loadDemos, DEMOS_FORMAT, DEMOS_VERSION, type DemoIndex } from './store.ts';
export { computeStats, featureStats, rowsOf, type DemoDataset, type DemoMeta, type DemoStats, type EpisodeEntry, type FeatureStats } from './dataset.ts';
export { makeObsNormalizer, makeActionNormalizer, normalizeObs, normalizeAction, denormalizeAction, type ObsNormalizer, type ActionNormalizer } from './normalizer.ts';
export { buildWindows, sampleBatch, normalizeColumns, type Windows } from './windows.ts';
export { evaluateEpisodes, wilson, type SuccessEvalResult as EpisodeEvalResult, type ActingPolicy } from '../evaluate.ts';
