/**
 * bench:policies' one-step diffusion stage: distil the bench's diffusion policy (diffusion.json) into a one-step
 * student (src/diffusion/distill.ts), evaluate it with the same evaluator, seeds and sampler noise as its teacher,
 * and time its chunk the way §6 of policies.ts times the teacher's (one core, batch 1, same horizon / action dims,
 * after warm-up, p50 of 500): one denoiser call instead of 10 DDIM steps.
 *
 * The student is cached beside diffusion.json as diffusion_1step-<key>.json, the key hashing the teacher artifact's
 * bytes, the distillation settings and the source it comes from, so a retrained teacher or an edited distiller never
 * reuses a stale student. Knobs (env): BENCH_1STEP_PAIRS (32768), BENCH_1STEP_ITERS (3000), BENCH_1STEP_LR (5e-4).
 *
 * Measured (2026-12-06, teacher from this recipe's cache, 5 seeds × 50 episodes, load average 8): the student 77.2%
 * [71.6, 82.0] against the teacher's 78.0% [72.5, 82.7]; chunk p50 0.486 ms, 0.48 CPU ms against the teacher's 4.1 (×8.5).
 * 16384 pairs overfit (train MSE 0.0008, held-out 0.0036) and gave 71.6%; 32768 pairs: held-out 0.0029.
 *
 * Alone (the teacher and its demos already cached):  npx tsx packages/policies/bench/policies-onestep.ts <cache dir>
 * prints one JSON line with the student's and, when eval-diffusion.json is there, the teacher's success.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '@s2r/core';
import { distillDiffusion } from '../src/diffusion/distill.ts';
import { loadDiffusionPolicy } from '../src/diffusion/policy.ts';
import { checkDiffusionArtifact } from '../src/diffusion/artifact.ts';
import { readArtifact } from '../src/artifact.ts';
import { chunkFn, timeChunks } from './chunk-timing.ts';
import { sourceClosure, sourceHash } from './stage-keys.ts';

type Acting = { reset(): void; act(o: Float32Array): ArrayLike<number> };

export interface OnestepStage {
  /** The bench's cache folder (where diffusion.json and demos/ are). */
  dir: string;
  /** The demos folder (default: <dir>/demos). */
  demos?: string;
  log: (m: string) => void;
  /** bench:policies' evaluator: evaluates and caches eval-<name>.json, the result lands in its results table. */
  evalNamed: (name: string, mk: () => Promise<Acting>, artifact?: string) => Promise<void>;
}

/**
 * What the student's weights come from: distill.ts and every source file of the package it imports, through
 * stage-keys' one closure (the settings are hashed separately, the teacher by its bytes).
 */
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const POLICIES = 'packages/policies/src';
const env = (k: string, d: number) => (process.env[k] !== undefined ? Number(process.env[k]) : d);

/** Distil (or reuse), evaluate as 'diffusion_1step', time a chunk. Returns the chunk latency p50 / p90 (ms). */
export async function benchOnestep(s: OnestepStage): Promise<{ chunkMs: number; chunkP90Ms: number; chunkCpuMs: number | null; path: string }> {
  const dpPath = join(s.dir, 'diffusion.json');
  const config = { pairs: env('BENCH_1STEP_PAIRS', 32768), iterations: env('BENCH_1STEP_ITERS', 3000), lr: env('BENCH_1STEP_LR', 5e-4), seed: 0 };
  const key = createHash('sha256').update(readFileSync(dpPath)).update(JSON.stringify(config));
  key.update(sourceHash(REPO, sourceClosure(REPO, [`${POLICIES}/diffusion/distill.ts`], POLICIES)));
  const path = join(s.dir, `diffusion_1step-${key.digest('hex').slice(0, 10)}.json`);
  if (!existsSync(path)) {
    const r = await distillDiffusion({
      teacher: dpPath, demos: s.demos ?? join(s.dir, 'demos'), out: path, config,
      onProgress: (p) => (p.phase === 'label' ? p.done % 4096 === 0 : p.done % 500 === 1 || p.heldOutMse !== undefined) && s.log(`diffusion_1step ${p.phase} ${p.done}/${p.total}${p.phase === 'train' ? ` loss ${p.loss.toFixed(5)}` : ''}${p.heldOutMse !== undefined ? ` held-out ${p.heldOutMse.toFixed(5)}` : ''} (${p.elapsedS.toFixed(0)} s)`),
    });
    s.log(`diffusion_1step distilled: held-out MSE ${r.heldOutMse.toExponential(3)} vs teacher chunk variance ${r.heldOutVar.toExponential(3)} (normalized units²) in ${r.seconds.toFixed(0)} s`);
  }
  // Same sampler noise seed as the teacher's evaluation: each chunk starts from the x_T the teacher's DDIM started from.
  await s.evalNamed('diffusion_1step', () => loadDiffusionPolicy(path, { rng: Rng.seed(7) }), path);

  // Chunk latency, as §6 of policies.ts: the runtime alone on a zero history, 300 warm-up chunks, p50 of 500.
  const c = checkDiffusionArtifact(await readArtifact(path));
  const t = timeChunks(chunkFn(c));
  const chunkMs = t.p50;
  const chunkP90Ms = t.p90;
  s.log(`diffusion_1step chunk (H=${c.model.net.horizon}, A=${c.model.net.actDim}, 1 step at t=${c.model.onestep!.timestep}, width ${c.model.net.width}): p50 ${chunkMs.toFixed(3)} ms, p90 ${chunkP90Ms.toFixed(3)} ms, CPU ${t.cpuMs?.toFixed(3) ?? '-'} ms/chunk`);
  return { chunkMs, chunkP90Ms, chunkCpuMs: t.cpuMs, path };
}

