/**
 * The generic legged-robot factory: a LocomotionEnv on flat ground or a shared heightfield for any robot under
 * hardware/robots, and its DeploySpec (observation, gains, the action pipeline). Per-robot files (go1-base.ts)
 * give the numbers; per-task files (go1-flat.ts, go1-rough.ts) the variations.
 */
import { createWorld } from '../physics/world.ts';
import type { EnvOptions } from '../env/manager-env.ts';
import { computeObservation, specFromTerms } from '../env/manager-env.ts';
import { loadRobotAsset } from './assets.ts';
import { Terrain } from '../terrain/heightfield.ts';
import { Rng } from '@s2r/core';
import { LocomotionEnv, locomotionObservationTerms, locomotionPipeline, LOCOMOTION_OBS_SIZE, type LeggedReadings, type LocomotionConfig } from './locomotion.ts';
import type { DeploySpec } from './types.ts';

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
    defaultJointPos: Array.from(q0),
    kp: new Array<number>(J).fill(cfg.control.kp),
    kd: new Array<number>(J).fill(cfg.control.kd),
    controlDt: cfg.physicsDt * cfg.decimation,
    physicsDt: cfg.physicsDt,
    observationSpec: specFromTerms(terms),
    pipeline: locomotionPipeline(asset.model, asset.jointNames, q0, cfg),
    observe: (input, out = new Float32Array(LOCOMOTION_OBS_SIZE)) => computeObservation(terms, input, out),
  };
}
