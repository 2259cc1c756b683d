/** PPO's KL guard (cfg.klStop), critic-only updates (critic warm-up) and the critic's own learning rate. */
import { describe, expect, it } from 'vitest';
import { Rng } from '@s2r/core';
import { initBackend } from '../../src/backend.ts';
import { PPO, type UpdateOptions } from '../../src/ppo/ppo.ts';
import { defaultPpoConfig, type PpoConfig } from '../../src/ppo/config.ts';
import { syntheticRollout } from '../helpers/synthetic-rollout.ts';

const OBS = 8, ACT = 3;

/** One synthetic rollout (same data every call), one update; parameters before and after, and the stats. */
async function oneUpdate(over: Partial<PpoConfig>, opts: UpdateOptions = {}, gradShards = 1) {
  await initBackend('wasm', { quiet: true });
  const cfg: PpoConfig = { ...defaultPpoConfig('toy'), numEnvs: 16, stepsPerEnv: 8, numMinibatches: 4, numEpochs: 3, actorHidden: [16], criticHidden: [16], asymmetricCritic: false, gradShards, ...over };
  const ppo = new PPO(cfg, { obs: OBS, priv: 0, act: ACT }, Rng.seed(5));
  try {
    syntheticRollout(ppo, Rng.seed(11));
    const flat = () => {
      const s = ppo.getState();
      return { actor: [...s.actor.flatMap((l) => [...l.w, ...l.b]), ...s.logStd], critic: s.critic.flatMap((l) => [...l.w, ...l.b]) };
    };
    const before = flat();
    const st = ppo.update(opts);
    return { before, after: flat(), st, lr: ppo.opt.lr };
  } finally {
    ppo.dispose();
  }
}

const changedCount = (a: number[], b: number[]) => a.filter((v, i) => v !== b[i]).length;

describe('PPO update guards', () => {
  it('klStop ends the update at the first minibatch whose KL is over the limit, without taking its step', async () => {
    const free = await oneUpdate({ learningRate: 1e-2, schedule: 'fixed' });
    expect(free.st.steps).toBe(12);
    expect(free.st.kl).toBeGreaterThan(1e-4);
    // The first minibatch's KL is 0 (the rollout's own policy), so one step is taken; the next sees KL > 0.
    const guarded = await oneUpdate({ learningRate: 1e-2, schedule: 'fixed', klStop: 1e-9 });
    expect(guarded.st.steps).toBe(1);
    expect(guarded.st.kl).toBeGreaterThan(1e-9);
    for (const shards of [1, 2]) {
      const g = await oneUpdate({ learningRate: 1e-2, schedule: 'fixed', klStop: 1e-9 }, {}, shards);
      expect(g.st.steps).toBe(1);
    }
    // A refused step lowers an adaptive LR like any too-large KL: the first minibatch's ×1.5 (KL ~0) is undone.
    const adaptive = await oneUpdate({ learningRate: 1e-2, schedule: 'adaptive', klStop: 1e-9 });
    expect(adaptive.st.steps).toBe(1);
    expect(adaptive.lr).toBeLessThan(1e-2);
    // A limit above anything this update reaches changes nothing.
    const loose = await oneUpdate({ learningRate: 1e-2, schedule: 'fixed', klStop: 1e3 });
    expect(loose.after).toEqual(free.after);
  });

  it('a critic-only update moves the critic and leaves the actor, log σ and the LR bit for bit', async () => {
    for (const shards of [1, 2]) {
      const r = await oneUpdate({ learningRate: 1e-3, schedule: 'adaptive' }, { criticOnly: true }, shards);
      expect(changedCount(r.before.actor, r.after.actor)).toBe(0);
      expect(changedCount(r.before.critic, r.after.critic)).toBeGreaterThan(r.before.critic.length / 2);
      expect(r.lr).toBe(1e-3);
      expect(r.st.steps).toBe(12);
    }
  });

  it('criticLearningRate gives the critic its own fixed LR', async () => {
    const shared = await oneUpdate({ learningRate: 1e-6, schedule: 'fixed' }, { criticOnly: true });
    const own = await oneUpdate({ learningRate: 1e-6, schedule: 'fixed', criticLearningRate: 1e-2 }, { criticOnly: true });
    const moved = (r: typeof shared) => r.after.critic.reduce((s, v, i) => s + Math.abs(v - r.before.critic[i]!), 0);
    // Adam's steps are about lr per parameter: 1e-2 vs 1e-6 is four orders of magnitude.
    expect(moved(own)).toBeGreaterThan(1000 * moved(shared));
    expect(own.lr).toBe(1e-6);
  });
});
