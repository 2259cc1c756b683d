export type { SpecTerm, SpaceSpec, ActionMode, ActionSpec, ChunkSpec, ObsTermName } from './spaces.ts';
export { OBS_TERMS, OBS_TERM_ALIASES } from './spaces.ts';
export type { LeggedReadings, Readings } from './readings.ts';
export type { ActionPipelineSpec, DeployFacts, DeploySpec } from './deploy.ts';
export { readPolicyControl, pipelineDisagreement, type PolicyControl, type ControlFail, type PipelineDisagreement } from './policy-control.ts';
