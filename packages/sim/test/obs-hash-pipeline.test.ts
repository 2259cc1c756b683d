/**
 * Guard for the action pipeline: the observations (and rewards, episode ends) of 200 control steps under random
 * actions large enough to hit every stage (clip, position clamp, rate limit) are hashed for a fixed seed. go1-flat's
 * hash was recorded before the pipeline moved into @s2r/core and must never change by accident: a different hash
 * means training would see different physics. z1-push gained the pipeline's clamp and rate limit on purpose
 * (issue 11) and was re-baselined once, deliberately (old value in its comment); cartpole gained the effort clamp,
 * which its action bounds never reach, so its hash is the one recorded before.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { load } from '../src/tasks/registry.ts';
import { Rng } from '@s2r/core';

async function rolloutHash(task: string, steps: number, amplitude: number, seed: number): Promise<{ hash: string; episodes: number }> {
  const env = await load(task, undefined, { print: false });
  try {
    const h = createHash('sha256');
    const rng = Rng.seed(seed).split('actions');
    const a = new Float32Array(env.actionSpec.size);
    let episodes = 0;
    h.update(new Uint8Array(env.reset(seed).obs.buffer));
    for (let t = 0; t < steps; t++) {
      // Beyond the action bounds (clip), past the joint stops (clamp) and jumping every step (rate limit).
      for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-amplitude, amplitude);
      const r = env.step(a);
      h.update(new Uint8Array(r.obs.buffer));
      h.update(new Uint8Array(Float64Array.of(r.reward, r.terminated ? 1 : 0, r.truncated ? 1 : 0).buffer));
      if (r.terminated || r.truncated) {
        episodes++;
        h.update(new Uint8Array(env.reset().obs.buffer));
      }
    }
    return { hash: h.digest('hex'), episodes };
  } finally {
    env.close();
  }
}

describe('observation hash under random, limit-hitting actions (200 steps, seed 7)', () => {
  it('go1-flat: unchanged by the action pipeline refactor', async () => {
    const { hash, episodes } = await rolloutHash('go1-flat', 200, 12, 7);
    expect(episodes).toBeGreaterThan(0); // the reset path (rate limiter re-seeded from the spawn pose) is covered too
    expect(hash).toBe('180eb50f04b76d192be44a62b1ea61ec51519c2d279a090134a71108f009758b');
  });

  it('z1-push: re-baselined once when it gained the clamp and rate limit', async () => {
    // Before issue 11 (no clamp, no rate limit): 520d7aed0a54ef20e99c932e058f4d4e27beb4092581c0968f272d0221879658,
    // which the pipeline gave back with clampTargetsToLimits false and maxTargetRate null; with them on: 5458c850….
    // Merging core's one transform/FK module (issue 11, branch core) moved z1-push's tip numerics too: without the
    // filter 17d91534…, with it the value below.
    const { hash } = await rolloutHash('z1-push', 200, 8, 7);
    expect(hash).toBe('fd75ee8885a04c494ba22efb01394a6213d9539e548d5cd8fcb7b48182ca41c3');
  });

  it('cartpole: unchanged by the effort clamp (±1 action × 10 N stays inside the slider\'s 30 N limit)', async () => {
    const { hash } = await rolloutHash('cartpole', 200, 3, 7);
    expect(hash).toBe('88cd600fa4ed2b319e1a188f2648768f12fd380ecb3ebad3c93e1db2c7a27f03');
  });
});
