/**
 * Issue 15's determinism defect: trainResidual with 7 or more envs gave different artifacts for the same seed
 * within one process. Cause: PPO's rolloutInference 'auto' timed the plain-JS and tfjs inference paths at start
 * and kept the faster; the two paths round differently, so which one won (load, JIT warmth — the second run in a
 * process is warm) changed the sampled actions. The default is now the plain-JS path; 'auto' is opt-in.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trainResidual } from '../src/residual/train.ts';
import { basePpoConfig } from '../src/ppo/config.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = join(ROOT, 'packages/cli/bin/s2r.mjs');
const s2r = (cwd: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: '1' } });
  if (r.status !== 0) throw new Error(`s2r ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
};

describe('residual determinism', () => {
  it('the default PPO config never picks its rollout inference path by timing', () => {
    expect(basePpoConfig().rolloutInference).toBe('js');
  });

  it('8 envs on 2 workers, twice in one process, over a diffusion base on z1-push: identical artifacts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 's2r-resdet-'));
    try {
      // A tiny diffusion base (the defect needs a base whose episodes end, so that auto-resets happen).
      s2r(dir, 'collect', 'z1-push', '--expert', 'scripted', '--episodes', '12', '--noise', '0.03', '--out', 'demos');
      s2r(dir, 'train', 'z1-push', '--algo', 'diffusion', '--demos', 'demos', '--set', 'iterations=50', '--set', 'width=64', '--set', 'blocks=1', '--out', 'diff', '--progress', 'none');
      const N = 8;
      const run = async () => {
        const { artifact } = await trainResidual({
          task: 'z1-push', base: join(dir, 'diff/policy.json'), seed: 3,
          // Warm-up on 5 of the 20 updates: the actor must learn too, or its half of the run goes unchecked.
          config: { totalSteps: N * 16 * 20, criticWarmupSteps: N * 16 * 5, ppo: { numEnvs: N, workers: 2, stepsPerEnv: 16, numMinibatches: 2, numEpochs: 1 } },
        });
        return createHash('sha256').update(JSON.stringify(artifact.model)).update(JSON.stringify(artifact.tensors)).digest('hex');
      };
      const a = await run();
      const b = await run();
      expect(b).toBe(a);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
