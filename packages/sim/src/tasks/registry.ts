/**
 * The task registry (mujoco_playground style): `load(name, overrides)` builds an env from the task's
 * `defaultConfig()` deep-merged with explicit overrides; the resolved config is frozen and kept on the env.
 */
import { freezeConfig, mergeConfig, type DeepPartial } from '../env/config.ts';
import type { EnvOptions } from '../env/manager-env.ts';
import type { TaskEnv } from '../env/types.ts';
import '../dr/config.ts'; // the built-in DR terms, registered before any config is validated
import { validateDrConfig, validateDrOverrides } from '../dr/registry.ts';
import { cartpole } from './cartpole.ts';
import { go1Flat } from './go1-flat.ts';
import { go1Rough } from './go1-rough.ts';
import { z1Push } from './z1-push.ts';
import type { TaskDefinition } from './types.ts';

const TASKS = new Map<string, TaskDefinition>([cartpole, go1Flat, go1Rough, z1Push].map((t) => [t.name, t as TaskDefinition]));

/** Names of every registered task, sorted. */
export function listTasks(): string[] {
  return [...TASKS.keys()].sort();
}

export function getTask(name: string): TaskDefinition {
  const t = TASKS.get(name);
  if (!t) throw new Error(`unknown task "${name}" (registered: ${listTasks().join(', ')})`);
  return t;
}

/** Register a user task (e.g. their own robot). Names must be unique. */
export function registerTask(def: TaskDefinition): void {
  if (TASKS.has(def.name)) throw new Error(`task "${def.name}" is already registered`);
  TASKS.set(def.name, def);
}

/** The resolved config of a task: defaults deep-merged with overrides (unknown keys are errors). */
export function resolveTaskConfig<C>(name: string, overrides?: DeepPartial<C>): C {
  const t = getTask(name);
  const base = t.defaultConfig() as C;
  const hasDr = (base as { dr?: unknown }).dr !== undefined;
  // DR terms are checked against their registered schemas first, so an error names the term and the key.
  if (hasDr) validateDrOverrides((overrides as { dr?: unknown } | undefined)?.dr, name);
  const cfg = mergeConfig(base, overrides, name);
  if (hasDr) validateDrConfig((cfg as { dr: Record<string, unknown> }).dr, name);
  const c = cfg as { physicsDt?: number; decimation?: number; episodeLengthS?: number };
  if (c.physicsDt !== undefined && !(c.physicsDt > 0)) throw new RangeError(`${name}.physicsDt must be > 0 s, got ${c.physicsDt}`);
  if (c.decimation !== undefined && !(Number.isInteger(c.decimation) && c.decimation >= 1)) throw new RangeError(`${name}.decimation must be an integer ≥ 1, got ${c.decimation}`);
  if (c.episodeLengthS !== undefined && !(c.episodeLengthS > 0)) throw new RangeError(`${name}.episodeLengthS must be > 0 s, got ${c.episodeLengthS}`);
  return freezeConfig(cfg);
}

/** Build an env of a registered task. `opts.print: false` silences the term tables (workers, tests). */
export async function load<C = unknown>(name: string, overrides?: DeepPartial<C>, opts: EnvOptions = {}): Promise<TaskEnv<C>> {
  const t = getTask(name);
  return (await t.create(resolveTaskConfig(name, overrides), opts)) as TaskEnv<C>;
}
