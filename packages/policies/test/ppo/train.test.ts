import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainPpo, type MakeVecEnv } from '../../src/ppo/train.ts';
import { loadPolicy } from '../../src/policy.ts';
import { evaluatePolicy } from '../../src/evaluate.ts';
import { resolvePpoConfig } from '../../src/ppo/config.ts';
import { parseSets } from '@s2r/core';
import { TOY_DEPLOY, ToyVecEnv } from '../helpers/toy-env.ts';

const make: MakeVecEnv = async (_t, o) => new ToyVecEnv(o.numEnvs, o.seed);
const small = { numEnvs: 16, workers: 0, actorHidden: [32, 32], criticHidden: [32, 32], stepsPerEnv: 25, checkpointEvery: 10, keepCheckpoints: 2 };

describe('PPO runner on a toy env', () => {
  it('learns, writes the run folder, and exports a loadable policy', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 's2r-train-')), 'run');
    const r = await trainPpo({ task: 'toy', deployFacts: TOY_DEPLOY, outDir: out, makeVecEnv: make, progress: 'none', log: () => {}, command: 'npx s2r train toy', overrides: [{ ...small, totalSteps: 30_000 }] });
    expect(r.stoppedBy).toBe('steps');
    expect(r.envSteps).toBe(30_000);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(cfg.ppo.numEnvs).toBe(16);
    expect(cfg.ppo.gamma).toBe(0.99); // defaults are resolved into the file
    expect(cfg.env).toEqual({ toy: true });
    expect(readFileSync(join(out, 'command.txt'), 'utf8').trim()).toBe('npx s2r train toy');
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(r.iterations);
    expect(lines[lines.length - 1].terms.track).toBeTypeOf('number');
    expect(readdirSync(join(out, 'checkpoints')).filter((f) => f.endsWith('.json')).length).toBeLessThanOrEqual(2);
    // an untrained policy scores about −5 to 20 here; a trained one holds the target (max 50)
    const first = lines[0].meanReturn;
    const last = lines[lines.length - 1].meanReturn;
    expect(last).toBeGreaterThan(first + 15);
    const pol = await loadPolicy(join(out, 'policy.json'));
    const ev = await evaluatePolicy(pol, { episodes: 16, seeds: [5, 6], makeVecEnv: make });
    expect(ev.return.mean).toBeGreaterThan(40);
    expect(ev.return.ci95[0]).toBeLessThanOrEqual(ev.return.mean);
    expect(ev.returnIqm).not.toBeNull();
  });

  it('an aborted run saves a checkpoint, and --resume continues from it', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 's2r-train-')), 'run');
    const ac = new AbortController();
    let iters = 0;
    const r1 = await trainPpo({
      task: 'toy', deployFacts: TOY_DEPLOY, outDir: out, makeVecEnv: make, progress: 'none', log: () => {}, signal: ac.signal,
      overrides: [{ ...small, totalSteps: 1_000_000 }],
      onIteration: () => {
        if (++iters === 3) ac.abort();
      },
    });
    expect(r1.stoppedBy).toBe('signal');
    expect(r1.iterations).toBe(3);
    expect(existsSync(r1.checkpointPath)).toBe(true);
    expect(existsSync(join(out, 'policy.json'))).toBe(true);
    const r2 = await trainPpo({ task: 'toy', deployFacts: TOY_DEPLOY, resume: out, makeVecEnv: make, progress: 'none', log: () => {}, overrides: [{ totalSteps: 5 * 400 }] });
    expect(r2.iterations).toBe(5); // continued from 3, not restarted
    expect(r2.envSteps).toBe(2000);
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).iteration);
    expect(lines).toEqual([1, 2, 3, 4, 5]);
    await expect(trainPpo({ task: 'other', deployFacts: TOY_DEPLOY, resume: out, makeVecEnv: make, progress: 'none', log: () => {} })).rejects.toThrow(/trained task "toy"/);
  });
});

describe('PPO config', () => {
  it('go1-flat with no flags is the joystick recipe in one stage, with the KL target and LR floor that learn', () => {
    const c = resolvePpoConfig('go1-flat');
    expect(c.envOverrides).toEqual({ commands: { linVelX: [-0.5, 1.0], linVelY: [-0.4, 0.4], angVelYaw: [-0.8, 0.8] } });
    expect([c.desiredKl, c.lrMin]).toEqual([0.02, 1e-4]);
    // a --set on one command range keeps the others
    const d = resolvePpoConfig('go1-flat', parseSets(['envOverrides.commands.linVelX=[0,1]']));
    expect(d.envOverrides).toEqual({ commands: { linVelX: [0, 1], linVelY: [-0.4, 0.4], angVelYaw: [-0.8, 0.8] } });
  });

  it('resolves task defaults, then overrides; unknown keys and bad values are named', () => {
    const c = resolvePpoConfig('cartpole', parseSets(['learningRate=3e-4', 'actorHidden=[8,8]', 'envOverrides.episodeLengthS=5']));
    expect(c.learningRate).toBe(3e-4);
    expect(c.actorHidden).toEqual([8, 8]);
    expect(c.envOverrides).toEqual({ episodeLengthS: 5 });
    expect(c.numEnvs).toBe(16); // cartpole default
    expect(() => resolvePpoConfig('cartpole', parseSets(['learningRat=1']))).toThrow(/ppo\.learningRat: unknown config key/);
    expect(() => resolvePpoConfig('cartpole', parseSets(['gamma=high']))).toThrow(/ppo\.gamma: expected number, got string/);
    expect(() => resolvePpoConfig('cartpole', { numMinibatches: 7 })).toThrow(/numMinibatches: must divide/);
    expect(() => resolvePpoConfig('cartpole', { gradShards: 3 })).toThrow(/gradShards: must divide the minibatch size .* = 128/);
    expect(() => resolvePpoConfig('cartpole', { maxPolicyLag: 2 })).toThrow(/maxPolicyLag: must be 0 .* or 1/);
    expect(() => parseSets(['novalue'])).toThrow(/expected key=value/);
  });
});
