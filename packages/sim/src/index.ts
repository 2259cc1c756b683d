/**
 * @s2r/sim public surface: Rapier physics, envs and tasks, domain randomization, terrain.
 * Other packages import from here (or from `@s2r/sim/<path>.ts` for one module). The robot model, forward
 * kinematics, transforms, the RNG and the CLI helpers are @s2r/core's: import them from there.
 */
export * from './physics/index.ts';

// Envs: Gymnasium contracts, the term framework, vectorized envs.
export type { Env, VecEnv, TaskEnv, SpaceSpec, SpecTerm, ActionSpec, StepResult, StepInfo, EpisodeStats } from './env/types.ts';
export type { RewardTerm, EventTerm, EventMode, ObservationTerm, TerminationTerm, DrValue } from './env/terms.ts';
export { formatTable } from './env/terms.ts';
export { ManagerEnv, computeObservation, specFromTerms, type BaseEnvConfig, type EnvOptions, type Managers } from './env/manager-env.ts';
export { mergeConfig, freezeConfig, type DeepPartial } from './env/config.ts';
export { makeVecEnv, partition, type VecEnvOptions, type TaskVecEnv } from './env/vec-env.ts';

// Tasks.
export { load, listTasks, getTask, registerTask, resolveTaskConfig } from './tasks/registry.ts';
export type { TaskDefinition, DeploySpec, Overrides } from './tasks/types.ts';
export { loadRobotAsset, ROBOTS_DIR, type RobotAsset } from './tasks/assets.ts';
export { pipelineSpec } from './tasks/action-pipeline.ts';
export { cartpole, CartpoleEnv, cartpoleConfig, type CartpoleConfig, type CartpoleReadings } from './tasks/cartpole.ts';
export { go1Flat, go1FlatConfig, type Go1FlatConfig } from './tasks/go1-flat.ts';
export { go1Rough, go1RoughConfig, type Go1RoughConfig } from './tasks/go1-rough.ts';
export { LocomotionEnv, locomotionObservationTerms, LOCOMOTION_OBS_SIZE, type LeggedReadings, type LocomotionConfig } from './tasks/locomotion.ts';
export { z1Push, z1PushConfig, Z1PushEnv, type Z1PushConfig, type PushReadings } from './tasks/z1-push.ts';
export { z1PushExpert, makeZ1PushExpert, type PushExpertOptions } from './tasks/z1-push-expert.ts';

// Domain randomization and terrain.
export { defaultDrConfig, disabledDrConfig, type DrConfig, type RangeDr, type BuiltinDrConfig } from './dr/config.ts';
export { registerDrTerm, listDrTerms, buildDrEvents, validateDrConfig, MODE_FIELD, type DrTermDef, type DrField, type DrParams } from './dr/registry.ts';
export { nominalDrState, readEncoders, STANDARD_GRAVITY, type DrState, type DrTarget } from './dr/state.ts';
export { Terrain, defaultTerrainConfig, TERRAIN_TYPES, type TerrainConfig, type TerrainType } from './terrain/heightfield.ts';
