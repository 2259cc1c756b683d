/** Behaviour cloning with an MLP (the benchmark baseline): public surface. */
export { trainBc, DEFAULT_BC_TRAIN, type BcTrainConfig, type BcTrainOptions } from './train.ts';
export { BcPolicy, loadBcPolicy, fromArtifact } from './policy.ts';
export { makeBcArtifact, checkBcArtifact, type BcModel } from './artifact.ts';
export { trainFromCli } from './train-cli.ts';
