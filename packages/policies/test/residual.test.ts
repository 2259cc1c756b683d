import { describe, expect, it } from 'vitest';
import { Rng } from '@s2r/core';
import { collectDemos } from '../src/demos/collect.ts';
import { trainBc } from '../src/bc/train.ts';
import { BcPolicy } from '../src/bc/policy.ts';
import { trainResidual } from '../src/residual/train.ts';
import { ResidualPolicy } from '../src/residual/policy.ts';
import { makeResidualArtifact, checkResidualArtifact } from '../src/residual/artifact.ts';
import { residualBound } from '../src/residual/vec-env.ts';
import { evaluateEpisodes } from '../src/evaluate.ts';
import { initMlp } from '../src/nn/mlp.ts';
import { buildArtifact } from '../src/artifact.ts';
import { SerialVecEnv, TOY_ACT, ToyReach, toyExpert } from './toy-env.ts';

async function biasedBase(bias: number[], gain: number) {
  const demos = await collectDemos({ task: 'toy-reach', makeEnv: () => new ToyReach(), expert: toyExpert(bias, gain), episodes: 60, noise: 0.1, seed: 1 });
  // The biased expert never succeeds: train on every episode.
  const { artifact } = await trainBc({ demos, config: { obsHistory: 1, hidden: [64, 64], iterations: 500, batchSize: 128, lr: 3e-3, successOnly: false } });
  return artifact;
}

describe('residual policy', () => {
  it('its correction is bounded by scale × the action half-range, whatever the residual net outputs', async () => {
    const base = await biasedBase([0, 0], 1);
    const O = 4;
    const A = 2;
    const rng = Rng.seed(3);
    // A residual MLP with huge weights: raw outputs in the hundreds.
    const layers = initMlp([O + A, 16, A], rng, 1).map((l) => ({ ...l, w: l.w.map((v) => v * 300) }));
    const bound = residualBound(TOY_ACT, 0.1);
    expect(bound).toEqual([0.1, 0.1]);
    const art = makeResidualArtifact({
      task: 'toy-reach', observationSpec: base.specs.observation, actionSpec: base.specs.action, control: base.control, base,
      norm: { mean: new Float64Array(O + A), var: new Float64Array(O + A).fill(1), count: 1, clip: 5, eps: 1e-8 },
      activation: 'elu', layers, logStd: [0, 0], scale: 0.1, bound, training: {},
    });
    const pol = await ResidualPolicy.create(art);
    const basePol = new BcPolicy(base);
    let maxDev = 0;
    let moved = 0;
    for (let k = 0; k < 300; k++) {
      const obs = Float32Array.from({ length: O }, () => rng.uniform(-1, 1));
      const ab = basePol.act(obs);
      basePol.reset();
      const a = pol.correct(obs, ab);
      for (let j = 0; j < A; j++) {
        const dev = Math.abs(a[j]! - Math.max(-1, Math.min(1, ab[j]!)));
        maxDev = Math.max(maxDev, dev);
        if (dev > 0.09) moved++;
        expect(a[j]).toBeGreaterThanOrEqual(-1);
        expect(a[j]).toBeLessThanOrEqual(1);
      }
    }
    expect(maxDev).toBeLessThanOrEqual(0.1 + 1e-6);
    expect(moved).toBeGreaterThan(100); // the residual is saturated, not inactive
    // act() = base.act then correct(), and a NaN residual leaves the base action untouched.
    const obs = Float32Array.from([0.1, 0.2, 0.5, -0.5]);
    pol.reset();
    basePol.reset();
    expect(Array.from(pol.act(obs))).toEqual(Array.from(pol.correct(obs, basePol.act(obs))));
    // The embedded base is validated too.
    const broken = JSON.parse(JSON.stringify(art));
    broken.model.base.tensors['mlp.0.w'].data = broken.model.base.tensors['mlp.0.b'].data;
    const { integrity: _i, format: _f, schemaVersion: _v, ...body } = broken;
    const rebuilt = buildArtifact({ ...body, specs: { observation: body.specs.observation, action: body.specs.action, privileged: null } });
    expect(() => checkResidualArtifact(rebuilt)).toThrow(/model\.base/);
  });

  it('PPO trains a residual that fixes a biased base (toy task), and the artifact deploys as one policy', async () => {
    // Gain 0.5 with bias 0.3: the base settles 0.06 from the goal (success needs < 0.05); a residual of up to
    // ±0.5 can cancel the bias.
    const base = await biasedBase([0.3, 0.3], 0.5);
    const makeEnv = () => new ToyReach();
    const evalOpts = { seeds: [100, 101], episodes: 30 };
    const baseRes = await evaluateEpisodes(makeEnv, new BcPolicy(base), evalOpts);
    expect(baseRes.success).toBeLessThan(0.3);
    const { artifact } = await trainResidual({
      task: 'toy-reach', base, seed: 2, vecEnv: new SerialVecEnv(16), makeEvalEnv: makeEnv,
      // The recipe's critic warm-up sized to this run (5 of its 40 updates); the LRs are this toy's own.
      config: { scale: 0.5, totalSteps: 16 * 32 * 40, criticWarmupSteps: 16 * 32 * 5, ppo: { criticLearningRate: 0, klStop: 0, numEnvs: 16, stepsPerEnv: 32, actorHidden: [64, 64], criticHidden: [64, 64], learningRate: 1e-3, initStd: 0.5, gamma: 0.95 } },
    });
    const res = await evaluateEpisodes(makeEnv, await ResidualPolicy.create(artifact), evalOpts);
    expect(res.success).toBeGreaterThan(baseRes.success + 0.4);
  });
});

describe('residual adaptation across tasks', () => {
  it('refines a go1-flat walker on go1-rough (same observation/action layout), and refuses a base of another layout', async () => {
    const base = new URL('../../../hardware/policies/go1-flat/policy.json', import.meta.url).pathname;
    const { artifact } = await trainResidual({
      task: 'go1-rough', base, seed: 1,
      config: { totalSteps: 32, ppo: { numEnvs: 2, workers: 1, stepsPerEnv: 16, numMinibatches: 1, numEpochs: 1 } },
    });
    expect(artifact.task).toBe('go1-rough');
    const pol = await ResidualPolicy.create(artifact, { rng: Rng.seed(0) });
    expect(pol.base.meta.task).toBe('go1-flat');
    const a = pol.act(new Float32Array(45));
    expect(a.length).toBe(12);
    expect(Array.from(a).every(Number.isFinite)).toBe(true);
    // cartpole's layout is not the Go1's: the sizes differ, and the error says so.
    await expect(trainResidual({ task: 'cartpole', base, config: { totalSteps: 8, ppo: { numEnvs: 1, workers: 1, stepsPerEnv: 8 } } })).rejects.toThrow(/base is 45→12, task "cartpole" is/);
  });
});
