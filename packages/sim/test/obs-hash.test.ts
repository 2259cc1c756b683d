/**
 * Behaviour lock for go1-flat: 200 env steps with a fixed seed under random actions of ±10 (target offsets of
 * ±2.5 rad, past every joint stop, so the clamp, the rate limit, contacts and falls/resets are all exercised),
 * hashed over the actor and privileged observations and the reward. Refactors that must not change behaviour
 * (moving FK, transforms and the robot model into @s2r/core, splitting RapierRobot) keep this hash; a change that
 * is meant to alter go1-flat's dynamics re-baselines it deliberately and says why in its commit.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { load } from '../src/tasks/registry.ts';
import { Rng } from '@s2r/core';

const GO1_FLAT_200_STEPS = '420eea28a42208f67669f51e34c3dd5b86616e8e9e50e7b1ba8dafaf823bfd77';

describe('go1-flat observation hash', () => {
  it('200 steps, seed 0, actions U(±10) from Rng.seed(1): same hash as before the refactor', async () => {
    const env = await load('go1-flat', undefined, { print: false });
    try {
      const h = createHash('sha256');
      const rng = Rng.seed(1);
      const A = env.actionSpec.size;
      const add = (v: ArrayLike<number>) => h.update(new Uint8Array(Float32Array.from(v).buffer));
      let { obs } = env.reset(0);
      add(obs);
      let resets = 0;
      for (let t = 0; t < 200; t++) {
        const a = Float32Array.from({ length: A }, () => rng.uniform(-10, 10));
        const s = env.step(a);
        add(s.obs);
        if (s.info.privileged) add(s.info.privileged);
        add([s.reward]);
        if (s.terminated || s.truncated) {
          ({ obs } = env.reset());
          add(obs);
          resets++;
        }
      }
      expect(resets).toBeGreaterThan(0); // the actions are violent enough to make it fall: resets are covered too
      expect(h.digest('hex')).toBe(GO1_FLAT_200_STEPS);
    } finally {
      env.close();
    }
  }, 120_000);
});
