/** Residual RL on a frozen base (ResiP style): public surface. */
export { trainResidual, DEFAULT_RESIDUAL_TRAIN, RESIDUAL_PPO_DEFAULTS, type ResidualTrainConfig, type ResidualTrainOptions, type ResidualProgress } from './train.ts';
export { ResidualPolicy, loadResidualPolicy, fromArtifact } from './policy.ts';
export { makeResidualArtifact, checkResidualArtifact, type ResidualModel } from './artifact.ts';
export { ResidualVecEnv, residualBound, composeAction } from './vec-env.ts';
export { basePolicyFromArtifact } from './base.ts';
export { trainFromCli } from './train-cli.ts';
