import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@s2r/core';
import { trainBc } from '../src/bc/train.ts';
import { BcPolicy, loadBcPolicy } from '../src/bc/policy.ts';
import { saveArtifact } from '../src/artifact.ts';
import { datasetFrom } from './diffusion-helpers.ts';

describe('behaviour cloning MLP', () => {
  it('fits a smooth obs→action map, and the artifact round trip is bitwise', async () => {
    const rng = Rng.seed(1);
    const eps = [];
    for (let e = 0; e < 30; e++) {
      const obs: number[][] = [];
      const act: number[][] = [];
      for (let k = 0; k < 20; k++) {
        const o = [rng.uniform(-1, 1), rng.uniform(-1, 1)];
        obs.push(o);
        act.push([0.5 * o[0]! - 0.3 * o[1]!, Math.sin(2 * o[0]!)]);
      }
      eps.push({ obs, act });
    }
    const { artifact } = await trainBc({ demos: datasetFrom(eps, 2, 2), config: { obsHistory: 1, hidden: [64, 64], iterations: 600, batchSize: 128, lr: 3e-3 } });
    // No last_action term in this observation: 'auto' keeps the absolute frame.
    expect((artifact.model as { actionFrame?: unknown }).actionFrame).toBeUndefined();
    const pol = new BcPolicy(artifact);
    let err = 0;
    for (let k = 0; k < 100; k++) {
      const o = [rng.uniform(-0.9, 0.9), rng.uniform(-0.9, 0.9)];
      pol.reset();
      const a = pol.act(Float32Array.from(o));
      err += Math.abs(a[0]! - (0.5 * o[0]! - 0.3 * o[1]!)) + Math.abs(a[1]! - Math.sin(2 * o[0]!));
    }
    expect(err / 200).toBeLessThan(0.06);
    const p = join(mkdtempSync(join(tmpdir(), 's2r-bc-')), 'bc.json');
    await saveArtifact(p, artifact);
    const q = await loadBcPolicy(p);
    const o = [0.3, -0.2];
    pol.reset();
    expect(Buffer.from(q.act(Float32Array.from(o)).buffer).equals(Buffer.from(pol.act(Float32Array.from(o)).buffer))).toBe(true);
    expect(() => q.act([1, 2, 3])).toThrow(/3 values, expected 2/);
  });
});
