/**
 * @s2r/policies public surface: the Policy contract and artifact, the PPO trainer, evaluation statistics.
 * Deployment-side imports (Policy, loadPolicy, artifact) never load tfjs; the trainer loads it lazily.
 */
export type { Policy, PolicyMeta, ChunkSettings, PolicyFactory } from './policy.ts';
export { loadPolicy, policyFromArtifact, registerPolicyKind, metaFromArtifact } from './policy.ts';
export {
  ARTIFACT_FORMAT, SCHEMA_VERSION, ArtifactError, buildArtifact, saveArtifact, readArtifact, validateArtifact, specHash, canonicalJson,
  encodeTensor, decodeTensor, describeSpecDiff,
} from './artifact.ts';
export type { PolicyArtifact, ArtifactControl, ArtifactNormalizer, ArtifactSpecs, EncodedTensor, ExpectedSpecs, ArtifactBody } from './artifact.ts';
export { MlpPolicy, encodeMlp } from './mlp-policy.ts';
export { RuntimeMlp } from './runtime/mlp.ts';
export { RunningNormalizer } from './normalizer.ts';
