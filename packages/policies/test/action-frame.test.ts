import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@s2r/core';
import type { SpaceSpec } from '@s2r/sim/env/types.ts';
import { columnQuantiles, relativeTargets } from '../src/demos/windows.ts';
import { relativeFrame } from '../src/demos/action-frame.ts';
import { trainBc } from '../src/bc/train.ts';
import { BcPolicy, loadBcPolicy } from '../src/bc/policy.ts';
import { trainDiffusion } from '../src/diffusion/train.ts';
import { DiffusionPolicy } from '../src/diffusion/policy.ts';
import { buildArtifact, saveArtifact } from '../src/artifact.ts';
import { datasetFrom } from './diffusion-helpers.ts';
import type { DemoDataset } from '../src/demos/dataset.ts';

/** obs = [target x y, last_action x y]; the expert servos: command = previous command + clip(target − it, ±0.1). */
const SPEC: SpaceSpec = { terms: [{ name: 'target', size: 2, unit: '1' }, { name: 'last_action', size: 2, unit: '1' }], size: 4 };
const move = (o: ArrayLike<number>, j: number) => Math.max(-0.1, Math.min(0.1, o[j]! - o[2 + j]!));

/** DART-style: labels are the clean expert command, the executed (and observed next) command carries noise. */
function servoDemos(episodes: number, len: number, noise: number, seed: number): { d: DemoDataset; moves: number[][][] } {
  const rng = Rng.seed(seed);
  const eps: { obs: number[][]; act: number[][] }[] = [];
  const exec: number[][] = [];
  const moves: number[][][] = [];
  for (let e = 0; e < episodes; e++) {
    const target = [rng.uniform(-2, 2), rng.uniform(-2, 2)];
    let la = [rng.uniform(-2, 2), rng.uniform(-2, 2)];
    const obs: number[][] = [];
    const act: number[][] = [];
    const mv: number[][] = [];
    for (let t = 0; t < len; t++) {
      const o = [target[0]!, target[1]!, la[0]!, la[1]!];
      const m = [move(o, 0), move(o, 1)];
      obs.push(o);
      act.push([la[0]! + m[0]!, la[1]! + m[1]!]);
      mv.push(m);
      la = [la[0]! + m[0]! + rng.normal(0, noise), la[1]! + m[1]! + rng.normal(0, noise)];
      exec.push(la);
    }
    eps.push({ obs, act });
    moves.push(mv);
  }
  const d = datasetFrom(eps, 4, 2);
  d.meta.observationSpec = SPEC;
  d.meta.actionSpec = { ...d.meta.actionSpec, low: -3, high: 3 };
  d.action = Float32Array.from(exec.flat());
  return { d, moves };
}