// Alone: the stage on an existing bench cache folder, with bench:policies' evaluator, seeds and episodes.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = process.argv[2];
  if (!dir || !existsSync(join(dir, 'diffusion.json'))) {
    console.error(`policies-onestep: give a bench:policies cache folder holding diffusion.json and demos/ (got ${dir ?? 'nothing'})`);
    process.exit(2);
  }
  const { load } = await import('@s2r/sim/tasks/registry.ts');
  const { evaluateEpisodes } = await import('../src/evaluate.ts');
  const { loadavg } = await import('node:os');
  const seeds = Array.from({ length: env('BENCH_SEEDS', 5) }, (_, i) => 1000 + i);
  const episodes = env('BENCH_EPISODES', 50);
  const results: Record<string, { success: number; ci95: [number, number] }> = {};
  const log = (m: string) => process.stderr.write(`[bench:policies-onestep] ${m}\n`);
  const r = await benchOnestep({
    dir, log,
    evalNamed: async (name, mk, artifact) => {
      const cache = join(dir, `eval-${name}.json`);
      const hit = existsSync(cache) && artifact && JSON.parse(readFileSync(cache, 'utf8')).artifact === artifact ? JSON.parse(readFileSync(cache, 'utf8')) : null;
      if (hit && hit.perEpisodes === episodes && JSON.stringify(hit.seeds) === JSON.stringify(seeds)) results[name] = hit;
      else {
        results[name] = await evaluateEpisodes(() => load('z1-push', undefined, { print: false }), await mk(), { seeds, episodes });
        writeFileSync(cache, JSON.stringify({ ...results[name], seeds, perEpisodes: episodes, artifact }, null, 1));
      }
      log(`${name}: success ${(100 * results[name]!.success).toFixed(1)}% [${results[name]!.ci95.map((x) => (100 * x).toFixed(1)).join(', ')}]`);
    },
  });
  // The teacher's 10-step chunk timed the same way in this process: the ratio holds up better than either figure
  // on a loaded machine.
  const tt = timeChunks(chunkFn(checkDiffusionArtifact(await readArtifact(join(dir, 'diffusion.json'))), 10));
  const teacherEval = join(dir, 'eval-diffusion.json');
  const teacher = existsSync(teacherEval) ? (JSON.parse(readFileSync(teacherEval, 'utf8')) as { success: number; ci95: [number, number] }) : null;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  console.log(JSON.stringify({
    bench: 'policies-onestep', artifact: r.path,
    success: { diffusion_1step: round(results.diffusion_1step!.success), ...(teacher ? { diffusion: round(teacher.success) } : {}) },
    ci95: { diffusion_1step: results.diffusion_1step!.ci95.map(round), ...(teacher ? { diffusion: teacher.ci95.map(round) } : {}) },
    diffusion_1step_chunk_ms: round(r.chunkMs), diffusion_1step_chunk_p90_ms: round(r.chunkP90Ms), diffusion_1step_chunk_cpu_ms: r.chunkCpuMs === null ? null : round(r.chunkCpuMs),
    diffusion_chunk_ms: round(tt.p50), diffusion_chunk_cpu_ms: tt.cpuMs === null ? null : round(tt.cpuMs), speedup_cpu: tt.cpuMs && r.chunkCpuMs ? round(tt.cpuMs / r.chunkCpuMs) : null,
    episodes: seeds.length * episodes, seeds: seeds.length, load_avg_1m: round(loadavg()[0]!),
  }));
}
