/**
 * The whole demonstration pipeline on the real z1-push task (Rapier), at toy sizes, through the user-facing
 * commands: `s2r collect` → `s2r train --algo bc|diffusion` → `s2r train --algo residual --base …` → evaluation.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command as collect } from '../src/cli/collect.ts';
import { command as train } from '../src/cli/train.ts';
import { loadDemos } from '../src/demos/store.ts';
import { loadPolicy, registerPolicyKind } from '../src/policy.ts';
import { fromArtifact as diffusionFromArtifact } from '../src/diffusion/policy.ts';
import { fromArtifact as bcFromArtifact } from '../src/bc/policy.ts';
import { fromArtifact as residualFromArtifact } from '../src/residual/policy.ts';
import { evaluateEpisodes } from '../src/evaluate.ts';
import { load } from '@s2r/sim/tasks/registry.ts';

describe('collect → train → eval on z1-push (tiny)', () => {
  it('runs end to end through the CLIs and produces loadable, runnable artifacts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 's2r-pipe-'));
    const demos = join(dir, 'demos');
    const quiet = { log: console.log };
    console.log = () => {};
    try {
      expect(await collect.run(['z1-push', '--expert', 'scripted', '--episodes', '3', '--noise', '0.02', '--out', demos, '--seed', '4', '--set', 'episodeLengthS=2', '--quiet'])).toBe(0);
      const d = loadDemos(demos);
      expect(d.episodes.length).toBe(3);
      expect(d.meta.task).toBe('z1-push');
      expect(d.meta.noise).toBe(0.02);
      expect(d.meta.control?.defaultPose?.length).toBe(6);
      expect(d.stats.obs.mean.length).toBe(d.meta.obsDim);
      for (const e of d.episodes) expect(e.length).toBeGreaterThan(0);
      // The executed action differs from the clean expert label by the noise only.
      let maxDiff = 0;
      for (let i = 0; i < d.action.length; i++) maxDiff = Math.max(maxDiff, Math.abs(d.action[i]! - d.expertAction[i]!));
      expect(maxDiff).toBeGreaterThan(0);
      expect(maxDiff).toBeLessThan(0.2);
      // Bad input is named.
      await expect(collect.run(['z1-push', '--expert', 'scripted', '--episodes', '0', '--out', demos])).rejects.toThrow(/--episodes/);
      await expect(collect.run(['cartpole', '--expert', 'scripted', '--episodes', '1', '--out', join(dir, 'x'), '--quiet'])).rejects.toThrow(/no scripted expert for task "cartpole"/);

      const dp = join(dir, 'dp');
      const common = ['--demos', demos, '--progress', 'none', '--seed', '1', '--set', 'iterations=30', '--set', 'batchSize=32', '--set', 'successOnly=false'];
      expect(await train.run(['z1-push', '--algo', 'diffusion', '--out', dp, ...common, '--set', 'width=32'])).toBe(0);
      const bc = join(dir, 'bc');
      expect(await train.run(['z1-push', '--algo', 'bc', '--out', bc, ...common, '--set', 'hidden=[32,32]'])).toBe(0);
      for (const run of [dp, bc]) {
        for (const f of ['policy.json', 'config.json', 'command.txt', 'metrics.jsonl']) expect(existsSync(join(run, f))).toBe(true);
        expect(readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').length).toBeGreaterThan(0);
      }
      await expect(train.run(['z1-push', '--algo', 'diffusion', '--out', join(dir, 'bad'), ...common, '--set', 'widht=32'])).rejects.toThrow(/no key "widht"/);

      const res = join(dir, 'res');
      expect(await train.run(['z1-push', '--algo', 'residual', '--base', join(dp, 'policy.json'), '--out', res, '--progress', 'none', '--envs', '4', '--workers', '0', '--steps', '128',
        '--set', 'ppo.stepsPerEnv=16', '--set', 'ppo.actorHidden=[32,32]', '--set', 'ppo.criticHidden=[32,32]', '--set', 'ppo.numMinibatches=2'])).toBe(0);

      // The house loader builds every kind (the lead wires src/<kind>-policy.ts; here the kinds are registered).
      registerPolicyKind('diffusion', diffusionFromArtifact);
      registerPolicyKind('bc-mlp', bcFromArtifact);
      registerPolicyKind('residual', residualFromArtifact);
      const makeEnv = () => load('z1-push', { episodeLengthS: 1 } as never, { print: false });
      for (const [name, path] of [['diffusion', dp], ['bc-mlp', bc], ['residual', res]] as const) {
        const p = await loadPolicy(join(path, 'policy.json'));
        expect(p.kind).toBe(name);
        const r = await evaluateEpisodes(makeEnv, p, { seeds: [1], episodes: 1 });
        expect(r.episodes).toBe(1);
        expect(Number.isFinite(r.meanReturn)).toBe(true);
        expect(r.ci95[0]).toBeLessThanOrEqual(r.ci95[1]);
      }
    } finally {
      console.log = quiet.log;
    }
  });
});
