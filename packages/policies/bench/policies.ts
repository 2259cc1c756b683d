/**
 * `npm run bench:policies` — z1-push success (5 seeds × 50 episodes, Wilson 95% CIs) for the scripted expert,
 * BC-MLP, the diffusion policy and the residual on top of diffusion; plus diffusion chunk latency on one core
 * (16-step chunk, 10 DDIM steps). Last line: one JSON object.
 *
 * Trains what is missing and caches it under S2R_BENCH_DIR (default runs/bench-policies), one folder per stage,
 * each named by that stage's key (stage-keys.ts: what the stage depends on, the task and expert by behaviour
 * fingerprint), so editing only the residual retrains only the residual, and a refactor that keeps the task's
 * behaviour keeps every stage:
 *   demos-<key>/ (scripted expert + noise; eval-expert.json), bc-<key>/bc.json, diffusion-<key>/diffusion.json,
 *   residual-<key>/residual.json + curve.png (rollout success against env steps). Delete a file to redo it.
 * Knobs (env): BENCH_SEEDS (5), BENCH_EPISODES (50), BENCH_DEMOS (300), BENCH_NOISE (0.03), BENCH_DP_ITERS (8000), BENCH_DP_PREDICTION (sample),
 * BENCH_BC_ITERS (5000), BENCH_RES_STEPS (trainResidual's default), BENCH_WORKERS (2; results do not depend on it),
 * BENCH_KEYS_ONLY=1 (print each stage's folder as JSON and exit); the one-step stage's in policies-onestep.ts (its
 * student is cached beside diffusion.json, keyed on the teacher's bytes).
 * The residual's recipe is trainResidual's defaults (residual/train.ts), whatever they are.
 *
 * Imitation recipe (both BC and diffusion, so the comparison is fair):
 *  - DART-style demonstrations: the expert acts under N(0, σ²) execution noise and learners imitate its clean
 *    labels on every episode (the noise widens the visited states; the labels stay correct even when the noisy
 *    rollout fails);
 *  - relative action frame (demos/action-frame.ts): the learners predict moves from the previous command, with
 *    noise-free chunk labels. The z1-push expert servos (command = previous command + IK step), and in the
 *    absolute frame an imitator either copies its previous command (copycat) or, with it masked, cannot know it.
 *  - diffusion: x₀ ("sample") prediction; same DDPM forward process, schedule and DDIM sampler.
 * Measured on this task, 2 seeds × 25 episodes, BC-MLP: absolute + masked last_action 6%, relative 16%; with
 * the task's relative-offset observations 32%; with the expert's approach made continuous behind the block 40%.
 * Diffusion on those last demos, 3000 iterations: ε-prediction 10% (14% with robust per-step ranges), x₀-prediction
 * 64% — its next-step error on demo states fell from 0.0067 to 0.0041 action units (BC-MLP 0.0034).
 * This recipe, 5 seeds × 50 episodes (2026-11-25): expert 99.6%, BC-MLP 32.0%, diffusion 86.8% [82.0, 90.4],
 * residual on diffusion 70.4% [64.5, 75.7] — PPO on 300k steps (32 envs × 32 steps per update) degrades a strong
 * base here; see the issue-7 note for what was tried.
 * Re-measured 2026-12-06 after z1-push gained the action pipeline: expert 99.6%, BC-MLP 25.2%, diffusion 78.0%
 * [72.5, 82.7]; the old residual recipe (300k steps) 74.8% [69.1, 79.8]; issue 15's recipe (zero-init output,
 * critic warm-up, KL-guarded small actor LR, own critic LR, scaled rewards; 163,840 steps) 80.8% [75.5, 85.2]:
 * it no longer degrades the base, but stays short of halving its failure rate (≥ 89.0%). With checkpoint selection
 * on validation seeds 9000–9004 × 10 episodes every 16,384 steps and lrMax 3e-5 (same 163,840 steps): 85.6%
 * [80.7, 89.4], checkpoint update 42 of 80 (86,016 steps, validation 88%), load 4.7. Tried after: 128 envs (4,096
 * samples per update), 196,608 steps, 10 × 10 validation episodes: 85.2% [80.3, 89.1], checkpoint update 29 of 48
 * (validation 90%), load 4–9 — no better, so the defaults stay at the first. σ 0.05 (default otherwise): 82.4%
 * [77.2, 86.6] (chosen update 80, validation 88%), load 7.
 * Evaluations are cached in eval-<name>.json next to their artifact (delete to re-evaluate).
 */
