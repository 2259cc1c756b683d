/**
 * A registered task: one file per task exporting a TaskDefinition (mujoco_playground style).
 * `defaultConfig()` is a fresh typed object each call; `create` builds an env from a resolved config.
 */
import type { DeepPartial } from '../env/config.ts';
import type { EnvOptions } from '../env/manager-env.ts';
import type { TaskEnv } from '../env/types.ts';

/** What the bridge needs to run a policy trained on this task on a real robot: the shared contract (@s2r/core). */
export type { DeploySpec } from '@s2r/core';
import type { DeploySpec } from '@s2r/core';

export interface TaskDefinition<C = any, R = any> {
  name: string;
  description: string;
  defaultConfig(): C;
  create(config: C, opts?: EnvOptions): Promise<TaskEnv<C>>;
  /** Deployment facts for a config (default: defaultConfig()). */
  deploy(config?: C): DeploySpec<R>;
}

export type Overrides<C> = DeepPartial<C>;
