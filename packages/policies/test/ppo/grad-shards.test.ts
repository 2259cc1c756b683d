import { describe, expect, it } from 'vitest';
import { Rng } from '@s2r/core';
import { initBackend } from '../../src/backend.ts';
import { PPO } from '../../src/ppo/ppo.ts';
import { defaultPpoConfig } from '../../src/ppo/config.ts';

const OBS = 10, PRIV = 3, ACT = 4;

/** A PPO with one synthetic rollout stored (same data for every call), updated once; returns its parameters. */
async function updatedParams(gradShards: number, updateThreads: number) {
  const backend = await initBackend('wasm', { quiet: true });
  const cfg = { ...defaultPpoConfig('toy'), numEnvs: 32, stepsPerEnv: 4, numMinibatches: 2, numEpochs: 2, actorHidden: [24, 16], criticHidden: [24, 16], gradShards, updateThreads };
  const ppo = new PPO(cfg, { obs: OBS, priv: PRIV, act: ACT }, Rng.seed(3));
  try {
    await ppo.startUpdateThreads(backend);
    const rng = Rng.seed(9);
    const N = cfg.numEnvs;
    const obs = new Float32Array(N * OBS), priv = new Float32Array(N * PRIV), act = new Float32Array(N * ACT), rew = new Float32Array(N);
    const term = new Uint8Array(N), trunc = new Uint8Array(N);
    for (let t = 0; t < cfg.stepsPerEnv; t++) {
      rng.fillNormal(obs);
      rng.fillNormal(priv);
      ppo.act(obs, priv, act);
      rng.fillNormal(rew);
      for (let i = 0; i < N; i++) term[i] = rng.uniform(0, 1) < 0.05 ? 1 : 0;
      ppo.processEnvStep(rew, term, trunc);
    }
    rng.fillNormal(obs);
    ppo.computeReturns(obs, priv);
    const before = ppo.storage;
    const st = ppo.update();
    expect(ppo.storage).toBe(before); // the sequential API keeps its storage object
    expect(ppo.storage.step).toBe(0);
    const s = ppo.getState();
    return { params: [...s.actor.flatMap((l) => [...l.w, ...l.b]), ...s.logStd, ...s.critic.flatMap((l) => [...l.w, ...l.b])], kl: st.kl, lr: st.learningRate, threads: ppo.shards?.threadCount ?? 1 };
  } finally {
    ppo.dispose();
  }
}

describe('PPO update in gradient shards', () => {
  it('1 thread and 2 threads give bit-identical parameters for the same shard count', async () => {
    const one = await updatedParams(4, 1);
    const two = await updatedParams(4, 2);
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2); // a worker thread really computed half the shards
    expect(two.params.length).toBe(one.params.length);
    let diff = 0;
    for (let i = 0; i < one.params.length; i++) if (!Object.is(one.params[i], two.params[i])) diff++;
    expect(diff).toBe(0);
    expect(two.kl).toBe(one.kl);
  }, 120_000);

  it('the shard sum is the whole minibatch gradient (agrees with the unsharded update to float rounding)', async () => {
    const whole = await updatedParams(1, 1);
    const sharded = await updatedParams(4, 1);
    let maxAbs = 0, maxDiff = 0;
    for (let i = 0; i < whole.params.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(whole.params[i]!));
      maxDiff = Math.max(maxDiff, Math.abs(whole.params[i]! - sharded.params[i]!));
    }
    expect(maxDiff).toBeLessThan(1e-5 * Math.max(1, maxAbs));
    expect(sharded.kl).toBeCloseTo(whole.kl, 6);
    // …and it is not trivially the same computation: the shard sums round differently somewhere.
    expect(whole.params.some((p, i) => p !== sharded.params[i])).toBe(true);
  }, 120_000);
});
