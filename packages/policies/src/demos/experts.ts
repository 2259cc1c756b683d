/**
 * Experts by name for `s2r collect`: the task's scripted expert (z1-push ships one in @s2r/sim), or a trained
 * teacher artifact of any kind the house loader knows (PPO 'mlp', 'bc-mlp', 'diffusion', 'residual').
 */
import { Rng } from '@s2r/core';
import type { Env } from '@s2r/sim/env/types.ts';
import { readArtifact } from '../artifact.ts';
import { policyExpert, type Expert } from './collect.ts';
import { basePolicyFromArtifact } from '../residual/base.ts';
import { ResidualPolicy } from '../residual/policy.ts';

/** Scripted experts known per task; each builds a stateless obs → action function from the env's config. */
const SCRIPTED: Record<string, (env: Env) => Promise<(obs: ArrayLike<number>, rng?: Rng) => ArrayLike<number>>> = {
  'z1-push': async (env) => {
    const m = await import('@s2r/sim/tasks/z1-push-expert.ts');
    const cfg = (env as { config?: unknown }).config as Parameters<typeof m.makeZ1PushExpert>[0] | undefined;
    return m.makeZ1PushExpert(cfg ?? m.z1PushConfig());
  },
};

export function scriptedTasks(): string[] {
  return Object.keys(SCRIPTED);
}

/** The scripted expert of a task, built for this env's (resolved) config. */
export async function scriptedExpert(task: string, env: Env): Promise<Expert> {
  const make = SCRIPTED[task];
  if (!make) throw new Error(`no scripted expert for task "${task}" (available: ${scriptedTasks().join(', ') || 'none'}); pass a teacher artifact with --expert <path>`);
  const fn = await make(env);
  let rng = Rng.seed(0);
  return {
    name: 'scripted',
    reset(_env, r) {
      rng = r;
    },
    act: (obs) => fn(obs, rng),
  };
}

/** A teacher policy from an artifact file: residual policies are built with their embedded base. */
export async function teacherExpert(path: string, seed = 0): Promise<Expert> {
  const a = await readArtifact(path);
  const p = a.kind === 'residual' ? await ResidualPolicy.create(a, { rng: Rng.seed(seed) }, path) : await basePolicyFromArtifact(a, Rng.seed(seed), path);
  return policyExpert(path, { reset: () => p.reset(), act: (o) => p.act(o instanceof Float32Array ? o : Float32Array.from(o)) });
}
