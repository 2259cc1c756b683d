/**
 * Issue 15, second attempt: the residual trainer picks its checkpoint on validation seeds that are never the
 * bench's test seeds, and the residual recipe's adaptive LR cannot creep away from its start.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Rng } from '@s2r/core';
import { collectDemos } from '../src/demos/collect.ts';
import { trainBc } from '../src/bc/train.ts';
import { evaluateEpisodes } from '../src/evaluate.ts';
import { readArtifact } from '../src/artifact.ts';
import { initBackend } from '../src/backend.ts';
import { PPO } from '../src/ppo/ppo.ts';
import { basePpoConfig, type PpoConfig } from '../src/ppo/config.ts';
import { mergeConfig } from '@s2r/sim/env/config.ts';
import { RESIDUAL_PPO_DEFAULTS, trainResidual } from '../src/residual/train.ts';
import { ResidualPolicy } from '../src/residual/policy.ts';
import { BENCH_TEST_SEEDS, DEFAULT_VALIDATION } from '../src/residual/select.ts';
import { SerialVecEnv, ToyReach, toyExpert } from './toy-env.ts';
import { syntheticRollout } from './helpers/synthetic-rollout.ts';

async function biasedBase() {
  const demos = await collectDemos({ task: 'toy-reach', makeEnv: () => new ToyReach(), expert: toyExpert([0.3, 0.3], 0.5), episodes: 60, noise: 0.1, seed: 1 });
  return (await trainBc({ demos, config: { obsHistory: 1, hidden: [64, 64], iterations: 500, batchSize: 128, lr: 3e-3, successOnly: false } })).artifact;
}

describe('residual checkpoint selection', () => {
  it('refuses validation seeds that are held-out test seeds (bench:policies 1000–1004 by default)', async () => {
    expect(DEFAULT_VALIDATION.seeds.some((s) => BENCH_TEST_SEEDS.includes(s))).toBe(false);
    const base = await biasedBase();
    const run = (validation: typeof DEFAULT_VALIDATION, heldOutSeeds?: number[]) =>
      trainResidual({ task: 'toy-reach', base, vecEnv: new SerialVecEnv(2), makeEvalEnv: () => new ToyReach(), heldOutSeeds, config: { totalSteps: 64, validation, ppo: { numEnvs: 2, stepsPerEnv: 16 } } });
    await expect(run({ ...DEFAULT_VALIDATION, seeds: [9000, 1003] })).rejects.toThrow(/validation: seeds 1003 are held-out test seeds \(1000, 1001, 1002, 1003, 1004\)/);
    await expect(run(DEFAULT_VALIDATION, [9002])).rejects.toThrow(/seeds 9002 are held-out test seeds/);
    await expect(run({ ...DEFAULT_VALIDATION, episodes: 0 })).rejects.toThrow(/validation: episodes must be a positive integer, got 0/);
  });

  it('evaluates every everySteps from the end of the warm-up and writes the best snapshot, with its update and validation success', async () => {
    const base = await biasedBase();
    const dir = mkdtempSync(join(tmpdir(), 's2r-ressel-'));
    try {
      const U = 16 * 32;
      const validation = { seeds: [9000, 9001], episodes: 10, everySteps: 5 * U };
      const seen: number[] = [];
      const out = join(dir, 'residual.json');
      const { artifact } = await trainResidual({
        task: 'toy-reach', base, seed: 2, vecEnv: new SerialVecEnv(16), makeEvalEnv: () => new ToyReach(), out,
        config: { scale: 0.5, totalSteps: 22 * U, criticWarmupSteps: 5 * U, validation, ppo: { criticLearningRate: 0, klStop: 0, numEnvs: 16, stepsPerEnv: 32, actorHidden: [64, 64], criticHidden: [64, 64], learningRate: 1e-3, initStd: 0.5, gamma: 0.95 } },
        onValidation: (v) => seen.push(v.update),
      });
      const tr = artifact.training as { validation: { points: [number, number, number][] }; selected: { update: number; envSteps: number; validationSuccess: number } };
      // After the warm-up (update 5, the base itself), at 10, 15, 20, and at the last update (22).
      expect(tr.validation.points.map((p) => p[0])).toEqual([5, 10, 15, 20, 22]);
      expect(seen).toEqual([5, 10, 15, 20, 22]);
      const succ = tr.validation.points.map((p) => p[2]);
      const bestAt = succ.indexOf(Math.max(...succ)); // the first best: a tie keeps the earlier checkpoint
      expect(tr.selected.update).toBe(tr.validation.points[bestAt]![0]);
      expect(tr.selected.envSteps).toBe(tr.selected.update * U);
      expect(tr.selected.validationSuccess).toBe(succ[bestAt]);
      // The residual learns here (the base fails on its bias): the chosen snapshot is not the base's.
      expect(tr.selected.update).toBeGreaterThan(5);
      expect(tr.selected.validationSuccess).toBeGreaterThan(succ[0]! + 0.3);
      // The written parameters are that snapshot's: re-evaluated on the validation seeds they score what was recorded.
      const saved = await readArtifact(out);
      expect(saved.integrity).toEqual(artifact.integrity);
      const again = await evaluateEpisodes(() => new ToyReach(), await ResidualPolicy.create(saved, { rng: Rng.seed(0) }), validation);
      expect(again.success).toBe(tr.selected.validationSuccess);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('residual recipe: adaptive LR', () => {
  it('stays within lrMax (3× its start) where the uncapped LR creeps up on small-KL updates', async () => {
    await initBackend('wasm', { quiet: true });
    const maxLr = async (over: Partial<PpoConfig>) => {
      const cfg = { ...mergeConfig<PpoConfig>(basePpoConfig(), RESIDUAL_PPO_DEFAULTS, 'residual.ppo'), numEnvs: 16, stepsPerEnv: 8, actorHidden: [16], criticHidden: [16], ...over };
      const ppo = new PPO(cfg, { obs: 8, priv: 0, act: 3 }, Rng.seed(5), { low: -1, high: 1 });
      let max = ppo.opt.lr;
      try {
        for (let u = 0; u < 10; u++) {
          syntheticRollout(ppo, Rng.seed(11).split(u));
          ppo.update();
          max = Math.max(max, ppo.opt.lr);
        }
      } finally {
        ppo.dispose();
      }
      return { max, cfg };
    };
    const capped = await maxLr({});
    expect(capped.cfg.lrMax).toBeLessThanOrEqual(3 * capped.cfg.learningRate);
    expect(capped.max).toBeLessThanOrEqual(capped.cfg.lrMax);
    const uncapped = await maxLr({ lrMax: 1e-2 });
    expect(uncapped.max).toBeGreaterThan(10 * capped.cfg.learningRate);
  }, 60_000);
});
