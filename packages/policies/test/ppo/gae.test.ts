import { describe, expect, it, beforeAll } from 'vitest';
import { Rng } from '@s2r/core';
import { computeGae, bootstrapTimeouts, standardize } from '../../src/ppo/gae.ts';
import { PPO } from '../../src/ppo/ppo.ts';
import { defaultPpoConfig } from '../../src/ppo/config.ts';
import { initBackend } from '../../src/backend.ts';

// Hand-worked case: T = 3, one env, γ = λ = 0.5, r = [1, 2, 3], V = [0.5, 1, 1.5], V(s_3) = 2.
function run(rewards: number[], dones: number[], last = 2) {
  const adv = new Float32Array(3);
  const ret = new Float32Array(3);
  computeGae(Float32Array.from(rewards), Float32Array.from([0.5, 1, 1.5]), Uint8Array.from(dones), Float32Array.from([last]), 3, 1, 0.5, 0.5, adv, ret);
  return { adv: Array.from(adv), ret: Array.from(ret) };
}

describe('GAE', () => {
  it('matches hand-worked values without episode ends', () => {
    // δ2 = 3 + .5·2 − 1.5 = 2.5;  δ1 = 2 + .5·1.5 − 1 = 1.75;  δ0 = 1 + .5·1 − .5 = 1
    // A2 = 2.5;  A1 = 1.75 + .25·2.5 = 2.375;  A0 = 1 + .25·2.375 = 1.59375
    const { adv, ret } = run([1, 2, 3], [0, 0, 0]);
    expect(adv).toEqual([1.59375, 2.375, 2.5]);
    expect(ret).toEqual([2.09375, 3.375, 4]);
  });

  it('does not bootstrap or carry advantages across a termination', () => {
    // done at t=1: δ1 = 2 − 1 = 1, A1 = 1;  A0 = 1 + .25·1 = 1.25;  A2 unchanged = 2.5
    const { adv } = run([1, 2, 3], [0, 1, 0]);
    expect(adv).toEqual([1.25, 1, 2.5]);
  });

  it('bootstraps a time-out with γ·V(s_t) in the reward (truncated ≠ terminated)', () => {
    const r = Float32Array.from([1, 2, 3]);
    bootstrapTimeouts(r, [0.5, 1, 1.5], Uint8Array.from([0, 0, 0]), Uint8Array.from([0, 1, 0]), 0.5);
    expect(Array.from(r)).toEqual([1, 2.5, 3]); // r1 += .5·V(s1) = .5
    // then: δ1 = 2.5 − 1 = 1.5, A1 = 1.5;  A0 = 1 + .25·1.5 = 1.375
    const { adv } = run(Array.from(r), [0, 1, 0]);
    expect(adv).toEqual([1.375, 1.5, 2.5]);
    // a time-out that is also a termination is not bootstrapped
    const r2 = Float32Array.from([1, 2, 3]);
    bootstrapTimeouts(r2, [0.5, 1, 1.5], Uint8Array.from([0, 1, 0]), Uint8Array.from([0, 1, 0]), 0.5);
    expect(Array.from(r2)).toEqual([1, 2, 3]);
  });

  it('handles several envs independently (time-major layout)', () => {
    // env 0 as in the first case, env 1 all zeros rewards/values and a termination at t=2
    const rewards = Float32Array.from([1, 0, 2, 0, 3, 0]);
    const values = Float32Array.from([0.5, 0, 1, 0, 1.5, 0]);
    const dones = Uint8Array.from([0, 0, 0, 0, 0, 1]);
    const adv = new Float32Array(6);
    const ret = new Float32Array(6);
    computeGae(rewards, values, dones, Float32Array.from([2, 7]), 3, 2, 0.5, 0.5, adv, ret);
    expect([adv[0], adv[2], adv[4]]).toEqual([1.59375, 2.375, 2.5]);
    expect([adv[1], adv[3], adv[5]]).toEqual([0, 0, 0]); // V(s_3)=7 of env 1 never leaks past its termination
  });

  it('standardize gives zero mean and unit (unbiased) std', () => {
    const x = Float32Array.from([1, 2, 3, 4]);
    standardize(x);
    const m = x.reduce((a, b) => a + b, 0) / 4;
    const s = Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / 3);
    expect(m).toBeCloseTo(0, 6);
    expect(s).toBeCloseTo(1, 5);
  });
});

describe('PPO.processEnvStep', () => {
  beforeAll(async () => {
    await initBackend('wasm', { quiet: true });
  });

  it('adds γ·V(s_t) to the reward of time-outs only, and marks both kinds of ends done', () => {
    const cfg = { ...defaultPpoConfig('toy'), numEnvs: 3, stepsPerEnv: 1, numMinibatches: 1, actorHidden: [4], criticHidden: [4], gamma: 0.9 };
    const ppo = new PPO(cfg, { obs: 2, priv: 0, act: 1 }, Rng.seed(1));
    const acts = new Float32Array(3);
    ppo.act(new Float32Array(6), null, acts);
    ppo.storage.values.set([1, 2, 4]);
    ppo.processEnvStep(Float32Array.from([1, 1, 1]), Uint8Array.from([0, 1, 1]), Uint8Array.from([1, 0, 1]));
    expect(Array.from(ppo.storage.rewards)).toEqual([1 + 0.9 * 1, 1, 1].map(Math.fround));
    expect(Array.from(ppo.storage.dones)).toEqual([1, 1, 1]);
    ppo.dispose();
  });
});
