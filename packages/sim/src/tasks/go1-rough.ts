/**
 * go1-rough: go1-flat on a heightfield of slopes, rough slopes, stairs and obstacles (10 difficulty levels),
 * with legged_gym's terrain curriculum: walk far enough and the next episode starts one level harder; fall short
 * of half the commanded distance and it starts one level easier. The critic also gets a height scan.
 */
import { defaultTerrainConfig } from '../terrain/heightfield.ts';
import type { LeggedReadings, LocomotionConfig } from './locomotion.ts';
import { go1BaseConfig } from './go1-base.ts';
import { createLocomotionEnv, locomotionDeploy } from './legged-factory.ts';
import type { TaskDefinition } from './types.ts';

export type Go1RoughConfig = LocomotionConfig;

export function go1RoughConfig(): Go1RoughConfig {
  const c = go1BaseConfig();
  c.terrain = {
    map: defaultTerrainConfig(),
    maxInitLevel: 5,
    curriculum: true,
    // 7 × 5 points, 0.2 m apart, centred under the base (a small version of legged_gym's 17 × 11 scan).
    scanX: [-0.6, -0.4, -0.2, 0, 0.2, 0.4, 0.6],
    scanY: [-0.4, -0.2, 0, 0.2, 0.4],
  };
  c.init.yaw = Math.PI;
  // The hip or thigh may brush a step: minimum base height is measured from the terrain under the base.
  c.termination.minBaseHeight = 0.08;
  return c;
}

export const go1Rough: TaskDefinition<Go1RoughConfig, LeggedReadings> = {
  name: 'go1-rough',
  description: 'Go1 velocity tracking on heightfield terrain with a curriculum on terrain level',
  defaultConfig: go1RoughConfig,
  create: (cfg, opts) => createLocomotionEnv('go1-rough', cfg, opts),
  deploy: (cfg = go1RoughConfig()) => locomotionDeploy('go1-rough', cfg),
};
