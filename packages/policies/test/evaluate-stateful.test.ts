import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../src/evaluate.ts';
import { specHash } from '../src/artifact.ts';
import type { Policy } from '../src/policy.ts';
import { SerialVecEnv, TOY_ACT, TOY_OBS } from './toy-env.ts';

/** A policy with memory: it counts steps since its last reset and would misbehave if shared across envs. */
function memoryPolicy(kind: string, chunk?: Policy['chunk']) {
  const log = { resets: 0, maxSinceReset: 0 };
  let since = 0;
  const p = {
    kind, obsSize: 4, actSize: 2, chunk,
    meta: { task: 'toy-reach', specHash: specHash(TOY_OBS, TOY_ACT), source: 'test' } as unknown as Policy['meta'],
    reset() { log.resets++; since = 0; },
    act(obs: Float32Array) {
      since++;
      log.maxSinceReset = Math.max(log.maxSinceReset, since);
      return Float32Array.of(Math.sign(obs[2]! - obs[0]!), Math.sign(obs[3]! - obs[1]!));
    },
  } as Policy;
  return { p, log };
}

describe('evaluatePolicy with stateful policies', () => {
  it('drives one env at a time and resets the policy at every episode boundary', async () => {
    const { p, log } = memoryPolicy('diffusion', { horizon: 16, execute: 8, obsHistory: 2 });
    const sizes: number[] = [];
    const r = await evaluatePolicy(p, {
      episodes: 6, numEnvs: 4,
      makeVecEnv: async (_t, o) => { sizes.push(o.numEnvs); return new SerialVecEnv(o.numEnvs); },
    });
    expect(sizes).toEqual([1]);
    expect(r.episodes).toHaveLength(6);
    // One reset at the start of each of the 6 episodes.
    expect(log.resets).toBe(6);
    // No episode of the toy task exceeds 40 steps, so a correctly reset counter never does either.
    expect(log.maxSinceReset).toBeLessThanOrEqual(40);
  });

  it('keeps parallel envs for a memoryless MLP', async () => {
    const { p } = memoryPolicy('mlp');
    const sizes: number[] = [];
    await evaluatePolicy(p, { episodes: 6, numEnvs: 4, makeVecEnv: async (_t, o) => { sizes.push(o.numEnvs); return new SerialVecEnv(o.numEnvs); } });
    expect(sizes).toEqual([4]);
  });
});
