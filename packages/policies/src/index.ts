/**
 * @s2r/policies public surface: the Policy contract and artifact, the PPO trainer, evaluation statistics.
 * Deployment-side imports (Policy, loadPolicy, artifact) never load tfjs; the trainer loads it lazily.
 */
export type { Policy, PolicyMeta, ChunkSpec, PolicyFactory } from './policy.ts';
export { loadPolicy, policyFromArtifact, registerPolicyKind, metaFromArtifact } from './policy.ts';
export {
  ARTIFACT_FORMAT, SCHEMA_VERSION, ArtifactError, buildArtifact, saveArtifact, readArtifact, validateArtifact, specHash, canonicalJson,
  encodeTensor, decodeTensor, describeSpecDiff,
} from './artifact.ts';
export type { PolicyArtifact, ArtifactNormalizer, ArtifactSpecs, EncodedTensor, ExpectedSpecs, ArtifactBody } from './artifact.ts';
export { MlpPolicy, encodeMlp } from './mlp-policy.ts';
export { RuntimeMlp } from './runtime/mlp.ts';
export { RunningNormalizer } from './normalizer.ts';
// ONNX in and out: layouts/presets, the ONNX Runtime policy, export (onnxruntime-node loads only when a session is made).
export { OnnxPolicy, PRESETS as ONNX_PRESETS, loadLayout, resolveLayout, describeLayout, exportArtifactToOnnx, exportPolicyFileToOnnx } from './onnx/index.ts';
export type { LayoutSpec, ResolvedLayout, OnnxPolicyOptions } from './onnx/index.ts';

// Training. tfjs loads only when training is called, so deployment imports of this index stay tfjs-free.
// `trainPpo` is what `npx s2r train` and `npm start -- --train` run.
import type { TrainOptions, TrainResult } from './ppo/train.ts';
export type { TrainOptions, TrainResult, IterationMetrics, MakeVecEnv } from './ppo/train.ts';
export async function trainPpo(opts: TrainOptions): Promise<TrainResult> {
  return (await import('./ppo/train.ts')).trainPpo(opts);
}
export { trainPpo as train };
export { defaultPpoConfig, basePpoConfig, resolvePpoConfig, TASK_PPO_DEFAULTS, validatePpoConfig } from './ppo/config.ts';
export type { PpoConfig } from './ppo/config.ts';
export { exportPpoArtifact } from './ppo/export.ts';
export { computeGae, bootstrapTimeouts } from './ppo/gae.ts';
export { ppoLoss } from './ppo/loss.ts';
export type { BackendName } from './backend.ts';
/** Select and initialise the tfjs backend (tfjs-node-gpu → tfjs-node → wasm → cpu); returns the chosen name. */
export async function initBackend(prefer?: string, opts?: { quiet?: boolean }): Promise<import('./backend.ts').BackendName> {
  return (await import('./backend.ts')).initBackend(prefer, opts);
}

// Evaluation and statistics.
export { evaluatePolicy, evaluateEpisodes, runEpisodes, scheduledEnv, wilson } from './evaluate.ts';
export type { EvalOptions, EvalResult, EvalEpisode, SuccessEvalResult, ActingPolicy, EpisodeEnvs, EpisodeHooks } from './evaluate.ts';
export { mean, iqm, bootstrapCI, stratifiedBootstrapCI, iqmStratified, summarize } from './stats.ts';
export type { Summary, BootstrapOptions } from './stats.ts';
export { lineChartPng } from './plot/line-chart.ts';
export { encodePng } from './plot/png.ts';