import { existsSync, mkdirSync, writeFileSync, appendFileSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Rng } from '@s2r/core';
import { load, getTask } from '@s2r/sim/tasks/registry.ts';
import { mergeConfig } from '@s2r/sim/env/config.ts';
import { collectDemos } from '../src/demos/collect.ts';
import { scriptedExpert } from '../src/demos/experts.ts';
import { loadDemos } from '../src/demos/store.ts';
import type { DemoDataset } from '../src/demos/dataset.ts';
import { evaluateEpisodes, type SuccessEvalResult as EvalResult } from '../src/evaluate.ts';
import { trainBc } from '../src/bc/train.ts';
import { loadBcPolicy } from '../src/bc/policy.ts';
import { trainDiffusion } from '../src/diffusion/train.ts';
import { loadDiffusionPolicy } from '../src/diffusion/policy.ts';
import { DEFAULT_RESIDUAL_TRAIN, RESIDUAL_PPO_DEFAULTS, trainResidual } from '../src/residual/train.ts';
import { loadResidualPolicy } from '../src/residual/policy.ts';
import { basePpoConfig, type PpoConfig } from '../src/ppo/config.ts';
import { readArtifact } from '../src/artifact.ts';
import { lineChartPng } from '../src/plot/line-chart.ts';
import { checkDiffusionArtifact } from '../src/diffusion/artifact.ts';
import { benchOnestep } from './policies-onestep.ts';
import { chunkFn, timeChunks } from './chunk-timing.ts';
import { sourceClosure, sourceHash, stageKeys } from './stage-keys.ts';
import { envFingerprint, expertFingerprint } from './behaviour-fingerprint.ts';

const TASK = 'z1-push';
const env = (k: string, d: number) => (process.env[k] !== undefined ? Number(process.env[k]) : d);
const IMITATION = { successOnly: false, actionFrame: 'relative' as const, ignoreObsTerms: [] as string[] };
const { workers: _w, ...resPpo } = mergeConfig<PpoConfig>(basePpoConfig(), RESIDUAL_PPO_DEFAULTS, 'residual.ppo');
/** Each stage's recipe: what it is keyed on besides its inputs and source. Worker counts are not (same result). */
const RECIPE = {
  demos: { demos: env('BENCH_DEMOS', 300), noise: env('BENCH_NOISE', 0.03) },
  bc: { iterations: env('BENCH_BC_ITERS', 5000), ...IMITATION },
  diffusion: { iterations: env('BENCH_DP_ITERS', 8000), ...IMITATION, prediction: (process.env.BENCH_DP_PREDICTION ?? 'sample') as 'sample' | 'epsilon' },
  residual: { ...DEFAULT_RESIDUAL_TRAIN, totalSteps: env('BENCH_RES_STEPS', DEFAULT_RESIDUAL_TRAIN.totalSteps), ppo: resPpo },
};
const makeEnv = () => load(TASK, undefined, { print: false });
const SEEDS = Array.from({ length: env('BENCH_SEEDS', 5) }, (_, i) => 1000 + i);
const EPISODES = env('BENCH_EPISODES', 50);

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const POLICIES = 'packages/policies/src';
const src = (...entries: string[]) => sourceHash(REPO, sourceClosure(REPO, entries.map((e) => `${POLICIES}/${e}`), POLICIES));
const KEYS = stageKeys({
  env: await envFingerprint(makeEnv),
  expert: await expertFingerprint(TASK, makeEnv),
  source: { demos: src('demos/collect.ts', 'demos/store.ts'), bc: src('bc/train.ts'), diffusion: src('diffusion/train.ts'), residual: src('residual/train.ts') },
  recipe: RECIPE,
});
const ROOT = process.env.S2R_BENCH_DIR ?? 'runs/bench-policies';
const stageDir = (stage: keyof typeof KEYS) => {
  const d = join(ROOT, `${stage}-${KEYS[stage]}`);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'recipe.json'), JSON.stringify(RECIPE[stage], null, 1));
  return d;
};
mkdirSync(ROOT, { recursive: true });
const log = (m: string) => {
  process.stderr.write(`[bench:policies] ${m}\n`);
  appendFileSync(join(ROOT, 'bench.log'), `${new Date().toISOString()} ${m}\n`);
};
log(`cache ${ROOT}: ${Object.entries(KEYS).map(([k, v]) => `${k}-${v}`).join(' ')}`);
if (process.env.BENCH_KEYS_ONLY) {
  // Where each stage's artifacts go, without training or evaluating anything (to place artifacts by hand).
  console.log(JSON.stringify(Object.fromEntries(Object.entries(KEYS).map(([k, v]) => [k, join(ROOT, `${k}-${v}`)]))));
  process.exit(0);
}

