import { describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs-core';
import { Rng } from '@s2r/core';
import { cosineAlphaBar, ddimTimesteps, squaredCosineSchedule } from '../src/diffusion/schedule.ts';
import { asEpsFn, ddimSample, ddpmSample } from '../src/diffusion/sampler.ts';
import { FilmMlpRuntime, initParams, type FilmMlpConfig } from '../src/diffusion/film-mlp.ts';
import { trainDiffusion } from '../src/diffusion/train.ts';
import { DiffusionPolicy, loadDiffusionPolicy } from '../src/diffusion/policy.ts';
import { checkDiffusionArtifact } from '../src/diffusion/artifact.ts';
import { saveArtifact, buildArtifact } from '../src/artifact.ts';
import { loadPolicy, registerPolicyKind } from '../src/policy.ts';
import { fromArtifact } from '../src/diffusion/policy.ts';
import { datasetFrom } from './diffusion-helpers.ts';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('squared-cosine DDPM schedule', () => {
  it('ᾱ_i follows cos²((i+1)/T + s)/(1+s)·π/2) / cos²(s/(1+s)·π/2) where the β cap is not hit', () => {
    const s = squaredCosineSchedule(100);
    const f0 = Math.cos((0.008 / 1.008) * (Math.PI / 2)) ** 2;
    for (const i of [0, 1, 10, 50, 90, 98]) {
      const f = Math.cos((((i + 1) / 100 + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
      expect(s.alphasCumprod[i]).toBeCloseTo(f / f0, 10);
    }
    // Hand value: β_0 = 1 − cos²(0.018/1.008·π/2)/cos²(0.008/1.008·π/2) = 6.313e-4; the last β is capped at 0.999.
    expect(s.betas[0]).toBeCloseTo(1 - cosineAlphaBar(0.01) / cosineAlphaBar(0), 12);
    expect(s.betas[0]).toBeCloseTo(6.313e-4, 6);
    expect(s.betas[99]).toBe(0.999);
    for (let i = 1; i < 100; i++) expect(s.alphasCumprod[i]).toBeLessThan(s.alphasCumprod[i - 1]!);
  });
  it('DDIM timesteps use leading spacing', () => {
    expect(ddimTimesteps(100, 10)).toEqual([90, 80, 70, 60, 50, 40, 30, 20, 10, 0]);
    expect(ddimTimesteps(100, 100)[0]).toBe(99);
    expect(() => ddimTimesteps(100, 0)).toThrow(/inference steps/);
  });
});

describe('samplers', () => {
  // Data x₀ ~ N(μ, σ²) per dimension: the exact ε-predictor is known in closed form,
  // ε*(x_t) = √(1−ᾱ)(x_t − √ᾱ μ) / (ᾱσ² + 1 − ᾱ).
  const mu = [0.3, -0.4];
  const sigma = 0.2;
  const sched = squaredCosineSchedule(100);
  const eps = (x: Float32Array, t: number, out: Float32Array) => {
    const ab = sched.alphasCumprod[t]!;
    for (let i = 0; i < x.length; i++) out[i] = (Math.sqrt(1 - ab) * (x[i]! - Math.sqrt(ab) * mu[i]!)) / (ab * sigma * sigma + 1 - ab);
  };
  const moments = (f: (r: Rng) => Float32Array, n: number) => {
    const r = Rng.seed(3);
    const m = [0, 0];
    const v = [0, 0];
    for (let k = 0; k < n; k++) {
      const x = f(r);
      for (let i = 0; i < 2; i++) {
        m[i]! += x[i]! / n;
        v[i]! += (x[i]! * x[i]!) / n;
      }
    }
    return { mean: m, std: v.map((q, i) => Math.sqrt(q - m[i]! ** 2)) };
  };

  it('DDIM with 100 steps matches DDPM mean behaviour (and both recover the data distribution)', () => {
    const n = 1500;
    const ddpm = moments((r) => ddpmSample(sched, eps, 2, r, { clip: Infinity }), n);
    const ddim = moments((r) => ddimSample(sched, eps, 2, 100, r, { clip: Infinity }), n);
    for (let i = 0; i < 2; i++) {
      expect(Math.abs(ddim.mean[i]! - ddpm.mean[i]!)).toBeLessThan(0.03);
      expect(Math.abs(ddim.mean[i]! - mu[i]!)).toBeLessThan(0.02);
      expect(Math.abs(ddpm.mean[i]! - mu[i]!)).toBeLessThan(0.02);
      expect(ddim.std[i]).toBeGreaterThan(0.17);
      expect(ddim.std[i]).toBeLessThan(0.23);
      expect(ddpm.std[i]).toBeGreaterThan(0.17);
      expect(ddpm.std[i]).toBeLessThan(0.23);
    }
  });

  it('a sample-predicting denoiser (x̂₀) drives the same samplers: the exact x₀-predictor gives the exact ε-predictor\'s samples', () => {
    // E[x₀ | x_t] = μ + √ᾱσ²(x_t − √ᾱμ)/(ᾱσ² + 1 − ᾱ) for the same Gaussian data.
    const x0 = (x: Float32Array, t: number, out: Float32Array) => {
      const ab = sched.alphasCumprod[t]!;
      for (let i = 0; i < x.length; i++) out[i] = mu[i]! + (Math.sqrt(ab) * sigma * sigma * (x[i]! - Math.sqrt(ab) * mu[i]!)) / (ab * sigma * sigma + 1 - ab);
    };
    for (let k = 0; k < 20; k++) {
      const a = ddimSample(sched, eps, 2, 10, Rng.seed(k), { clip: Infinity });
      const b = ddimSample(sched, asEpsFn('sample', sched, x0), 2, 10, Rng.seed(k), { clip: Infinity });
      for (let i = 0; i < 2; i++) expect(b[i]!).toBeCloseTo(a[i]!, 4);
    }
    expect(asEpsFn('epsilon', sched, eps)).toBe(eps);
  });

  it('DDIM is deterministic given the Rng and respects the x̂₀ clip', () => {
    const a = ddimSample(sched, eps, 2, 10, Rng.seed(5));
    const b = ddimSample(sched, eps, 2, 10, Rng.seed(5));
    expect(Array.from(a)).toEqual(Array.from(b));
    const clipped = ddimSample(sched, (x, t, o) => o.fill(-50), 2, 10, Rng.seed(1), { clip: 1 });
    for (const v of clipped) expect(Math.abs(v)).toBeLessThanOrEqual(1 + 1e-5);
  });

  it('the Float32Array FiLM MLP gives finite ε for a random init and caches nothing across obs', () => {
    const c: FilmMlpConfig = { actDim: 2, horizon: 4, obsDim: 3, obsHistory: 2, width: 16, blocks: 2, timeEmbDim: 8, timeFeatDim: 8 };
    const rt = new FilmMlpRuntime(c, initParams(c, Rng.seed(0)));
    const x = new Float32Array(8).fill(0.5);
    const o1 = new Float32Array(8);
    const o2 = new Float32Array(8);
    rt.eps(x, 10, rt.prepareObs(new Float32Array([0, 0, 0, 1, 1, 1])), o1);
    rt.eps(x, 10, rt.prepareObs(new Float32Array([2, -1, 0, 1, 3, 1])), o2);
    expect(o1.every(Number.isFinite)).toBe(true);
    expect(Array.from(o1)).not.toEqual(Array.from(o2));
  });
});

describe('diffusion policy training', () => {
  // ε-prediction (the default). x₀-prediction learns this too but leaves more samples between the modes at this
  // budget (15% after 1500 iterations), which is why it is an option for precision-bound tasks, not the default.
  it('learns a bimodal action distribution that MSE regression would average away', async () => {
    // obs ∈ {−1, +1} (5 different episodes each); action modes: obs −1 → {−0.8, +0.8}, obs +1 → {0.2, 0.6}.
    const rng = Rng.seed(11);
    const eps = [];
    for (let e = 0; e < 40; e++) {
      const o = e % 2 === 0 ? -1 : 1;
      const modes = o < 0 ? [-0.8, 0.8] : [0.2, 0.6];
      const obs: number[][] = [];
      const act: number[][] = [];
      for (let k = 0; k < 20; k++) {
        obs.push([o]);
        act.push([modes[rng.int(2)]! + rng.normal(0, 0.02)]);
      }
      eps.push({ obs, act });
    }
    const d = datasetFrom(eps, 1, 1);
    const { artifact } = await trainDiffusion({
      demos: d,
      config: { horizon: 1, execute: 1, obsHistory: 1, iterations: 500, batchSize: 128, width: 64, blocks: 2, lr: 2e-3, warmup: 20, seed: 1 },
    });
    const pol = new DiffusionPolicy(artifact, { rng: Rng.seed(2) });
    for (const [o, modes] of [[-1, [-0.8, 0.8]], [1, [0.2, 0.6]]] as const) {
      const near = [0, 0];
      let far = 0;
      const n = 200;
      for (let k = 0; k < n; k++) {
        const a = pol.actChunk([o])[0]!;
        const dists = modes.map((m) => Math.abs(a - m));
        const j = dists[0]! < dists[1]! ? 0 : 1;
        if (dists[j]! < 0.12) near[j]!++;
        else far++;
      }
      // Both modes represented, and the mean between them (what BC-MSE predicts) almost never sampled.
      expect(near[0]! / n).toBeGreaterThan(0.25);
      expect(near[1]! / n).toBeGreaterThan(0.25);
      expect(far / n).toBeLessThan(0.15);
    }
  });

  it('artifact round trip is bitwise: same chunks for the same Rng, and loading fails loudly on bad input', async () => {
    const rng = Rng.seed(4);
    const eps = [];
    for (let e = 0; e < 4; e++) {
      const obs: number[][] = [];
      const act: number[][] = [];
      for (let k = 0; k < 30; k++) {
        obs.push([Math.sin(k / 5 + e), rng.normal()]);
        act.push([Math.cos(k / 5 + e), 0.5 * Math.sin(k / 3)]);
      }
      eps.push({ obs, act });
    }
    const { artifact } = await trainDiffusion({ demos: datasetFrom(eps, 2, 2), config: { iterations: 20, batchSize: 32, width: 32, seed: 3 } });
    const dir = mkdtempSync(join(tmpdir(), 's2r-dp-'));
    const p = join(dir, 'policy.json');
    await saveArtifact(p, artifact);
    const a = new DiffusionPolicy(artifact, { rng: Rng.seed(9) });
    const b = await loadDiffusionPolicy(p, { rng: Rng.seed(9) });
    const hist = [new Float32Array([0.1, 0.2]), new Float32Array([0.3, -0.4])];
    const ca = a.actChunk(hist);
    const cb = b.actChunk(hist);
    expect(ca.length).toBe(16 * 2);
    expect(Buffer.from(cb.buffer).equals(Buffer.from(ca.buffer))).toBe(true);
    // act(): the receding horizon re-plans every `execute` steps; identical streams stay identical.
    // warmup() (JIT before real time) leaves the action stream unchanged.
    a.warmup(3);
    b.reset();
    for (let k = 0; k < 20; k++) {
      const o = new Float32Array([Math.sin(k), Math.cos(k)]);
      expect(Array.from(b.act(o))).toEqual(Array.from(a.act(o)));
    }
    // Through the house loader (kind plug-in), the policy exposes its chunk settings.
    registerPolicyKind('diffusion', fromArtifact);
    const c = await loadPolicy(p);
    expect(c.kind).toBe('diffusion');
    expect(c.chunk).toMatchObject({ horizon: 16, execute: 8, obsHistory: 2 });

    const raw = JSON.parse(readFileSync(p, 'utf8'));
    const rebuild = (mut: (x: any) => void) => {
      const x = JSON.parse(JSON.stringify(raw));
      mut(x);
      const { integrity: _i, format: _f, schemaVersion: _v, ...body } = x;
      return buildArtifact({ ...body, specs: { observation: x.specs.observation, action: x.specs.action, privileged: null } });
    };
    expect(() => checkDiffusionArtifact(rebuild((x) => delete x.normalizer.var))).toThrow(/normalizer\.var/);
    expect(() => checkDiffusionArtifact(rebuild((x) => (x.tensors['denoiser.in.w'] = x.tensors['denoiser.out.b'])))).toThrow(/denoiser\.in\.w/);
    expect(() => checkDiffusionArtifact(rebuild((x) => (x.model.chunk.execute = 17)))).toThrow(/execute/);
    expect(() => checkDiffusionArtifact(raw, 'x', 'deadbeefdeadbeef')).toThrow(/does not match the robot/);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...raw, kind: 'ppo' }));
    await expect(loadDiffusionPolicy(join(dir, 'bad.json'))).rejects.toThrow(/integrity|kind/);
  });
});

describe('tfjs training graph', () => {
  it('hand-written gradients of silu / FiLM / mse match finite differences, and FiLM weights reassemble exactly', async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const { initBackend } = await import('../src/backend.ts');
    await initBackend('cpu', { quiet: true });
    const { silu, film, mse } = await import('../src/diffusion/tf-ops.ts');
    const { TfFilmMlp } = await import('../src/diffusion/tf-film-mlp.ts');
    const z = [0.3, -1.2, 2.0];
    const g = [0.5, -0.1, 0.2];
    const b = [0.1, 0.0, -0.3];
    const t = [0.2, 0.1, -0.5];
    const f = (zz: number[], gg: number[]) => tf.tidy(() => mse(silu(film(tf.tensor2d([zz]), tf.tensor2d([gg]), tf.tensor2d([b]))), tf.tensor2d([t])).dataSync()[0]!);
    const grads = tf.grads((zt: TF.Tensor, gt: TF.Tensor) => mse(silu(film(zt as TF.Tensor2D, gt as TF.Tensor2D, tf.tensor2d([b]))), tf.tensor2d([t])));
    const [dz, dg] = grads([tf.tensor2d([z]), tf.tensor2d([g])]).map((x) => Array.from(x.dataSync()));
    const h = 1e-3;
    for (let i = 0; i < 3; i++) {
      const zp = [...z]; zp[i]! += h;
      const zm = [...z]; zm[i]! -= h;
      expect(dz![i]).toBeCloseTo((f(zp, g) - f(zm, g)) / (2 * h), 3);
      const gp = [...g]; gp[i]! += h;
      const gm = [...g]; gm[i]! -= h;
      expect(dg![i]).toBeCloseTo((f(z, gp) - f(z, gm)) / (2 * h), 3);
    }
    const c: FilmMlpConfig = { actDim: 2, horizon: 3, obsDim: 2, obsHistory: 2, width: 8, blocks: 2, timeEmbDim: 4, timeFeatDim: 4 };
    const init = initParams(c, Rng.seed(5));
    const m = new TfFilmMlp(c, init);
    const back = m.exportParams('raw');
    for (const k of Object.keys(init)) expect(Buffer.from(back[k]!.buffer).equals(Buffer.from(init[k]!.buffer))).toBe(true);
    // The tfjs graph and the Float32Array runtime compute the same ε̂.
    const rt = new FilmMlpRuntime(c, init);
    const x = Float32Array.from([0.1, -0.2, 0.3, 0.4, -0.5, 0.6]);
    const obs = Float32Array.from([0.5, -1, 0.2, 0.3]);
    const { timestepEmbedding } = await import('../src/diffusion/film-mlp.ts');
    const ours = new Float32Array(6);
    rt.eps(x, 37, rt.prepareObs(obs), ours);
    const ref = tf.tidy(() => m.forward(tf.tensor2d(x, [1, 6]), tf.tensor2d(timestepEmbedding(37, 4), [1, 4]), tf.tensor2d(obs, [1, 4])).dataSync());
    for (let i = 0; i < 6; i++) expect(ours[i]).toBeCloseTo(ref[i]!, 5);
    m.dispose();
  });
});