describe('relative action frame (moves from the previous command)', () => {
  it('chunk targets sum the expert moves, so execution noise never reaches the labels; they hold past the end', () => {
    const { d, moves } = servoDemos(3, 7, 0.2, 1);
    const H = 4;
    const y = relativeTargets(d, d.episodes, H, d.expertAction, 2);
    expect(y.length).toBe(3 * 7 * H * 2);
    let w = 0;
    for (const mv of moves) {
      for (let t = 0; t < mv.length; t++, w++) {
        for (let k = 0; k < H; k++) {
          for (let j = 0; j < 2; j++) {
            let s = 0;
            for (let i = t; i <= Math.min(mv.length - 1, t + k); i++) s += mv[i]![j]!;
            expect(y[(w * H + k) * 2 + j]!).toBeCloseTo(s, 5);
          }
        }
      }
    }
    // The direct difference label_{t+k} − last_action_t would carry the noise (σ 0.2 ≫ the moves' 1e-5 error).
    const direct = d.expertAction[1 * 2]! - d.obs[0 * 4 + 2]!;
    expect(Math.abs(direct - (moves[0]![0]![0]! + moves[0]![1]![0]!))).toBeGreaterThan(1e-3);
  });

  it('robust target ranges: quantiles per column, min / max at q = 0', () => {
    // Column 0: 0..99 plus one outlier of 1000; column 1: constant 5.
    const x = new Float32Array(202);
    for (let r = 0; r < 101; r++) {
      x[r * 2] = r < 100 ? r : 1000;
      x[r * 2 + 1] = 5;
    }
    expect(columnQuantiles(x, 2, 0)).toEqual({ min: [0, 5], max: [1000, 5] });
    const q = columnQuantiles(x, 2, 0.02);
    expect(q.min).toEqual([2, 5]);
    expect(q.max).toEqual([98, 5]); // the outlier no longer sets the scale
  });

  it('needs a last_action term of the action size, and says which terms there are', () => {
    expect(() => relativeFrame({ terms: [{ name: 'state', size: 4, unit: '1' }], size: 4 }, 2)).toThrow(/no "last_action" term \(terms: state\)/);
    expect(() => relativeFrame(SPEC, 3)).toThrow(/"last_action" has 2 values, the action has 3/);
    expect(relativeFrame(SPEC, 2)).toEqual({ type: 'relative', obsTerm: 'last_action', obsOffset: 2 });
  });

  it('BC in the relative frame (chosen automatically) learns the servo and adds the previous command back; the artifact checks the frame', async () => {
    const { d } = servoDemos(60, 25, 0.05, 2);
    const { artifact } = await trainBc({ demos: d, config: { obsHistory: 1, hidden: [64, 64], iterations: 800, batchSize: 128, lr: 3e-3, successOnly: false } });
    // actionFrame 'auto' (the default) chose the relative frame: the observation has a last_action term.
    expect((artifact.model as { actionFrame?: unknown }).actionFrame).toEqual({ type: 'relative', obsTerm: 'last_action', obsOffset: 2 });
    const pol = new BcPolicy(artifact);
    const rng = Rng.seed(9);
    let err = 0;
    for (let k = 0; k < 100; k++) {
      const o = [rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5)];
      pol.reset();
      const a = pol.act(o);
      err += Math.abs(a[0]! - (o[2]! + move(o, 0))) + Math.abs(a[1]! - (o[3]! + move(o, 1)));
    }
    // Moves are ≤ 0.1 while commands span ±2: only a policy that adds the previous command back gets near.
    expect(err / 200).toBeLessThan(0.02);
    const p = join(mkdtempSync(join(tmpdir(), 's2r-frame-')), 'bc.json');
    await saveArtifact(p, artifact);
    const q = await loadBcPolicy(p);
    pol.reset();
    expect(Array.from(q.act([0.5, 0.5, -1, 1]))).toEqual(Array.from(pol.act([0.5, 0.5, -1, 1])));
    // Previous command + move is clipped to the action bounds (±3), as the env clips what it executes.
    pol.reset();
    const edge = pol.act([2.99, 5, 2.99, 2.99]);
    expect(edge[1]).toBe(3);
    // A frame pointing at the wrong slice of the observation is refused, naming the field (re-sealed, so it is
    // the frame check that fires and not the integrity hash).
    const { integrity: _i, format: _f, schemaVersion: _v, ...body } = structuredClone(artifact);
    (body.model as { actionFrame: { obsOffset: number } }).actionFrame.obsOffset = 0;
    const bad = buildArtifact({ ...body, specs: { observation: body.specs.observation, action: body.specs.action, privileged: null } });
    expect(() => new BcPolicy(bad)).toThrow(/actionFrame\.obsOffset.*starts at 2/);
  });

  it('diffusion in the relative frame: one robust range per chunk step and joint, chunks start from the previous command', async () => {
    const { d } = servoDemos(20, 20, 0.05, 3);
    const H = 4;
    const { artifact } = await trainDiffusion({ demos: d, config: { horizon: H, execute: 2, obsHistory: 1, iterations: 20, batchSize: 32, successOnly: false, actionFrame: 'relative', width: 32, blocks: 1, prediction: 'sample' } });
    expect((artifact.model as { diffusion: { prediction: string } }).diffusion.prediction).toBe('sample');
    const n = (artifact.model as { actionNormalizer: { min: number[]; max: number[] } }).actionNormalizer;
    expect(n.min.length).toBe(H * 2);
    // Ranges widen with the chunk step: a move k+1 steps ahead can be up to (k+1)·0.1.
    for (let k = 0; k < H; k++) for (let j = 0; j < 2; j++) {
      expect(n.max[k * 2 + j]!).toBeLessThanOrEqual(0.1 * (k + 1) + 1e-4);
      expect(n.min[k * 2 + j]!).toBeGreaterThanOrEqual(-0.1 * (k + 1) - 1e-4);
    }
    expect(n.max[(H - 1) * 2]! - n.min[(H - 1) * 2]!).toBeGreaterThan(n.max[0]! - n.min[0]!);
    const pol = new DiffusionPolicy(artifact, { rng: Rng.seed(1) });
    const o = [0, 0, 1.7, -1.6];
    const chunk = pol.actChunk([o]);
    // Even a barely trained denoiser (x̂₀ clipped to ±clip) lands inside each step's range around the command,
    // widened by the clip: normalized ±c is min − (c−1)/2·span … max + (c−1)/2·span.
    const c = (artifact.model as { diffusion: { clip: number } }).diffusion.clip;
    expect(c).toBe(3);
    for (let k = 0; k < H; k++) for (let j = 0; j < 2; j++) {
      const m = chunk[k * 2 + j]! - o[2 + j]!;
      const span = n.max[k * 2 + j]! - n.min[k * 2 + j]!;
      expect(m).toBeGreaterThanOrEqual(n.min[k * 2 + j]! - ((c - 1) / 2) * span - 1e-5);
      expect(m).toBeLessThanOrEqual(n.max[k * 2 + j]! + ((c - 1) / 2) * span + 1e-5);
    }
  });
});
