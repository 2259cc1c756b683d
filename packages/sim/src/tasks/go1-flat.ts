/**
 * go1-flat: velocity tracking on flat ground with the project's Go1 (hardware/robots/s2r-go1), legged_gym style.
 * 200 Hz physics, decimation 4 → 50 Hz policy, 20 s episodes (time-out = truncation), PD Kp 20 / Kd 0.5,
 * target = default + 0.25·action. See locomotion.ts for the terms.
 */
import { createWorld } from '../physics/world.ts';
import type { EnvOptions } from '../env/manager-env.ts';
import { computeObservation } from '../env/manager-env.ts';
import { defaultDrConfig } from '../dr/config.ts';
import { loadRobotAsset } from './assets.ts';
import { Terrain } from '../terrain/heightfield.ts';
import { Rng } from '@s2r/core';
import { defaultLocomotionConfig, LocomotionEnv, locomotionObservationTerms, LOCOMOTION_OBS_SIZE, type LeggedReadings, type LocomotionConfig } from './locomotion.ts';
import { specFromTerms } from '../env/manager-env.ts';
import type { DeploySpec, TaskDefinition } from './types.ts';

export type Go1FlatConfig = LocomotionConfig;

export function go1FlatConfig(): Go1FlatConfig {
  return { ...defaultLocomotionConfig(), dr: defaultDrConfig() };
}

const terrainCache = new Map<string, Terrain>();
/** One Terrain per map config per process: every env builds the same map, so share the generated heights. */
export function terrainFor(map: NonNullable<LocomotionConfig['terrain']>['map']): Terrain {
  const key = JSON.stringify(map);
  let t = terrainCache.get(key);
  if (!t) {
    t = new Terrain(map, Rng.seed(map.seed).split('terrain'));
    terrainCache.set(key, t);
  }
  return t;
}

export async function createLocomotionEnv(name: string, cfg: LocomotionConfig, opts: EnvOptions = {}): Promise<LocomotionEnv> {
  const asset = loadRobotAsset(cfg.robot);
  const terrain = cfg.terrain ? terrainFor(cfg.terrain.map) : null;
  const world = await createWorld({
    dt: cfg.physicsDt,
    flavor: cfg.physics.flavor,
    ...(cfg.physics.solverIterations !== null ? { solverIterations: cfg.physics.solverIterations } : {}),
    ...(cfg.physics.internalPgsIterations !== null ? { internalPgsIterations: cfg.physics.internalPgsIterations } : {}),
    ground: terrain ? { type: 'heightfield', heights: terrain.heights, rows: terrain.rows, cols: terrain.cols, spacing: terrain.spacing } : { type: 'plane' },
  });
  try {
    const robot = world.addRobot(asset.model, {
      basePosition: [0, 0, cfg.init.baseHeight ?? asset.baseHeight ?? 0.35],
      initialJointPos: asset.defaultJointPos,
      kp: cfg.control.kp,
      kd: cfg.control.kd,
    });
    return new LocomotionEnv(name, cfg, world, robot, asset, terrain, opts);
  } catch (e) {
    world.free();
    throw e;
  }
}

export function locomotionDeploy(name: string, cfg: LocomotionConfig): DeploySpec<LeggedReadings> {
  const asset = loadRobotAsset(cfg.robot);
  const q0 = Float32Array.from(asset.defaultJointPos);
  const terms = locomotionObservationTerms(asset.jointNames, q0);
  const J = asset.jointNames.length;
  return {
    task: name,
    jointNames: [...asset.jointNames],
    defaultJointPos: q0,
    actionMode: 'position',
    actionScale: cfg.control.actionScale,
    actionJoints: [...asset.jointNames],
    actionClip: cfg.control.actionClip,
    kp: new Float32Array(J).fill(cfg.control.kp),
    kd: new Float32Array(J).fill(cfg.control.kd),
    controlDt: cfg.physicsDt * cfg.decimation,
    observationSpec: specFromTerms(terms),
    observe: (input, out = new Float32Array(LOCOMOTION_OBS_SIZE)) => computeObservation(terms, input, out),
  };
}

export const go1Flat: TaskDefinition<Go1FlatConfig, LeggedReadings> = {
  name: 'go1-flat',
  description: 'Go1 velocity tracking (vx, vy, yaw rate) on flat ground, legged_gym rewards, asymmetric critic',
  defaultConfig: go1FlatConfig,
  create: (cfg, opts) => createLocomotionEnv('go1-flat', cfg, opts),
  deploy: (cfg = go1FlatConfig()) => locomotionDeploy('go1-flat', cfg),
};
