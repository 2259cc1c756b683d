/**
 * The residual recipe (issue 15), checked cheaply on the toy task so a regression of the defaults fails here:
 * zero-initialised output (the policy is the base, bit for bit, at step 0 and through the critic warm-up), and a
 * first actor update that stays under the KL guard. Also: the base fed its own previous action (OwnCommandBase).
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '@s2r/core';
import { collectDemos } from '../src/demos/collect.ts';
import { trainBc } from '../src/bc/train.ts';
import { BcPolicy } from '../src/bc/policy.ts';
import { DEFAULT_RESIDUAL_TRAIN, RESIDUAL_PPO_DEFAULTS, trainResidual, type ResidualProgress } from '../src/residual/train.ts';
import { ResidualPolicy } from '../src/residual/policy.ts';
import { OwnCommandBase } from '../src/residual/base.ts';
import type { Policy } from '../src/policy.ts';
import type { PolicyArtifact } from '../src/artifact.ts';
import { SerialVecEnv, ToyReach, toyExpert } from './toy-env.ts';

async function toyBase(): Promise<PolicyArtifact> {
  const demos = await collectDemos({ task: 'toy-reach', makeEnv: () => new ToyReach(), expert: toyExpert([0.2, -0.1], 0.6), episodes: 30, noise: 0.1, seed: 1 });
  return (await trainBc({ demos, config: { obsHistory: 1, hidden: [32, 32], iterations: 200, batchSize: 128, lr: 3e-3, successOnly: false } })).artifact;
}

/** The residual's and the base's actions along the same rollouts (the residual's actions drive the env). */
async function rollout(res: ResidualPolicy, base: Policy, episodes: number): Promise<{ res: number[]; base: number[] }> {
  const env = new ToyReach();
  const { low, high } = env.actionSpec;
  const out = { res: [] as number[], base: [] as number[] };
  for (let e = 0; e < episodes; e++) {
    let { obs } = env.reset(Rng.seed(50 + e));
    res.reset();
    base.reset();
    for (let t = 0; t < 40; t++) {
      const a = res.act(obs);
      out.res.push(...a);
      // The base's action as executed: clipped to the action bounds (the residual composes inside them).
      out.base.push(...Array.from(base.act(obs), (v) => Math.min(high, Math.max(low, v))));
      const s = env.step(a);
      if (s.terminated || s.truncated) break;
      obs = s.obs;
    }
  }
  return out;
}

describe('residual recipe (defaults)', () => {
  it('the residual starts as the base (its executed action), bit for bit, and stays so through the critic warm-up', async () => {
    expect(DEFAULT_RESIDUAL_TRAIN.zeroInit).toBe(true);
    expect(DEFAULT_RESIDUAL_TRAIN.criticWarmupSteps).toBeGreaterThan(0);
    const base = await toyBase();
    const N = RESIDUAL_PPO_DEFAULTS.numEnvs!;
    for (const steps of [0, DEFAULT_RESIDUAL_TRAIN.criticWarmupSteps]) {
      const phases: string[] = [];
      const { artifact } = await trainResidual({ task: 'toy-reach', base, seed: 4, vecEnv: new SerialVecEnv(N), config: { totalSteps: steps }, onProgress: (p) => phases.push(p.phase) });
      expect(phases.every((p) => p === 'critic')).toBe(true);
      const r = await rollout(await ResidualPolicy.create(artifact), new BcPolicy(base), 3);
      expect(r.res.length).toBeGreaterThan(20);
      expect(Float32Array.from(r.res)).toEqual(Float32Array.from(r.base));
    }
  }, 120_000);

  it("the first actor update stays under the KL guard (all its minibatch steps taken) and moves the policy", async () => {
    const base = await toyBase();
    const N = RESIDUAL_PPO_DEFAULTS.numEnvs!;
    const S = N * RESIDUAL_PPO_DEFAULTS.stepsPerEnv!;
    const prog: ResidualProgress[] = [];
    const { artifact, config } = await trainResidual({ task: 'toy-reach', base, seed: 4, vecEnv: new SerialVecEnv(N), config: { totalSteps: DEFAULT_RESIDUAL_TRAIN.criticWarmupSteps + S }, onProgress: (p) => prog.push(p) });
    const first = prog.find((p) => p.phase === 'actor')!;
    expect(first).toBeDefined();
    expect(config.ppo.klStop).toBeGreaterThan(0);
    expect(first.stats.steps).toBe(config.ppo.numEpochs * config.ppo.numMinibatches);
    expect(first.stats.kl).toBeLessThan(config.ppo.klStop);
    const r = await rollout(await ResidualPolicy.create(artifact), new BcPolicy(base), 2);
    expect(r.res.some((v, i) => v !== r.base[i])).toBe(true);
  }, 120_000);
});

/** A stand-in base that records the observations it is given and answers obs[0] + 1 on every joint. */
class Recorder implements Policy {
  readonly kind = 'test';
  readonly obsSize = 5;
  readonly actSize = 2;
  readonly meta = {} as Policy['meta'];
  seen: number[][] = [];
  reset(): void {}
  act(obs: Float32Array): Float32Array {
    this.seen.push([...obs]);
    return Float32Array.of(obs[0]! + 1, obs[0]! + 2);
  }
}

describe('OwnCommandBase', () => {
  it('feeds the base its own previous action in the last_action slot, the observed one at the start of an episode', () => {
    const inner = new Recorder();
    const b = new OwnCommandBase(inner, 3);
    const obs = Float32Array.of(10, 0, 0, 7, 7);
    b.act(obs);
    b.act(Float32Array.of(20, 0, 0, 9, 9));
    expect(inner.seen[0]).toEqual([10, 0, 0, 7, 7]);
    expect(inner.seen[1]).toEqual([20, 0, 0, 11, 12]);
    expect([...obs]).toEqual([10, 0, 0, 7, 7]); // the caller's observation is not written
    b.reset();
    b.act(Float32Array.of(30, 0, 0, 5, 5));
    expect(inner.seen[2]).toEqual([30, 0, 0, 5, 5]);
    expect('actChunk' in b).toBe(false); // never split off to a bridge's chunk queue
    expect(() => new OwnCommandBase(new Recorder(), 4)).toThrow(/last_action slot \[4, 6\) is outside the 5-value observation/);
  });
});
