/**
 * go1-flat: velocity tracking on flat ground with the project's Go1 (hardware/robots/s2r-go1), legged_gym style.
 * 200 Hz physics, decimation 4 → 50 Hz policy, 20 s episodes (time-out = truncation), PD Kp 20 / Kd 0.5,
 * target = default + 0.25·action. See locomotion.ts for the terms.
 */
import type { LeggedReadings, LocomotionConfig } from './locomotion.ts';
import { go1BaseConfig } from './go1-base.ts';
import { createLocomotionEnv, locomotionDeploy } from './legged-factory.ts';
import type { TaskDefinition } from './types.ts';

export type Go1FlatConfig = LocomotionConfig;

export function go1FlatConfig(): Go1FlatConfig {
  return go1BaseConfig();
}

export const go1Flat: TaskDefinition<Go1FlatConfig, LeggedReadings> = {
  name: 'go1-flat',
  description: 'Go1 velocity tracking (vx, vy, yaw rate) on flat ground, legged_gym rewards, asymmetric critic',
  defaultConfig: go1FlatConfig,
  create: (cfg, opts) => createLocomotionEnv('go1-flat', cfg, opts),
  deploy: (cfg = go1FlatConfig()) => locomotionDeploy('go1-flat', cfg),
};
