/** Diffusion Policy (state-based, FiLM-MLP denoiser, DDPM training, DDIM sampling): public surface. */
export { squaredCosineSchedule, cosineAlphaBar, ddimTimesteps, type NoiseSchedule } from './schedule.ts';
export { ddimSample, ddpmSample, type EpsFn, type SampleOptions } from './sampler.ts';
export { FilmMlpRuntime, initParams, paramShapes, DEFAULT_FILM_MLP, type FilmMlpConfig, type Params } from './film-mlp.ts';
export { trainDiffusion, DEFAULT_DIFFUSION_TRAIN, type DiffusionTrainConfig, type DiffusionTrainOptions, type DiffusionTrainResult, type TrainProgress } from './train.ts';
export { DiffusionPolicy, loadDiffusionPolicy, fromArtifact, type DiffusionPolicyOptions } from './policy.ts';
export { makeDiffusionArtifact, checkDiffusionArtifact, defaultControl, type DiffusionModel, type DiffusionChunkSettings } from './artifact.ts';
export { trainFromCli } from './train-cli.ts';
export { distillDiffusion, DEFAULT_DISTILL, type DistillConfig, type DistillOptions, type DistillResult, type DistillProgress } from './distill.ts';
export { oneStepSample, oneStepMap, checkOneStep, type OneStepSettings } from './onestep.ts';