const deploy = getTask(TASK).deploy();
const control = { defaultPose: Array.from(deploy.defaultJointPos), kp: Array.from(deploy.kp), kd: Array.from(deploy.kd) };

const results: Record<string, EvalResult> = {};
/** Evaluate (or read the cached evaluation, eval-<name>.json in dir, newer than its artifact and on the same seeds). */
async function evalNamed(dir: string, name: string, mk: () => Promise<{ reset(): void; act(o: Float32Array): ArrayLike<number> }>, artifact?: string): Promise<void> {
  const cache = join(dir, `eval-${name}.json`);
  if (existsSync(cache) && (!artifact || statSync(cache).mtimeMs > statSync(artifact).mtimeMs)) {
    const c = JSON.parse(readFileSync(cache, 'utf8')) as EvalResult & { seeds: number[]; perEpisodes: number };
    if (c.perEpisodes === EPISODES && JSON.stringify(c.seeds) === JSON.stringify(SEEDS)) {
      results[name] = c;
      log(`${name}: cached ${cache} — success ${(100 * c.success).toFixed(1)}%`);
      return;
    }
  }
  const t0 = performance.now();
  const p = await mk();
  results[name] = await evaluateEpisodes(makeEnv, p, { seeds: SEEDS, episodes: EPISODES });
  const r = results[name]!;
  log(`${name}: success ${(100 * r.success).toFixed(1)}% [${(100 * r.ci95[0]).toFixed(1)}, ${(100 * r.ci95[1]).toFixed(1)}] per seed ${r.perSeed.map((s) => (100 * s.success).toFixed(0)).join('/')} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  writeFileSync(cache, JSON.stringify({ ...r, seeds: SEEDS, perEpisodes: EPISODES }, null, 1));
}

/** 1. Demonstrations (scripted expert + execution noise), and 2. the noise-free expert's success. */
async function demosStage(): Promise<DemoDataset> {
  const dir = stageDir('demos');
  const demosDir = join(dir, 'demos');
  if (!existsSync(join(demosDir, 'index.json'))) {
    const e = await makeEnv();
    const expert = await scriptedExpert(TASK, e);
    const t0 = performance.now();
    const d = await collectDemos({ task: TASK, makeEnv: () => e, expert, episodes: RECIPE.demos.demos, noise: RECIPE.demos.noise, seed: 0, out: demosDir, control });
    log(`demos: ${d.episodes.filter((x) => x.success).length}/${d.episodes.length} successful, ${d.obs.length / d.meta.obsDim} steps, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  await evalNamed(dir, 'expert', async () => {
    const e = await makeEnv();
    const x = await scriptedExpert(TASK, e);
    e.close();
    let k = 0;
    return { reset: () => x.reset(e, Rng.seed(k++)), act: (o) => x.act(o, e) };
  });
  return loadDemos(demosDir);
}

/** 3. BC-MLP. */
async function bcStage(demos: DemoDataset): Promise<void> {
  const dir = stageDir('bc');
  const path = join(dir, 'bc.json');
  if (!existsSync(path)) {
    const r = await trainBc({ demos, out: path, control, config: { ...RECIPE.bc, seed: 0 } });
    log(`bc trained: loss ${r.finalLoss.toFixed(4)} in ${r.seconds.toFixed(0)} s`);
  }
  await evalNamed(dir, 'bc_mlp', () => loadBcPolicy(path), path);
}

/** 4. Diffusion (10 DDIM steps); returns the artifact's path. */
async function diffusionStage(demos: DemoDataset): Promise<string> {
  const dir = stageDir('diffusion');
  const path = join(dir, 'diffusion.json');
  if (!existsSync(path)) {
    const r = await trainDiffusion({
      demos, out: path, control, config: { ...RECIPE.diffusion, seed: 0 },
      onProgress: (p) => p.iteration % 1000 === 1 && log(`diffusion it ${p.iteration}/${p.iterations} loss ${p.loss.toFixed(4)} (${p.elapsedS.toFixed(0)} s)`),
    });
    log(`diffusion trained: loss ${r.finalLoss.toFixed(4)} in ${r.seconds.toFixed(0)} s`);
  }
  await evalNamed(dir, 'diffusion', () => loadDiffusionPolicy(path, { rng: Rng.seed(7) }), path);
  return path;
}

/** 5. Residual on the diffusion base (trainResidual's default recipe); the learning curve as curve.png beside it. */
async function residualStage(basePath: string): Promise<void> {
  const dir = stageDir('residual');
  const path = join(dir, 'residual.json');
  if (!existsSync(path)) {
    const { ppo, ...rc } = RECIPE.residual;
    const r = await trainResidual({
      task: TASK, base: basePath, seed: 0, out: path,
      // The checkpoint is chosen on validation seeds (9000+); the test seeds are refused for it.
      heldOutSeeds: SEEDS, makeEvalEnv: makeEnv,
      onValidation: (v) => log(`residual validation it ${v.update} steps ${v.envSteps}: ${(100 * v.success).toFixed(1)}% (best it ${v.best.update}, ${(100 * v.best.success).toFixed(1)}%)`),
      config: { ...rc, ppo: { ...ppo, workers: env('BENCH_WORKERS', 2) } },
      onProgress: (p) => p.iteration % 10 === 1 && log(`residual it ${p.iteration} (${p.phase}) steps ${p.envSteps}/${p.totalSteps} success ${p.successRate === null ? '-' : (100 * p.successRate).toFixed(0)}% return ${p.meanReturn?.toFixed(2) ?? '-'} kl ${p.stats.kl.toFixed(4)} std ${p.stats.actionStd.toFixed(3)} (${p.elapsedS.toFixed(0)} s)`),
    });
    log(`residual trained in ${r.seconds.toFixed(0)} s (last rollout success ${r.lastSuccessRate})`);
  }
  const png = join(dir, 'curve.png');
  if (!existsSync(png) || statSync(png).mtimeMs < statSync(path).mtimeMs) {
    const tr = (await readArtifact(path)).training as { curve?: [number, number | null][]; validation?: { points: [number, number, number][] } | null };
    const pts = (tr.curve ?? []).filter((p): p is [number, number] => p[1] !== null);
    const val = tr.validation?.points ?? [];
    const series = [{ x: pts.map((p) => p[0]), y: pts.map((p) => 100 * p[1]) }];
    if (val.length) series.push({ x: val.map((p) => p[1]), y: val.map((p) => 100 * p[2]) });
    writeFileSync(png, lineChartPng(series, { xLabel: 'ENV STEPS', yLabel: 'SUCCESS', title: val.length ? 'RESIDUAL SUCCESS: ROLLOUT (LAST 100), VALIDATION' : 'RESIDUAL ROLLOUT SUCCESS (LAST 100 EPISODES)' }));
    log(`learning curve: ${png}`);
  }
  await evalNamed(dir, 'residual', () => loadResidualPolicy(path, { rng: Rng.seed(7) }), path);
}

/** 6. Diffusion chunk latency, one core, batch 1: 16-step chunk, 10 DDIM steps, after warm-up (p50, ms). */
async function diffusionChunkMs(dpPath: string): Promise<number> {
  const dp = checkDiffusionArtifact(await readArtifact(dpPath));
  const timing = timeChunks(chunkFn(dp, 10));
  log(`diffusion chunk (H=${dp.model.net.horizon}, A=${dp.model.net.actDim}, 10 DDIM steps): p50 ${timing.p50.toFixed(3)} ms, p90 ${timing.p90.toFixed(3)} ms`);
  return timing.p50;
}

const demos = await demosStage();
await bcStage(demos);
const dpPath = await diffusionStage(demos);
await residualStage(dpPath);
const chunkMs = await diffusionChunkMs(dpPath);
// 7. One-step diffusion distilled from diffusion.json (policies-onestep.ts): success and chunk latency; the student
// is cached in the diffusion stage's folder (its own key hashes the teacher's bytes).
const dpDir = dirname(dpPath);
const onestep = await benchOnestep({ dir: dpDir, demos: join(stageDir('demos'), 'demos'), log, evalNamed: (n, mk, a) => evalNamed(dpDir, n, mk, a) });

const names = ['expert', 'bc_mlp', 'diffusion', 'residual', 'diffusion_1step'] as const;
const round = (x: number) => Math.round(x * 1000) / 1000;
console.log(JSON.stringify({
  bench: 'policies',
  success: Object.fromEntries(names.map((n) => [n, round(results[n]!.success)])),
  ci95: Object.fromEntries(names.map((n) => [n, results[n]!.ci95.map(round)])),
  diffusion_chunk_ms: round(chunkMs),
  diffusion_1step_chunk_ms: round(onestep.chunkMs),
  // Issue 15's goal: the residual halves the base's failure rate, its CI's low end above the base's high end.
  residual_goal: {
    target: round(results.diffusion!.success + (1 - results.diffusion!.success) / 2),
    met: results.residual!.success >= results.diffusion!.success + (1 - results.diffusion!.success) / 2 && results.residual!.ci95[0] > results.diffusion!.ci95[1],
  },
  episodes: SEEDS.length * EPISODES,
  seeds: SEEDS.length,
  load_avg_1m: round(loadavg()[0]!),
}));
