import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainPpo } from '../../src/ppo/train.ts';
import { loadPolicy } from '../../src/policy.ts';
import { evaluatePolicy } from '../../src/evaluate.ts';

// Real Rapier cart-pole from @s2r/sim, the task's default PPO config (tuned to learn in ~60k steps).
describe('PPO on cartpole (real Rapier)', () => {
  it('reaches a mean return of at least 95% of the maximum (500) on a small budget', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 's2r-cartpole-')), 'run');
    const r = await trainPpo({ task: 'cartpole', outDir: out, progress: 'none', log: () => {} });
    expect(r.stoppedBy).toBe('steps');
    const policy = await loadPolicy(r.artifactPath);
    expect(policy.meta.task).toBe('cartpole');
    const ev = await evaluatePolicy(policy, { episodes: 10, seeds: [101] });
    expect(ev.return.mean).toBeGreaterThanOrEqual(0.95 * 500);
  }, 240_000);
});
