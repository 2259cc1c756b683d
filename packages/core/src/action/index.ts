export { ActionPipeline, checkPipelineSpec, substepsDue, type PipelineLimiting } from './pipeline.ts';
