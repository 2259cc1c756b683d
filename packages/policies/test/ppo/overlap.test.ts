import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainPpo, type MakeVecEnv } from '../../src/ppo/train.ts';
import { loadPolicy } from '../../src/policy.ts';
import { evaluatePolicy } from '../../src/evaluate.ts';
import { ToyVecEnv, TOY_DEPLOY } from '../helpers/toy-env.ts';

const readJsonl = (p: string) => readFileSync(p, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
/** The learning outcome of a run, without its timings. */
function outcome(runDir: string) {
  const metrics = readJsonl(join(runDir, 'metrics.jsonl')).map((m) => {
    const u = m.update as Record<string, number>;
    return { it: m.iteration, steps: m.envSteps, ret: m.meanReturn, len: m.meanLength, lag: m.policyLag, kl: u.kl, surr: u.surrogate, v: u.valueLoss, lr: u.learningRate, std: u.actionStd };
  });
  // The learned part of the artifact (its training.config names the worker count, which is meant to differ).
  const art = JSON.parse(readFileSync(join(runDir, 'policy.json'), 'utf8')) as Record<string, unknown>;
  return { metrics, artifact: JSON.stringify([art.normalizer, art.model, art.tensors]) };
}

describe('PPO with collection and update overlapped (maxPolicyLag 1)', () => {
  it('still learns the toy task, and reports a policy lag of 1 after the first update', async () => {
    const make: MakeVecEnv = async (_t, o) => new ToyVecEnv(o.numEnvs, o.seed);
    const out = join(mkdtempSync(join(tmpdir(), 's2r-overlap-')), 'run');
    const r = await trainPpo({
      task: 'toy', deployFacts: TOY_DEPLOY, outDir: out, makeVecEnv: make, progress: 'none', log: () => {},
      overrides: [{ numEnvs: 16, workers: 0, actorHidden: [32, 32], criticHidden: [32, 32], stepsPerEnv: 25, maxPolicyLag: 1, totalSteps: 30_000 }],
    });
    expect(r.stoppedBy).toBe('steps');
    const lines = readJsonl(join(out, 'metrics.jsonl'));
    expect(lines[0]!.policyLag).toBe(0);
    expect(lines.slice(1).every((l) => l.policyLag === 1)).toBe(true);
    expect(lines.every((l) => typeof l.iterationMs === 'number' && (l.iterationMs as number) > 0)).toBe(true);
    const ev = await evaluatePolicy(await loadPolicy(r.artifactPath), { episodes: 16, seeds: [5, 6], makeVecEnv: make });
    expect(ev.return.mean).toBeGreaterThan(40); // same bar as the sequential runner's test
  });

  // Real Rapier cart-pole on real worker threads: the update steps interleave with the workers' physics, yet the
  // outcome is a function of the seed only.
  it('same seed → same metrics and same policy with 1 or 2 env workers, overlapped, and with the update on 1 or 2 threads', async () => {
    const base = { seed: 7, numEnvs: 8, stepsPerEnv: 16, numMinibatches: 2, numEpochs: 3, totalSteps: 8 * 16 * 6, checkpointEvery: 100 };
    const run = async (workers: number, maxPolicyLag: number, extra: Record<string, unknown> = {}) => {
      const out = join(mkdtempSync(join(tmpdir(), 's2r-overlap-')), 'run');
      await trainPpo({ task: 'cartpole', outDir: out, progress: 'none', log: () => {}, overrides: [{ ...base, workers, maxPolicyLag, ...extra }] });
      return outcome(out);
    };
    const w1 = await run(1, 1);
    const w2 = await run(2, 1);
    expect(w1.metrics).toHaveLength(5); // 6 rollouts; the last one's update is not run at the budget
    expect(w2.metrics).toEqual(w1.metrics);
    expect(w2.artifact === w1.artifact).toBe(true);
    const seq = await run(2, 0);
    expect(seq.metrics).toHaveLength(6);
    expect(seq.metrics.every((m) => m.lag === 0)).toBe(true);
    expect(seq.artifact === w1.artifact).toBe(false); // the lag does change the run: the comparison above is not vacuous
    // Both levers at once: 1 env worker + the update on 1 thread vs 2 env workers + the update on 2 threads.
    const a = await run(1, 1, { gradShards: 4, updateThreads: 1 });
    const b = await run(2, 1, { gradShards: 4, updateThreads: 2 });
    expect(b.metrics).toEqual(a.metrics);
    expect(b.artifact === a.artifact).toBe(true);
  }, 240_000);
});
