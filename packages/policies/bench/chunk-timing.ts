/**
 * Chunk latency as bench:policies reports it: one core, batch 1, after `warm` throw-away chunks (V8 optimises the
 * denoiser), wall-clock p50 / p90 of `n` chunks, plus the main thread's CPU ms per chunk — on a loaded machine the
 * wall clock also counts the time other processes held the core, the CPU time mostly does not.
 */
import { Rng } from '@s2r/core';
import { mainThreadCpuMs } from './cpu.ts';
import type { CheckedDiffusion } from '../src/diffusion/artifact.ts';
import { FilmMlpRuntime } from '../src/diffusion/film-mlp.ts';
import { oneStepSample } from '../src/diffusion/onestep.ts';
import { asEpsFn, ddimSample } from '../src/diffusion/sampler.ts';
import { squaredCosineSchedule } from '../src/diffusion/schedule.ts';

export function timeChunks(chunk: () => unknown, warm = 300, n = 500): { p50: number; p90: number; cpuMs: number | null } {
  for (let i = 0; i < warm; i++) chunk();
  const ts: number[] = [];
  const c0 = mainThreadCpuMs();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    chunk();
    ts.push(performance.now() - t0);
  }
  const c1 = mainThreadCpuMs();
  ts.sort((a, b) => a - b);
  return { p50: ts[Math.floor(n / 2)]!, p90: ts[Math.floor(n * 0.9)]!, cpuMs: c0 === null || c1 === null ? null : (c1 - c0) / n };
}

/** One chunk of a diffusion artifact's runtime alone (zero history): DDIM with `steps` steps, or its one-step sampler. */
export function chunkFn(c: CheckedDiffusion, ddimSteps = 10): () => Float32Array {
  const rt = new FilmMlpRuntime(c.model.net, c.params);
  const rng = Rng.seed(1);
  const obs = new Float32Array(c.model.net.obsDim * c.model.net.obsHistory);
  const X = c.model.net.horizon * c.model.net.actDim;
  const clip = c.model.diffusion.clip;
  const os = c.model.onestep;
  if (os) {
    const xT = new Float32Array(X);
    const x0 = new Float32Array(X);
    return () => oneStepSample(rt, rt.prepareObs(obs), os.timestep, rng, clip, xT, x0);
  }
  const sched = squaredCosineSchedule(c.model.diffusion.trainSteps);
  return () => {
    const ctx = rt.prepareObs(obs);
    return ddimSample(sched, asEpsFn(c.model.diffusion.prediction, sched, (x, t, o) => rt.eps(x, t, ctx, o)), X, ddimSteps, rng, { clip });
  };
}
