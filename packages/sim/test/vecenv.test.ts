import { describe, expect, it } from 'vitest';
import { makeVecEnv, partition } from '../src/env/vec-env.ts';
import type { EpisodeStats } from '../src/env/types.ts';
import { Rng } from '@s2r/core';

/** Step a VecEnv with seeded random actions, recording every buffer after every step. */
async function rollout(workers: number, steps: number) {
  const v = await makeVecEnv('go1-flat', { numEnvs: 5, workers, seed: 123, print: false, overrides: { episodeLengthS: 0.3 } });
  try {
    const rng = Rng.seed(77);
    const A = new Float32Array(v.numEnvs * v.actionSpec.size);
    const trace: number[] = [...v.obs, ...v.privileged];
    const episodes: EpisodeStats[] = [];
    for (let t = 0; t < steps; t++) {
      for (let i = 0; i < A.length; i++) A[i] = rng.normal();
      episodes.push(...(await v.step(A)));
      trace.push(...v.obs, ...v.privileged, ...v.rewards, ...v.terminated, ...v.truncated);
    }
    return { trace, episodes, numEnvs: v.numEnvs, maxSteps: v.maxEpisodeSteps, obsSize: v.observationSpec.size };
  } finally {
    await v.close();
  }
}

describe('VecEnv', () => {
  it('partitions N envs into W contiguous slices', () => {
    expect(partition(5, 2)).toEqual([[0, 3], [3, 5]]);
    expect(partition(4, 4)).toEqual([[0, 1], [1, 2], [2, 3], [3, 4]]);
  });

  it('gives identical buffers and episode stats for 1 and 2 workers with the same seed', async () => {
    const a = await rollout(1, 40);
    const b = await rollout(2, 40);
    expect(a.trace.length).toBe(b.trace.length);
    let diff = 0;
    for (let i = 0; i < a.trace.length; i++) if (!Object.is(a.trace[i], b.trace[i])) diff++;
    expect(diff).toBe(0);
    expect(b.episodes).toEqual(a.episodes);
    // 15 steps per episode (0.3 s at 50 Hz): every env finished at least twice, by truncation or termination.
    expect(a.episodes.length).toBeGreaterThanOrEqual(10);
    for (const e of a.episodes) {
      expect(e.length).toBeLessThanOrEqual(a.maxSteps);
      expect(e.terminated !== e.truncated).toBe(true);
      if (e.truncated) expect(e.length).toBe(a.maxSteps);
      const termSum = Object.values(e.terms).reduce((s, x) => s + x, 0);
      expect(e.return).toBeGreaterThanOrEqual(Math.min(termSum, 0) - 1e-9); // negative totals are clipped to 0
      expect(e.dr).toHaveProperty('friction');
      expect(e.dr!.motor_strength).toHaveLength(12);
    }
  });

  it('reset(seed) after stepping reproduces the same episodes (in-process and in workers)', async () => {
    for (const workers of [0, 2]) {
      const v = await makeVecEnv('go1-flat', { numEnvs: 2, workers, seed: 9, print: false });
      try {
        const run = async () => {
          const rng = Rng.seed(4);
          const A = new Float32Array(v.numEnvs * 12);
          const out: number[] = [...v.obs];
          for (let t = 0; t < 20; t++) {
            for (let i = 0; i < A.length; i++) A[i] = rng.normal();
            await v.step(A);
            out.push(...v.obs, ...v.rewards);
          }
          return out;
        };
        const first = await run();
        await v.reset(9);
        expect(await run()).toEqual(first);
        await v.reset(10);
        expect((await run()).slice(0, 40)).not.toEqual(first.slice(0, 40));
      } finally {
        await v.close();
      }
    }
  });

  it('auto-resets: an env that ended already shows the first observation of its next episode', async () => {
    const v = await makeVecEnv('cartpole', { numEnvs: 3, workers: 0, seed: 1, print: false });
    try {
      const A = new Float32Array(3).fill(1);
      let ended: EpisodeStats[] = [];
      for (let t = 0; t < 200 && !ended.length; t++) ended = await v.step(A);
      expect(ended.length).toBeGreaterThan(0);
      for (const e of ended) {
        expect(v.terminated[e.env]).toBe(1);
        // A fresh cart-pole starts within ±0.05 of upright and centred.
        for (let k = 0; k < 4; k++) expect(Math.abs(v.obs[e.env * 4 + k]!)).toBeLessThanOrEqual(0.05 + 1e-6);
        expect(e.return).toBe(e.length); // +1 per step
      }
    } finally {
      await v.close();
    }
  });

  it('reports a bad task or override as a clear error', async () => {
    await expect(makeVecEnv('nope', { numEnvs: 2 })).rejects.toThrow(/unknown task "nope"/);
    await expect(makeVecEnv('cartpole', { numEnvs: 2, workers: 2, overrides: { forceScale: 'x' } })).rejects.toThrow(/cartpole\.forceScale: expected number/);
    const v = await makeVecEnv('cartpole', { numEnvs: 2, workers: 2, print: false });
    await expect(v.step(new Float32Array(3))).rejects.toThrow(/actions has 3 values, expected 2×1/);
    const bad = new Float32Array(2);
    bad[1] = NaN;
    await expect(v.step(bad)).rejects.toThrow(/action\[0\] \(slider\) is NaN/);
    await v.close();
  });
});
