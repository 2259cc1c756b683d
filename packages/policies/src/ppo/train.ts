/**
 * The PPO runner (rsl_rl's OnPolicyRunner): owns the rollout loop, logging, checkpoints and export.
 * `trainPpo` is the library entry point used by `npx s2r train` and by `npm start -- --train`.
 *
 * Run folder:
 *   config.json     the fully resolved PPO config plus the task's resolved env config
 *   command.txt     the exact command line (when given)
 *   metrics.jsonl   one JSON object per iteration
 *   checkpoints/    ckpt-<iteration>.json (newest `keepCheckpoints` kept)
 *   policy.json     the exported policy artifact (also refreshed at every checkpoint)
 */
import { mkdir, writeFile, appendFile, readFile } from 'node:fs/promises';

import { join, resolve } from 'node:path';
import { Rng } from '@s2r/core';
import type { EpisodeStats, VecEnv } from '@s2r/sim/env/types.ts';
import { initBackend } from '../backend.ts';
import { saveArtifact, type PolicyArtifact } from '../artifact.ts';
import { Progress } from '../progress.ts';
import { resolvePpoConfig, type PpoConfig } from './config.ts';
import { PPO, type UpdateJob, type UpdateStats } from './ppo.ts';
import { encodeCheckpoint, latestCheckpoint, readCheckpoint, writeCheckpoint, type CheckpointCounters } from './checkpoint.ts';
import type { DeployFacts } from '@s2r/core';
import { deployFacts, exportPpoArtifact, factsFromDeploy, type EnvFacts } from './export.ts';
import { refuseNonEmptyRunDir, truncateMetricsTo, writeError } from '../run-dir.ts';

export interface IterationMetrics {
  iteration: number;
  envSteps: number;
  wallS: number;
  stepsPerS: number;
  /** Mean over the last ≤100 finished episodes (rsl_rl's window), null before the first one ends. */
  meanReturn: number | null;
  meanLength: number | null;
  successRate: number | null;
  /** Mean per-episode sum of each reward term over the same window. */
  terms: Record<string, number>;
  episodesThisIter: number;
  /** Wall time of the rollout collected this iteration (with maxPolicyLag 1 it includes the interleaved update steps). */
  collectMs: number;
  /** Wall time since the previous iteration ended. */
  iterationMs: number;
  /** Policy versions between the rollout's behaviour policy and the one this update started from (0 or 1). */
  policyLag: number;
  update: UpdateStats;
}

export type MakeVecEnv = (task: string, opts: { numEnvs: number; workers: number; seed: number; overrides: Record<string, unknown> }) => Promise<VecEnv & { config?: unknown }>;

export interface TrainOptions {
  task: string;
  /** Layers over the task defaults, applied in order (config file, then --set, then flags). */
  overrides?: Record<string, unknown>[];
  /** Run folder; default runs/<task>-<UTC timestamp>. */
  outDir?: string;
  /** Continue the run in this folder (its config.json and newest checkpoint). Overrides still apply on top. */
  resume?: string;
  backend?: string;
  /** Exact command line, written to command.txt. */
  command?: string;
  /** Aborting saves a checkpoint and exports before returning (Ctrl-C). */
  signal?: AbortSignal;
  /**
   * Called after every iteration; return (or resolve to) false to stop. Time spent inside it (e.g. an
   * evaluation) is not counted in the run's wall clock or its --minutes budget. `ctx.artifact()` exports the
   * current policy.
   */
  onIteration?: (m: IterationMetrics, ctx: { artifact(): PolicyArtifact; runDir: string }) => void | boolean | Promise<void | boolean>;
  /** Env factory (default: @s2r/sim makeVecEnv). Tests inject toy envs. */
  makeVecEnv?: MakeVecEnv;
  /** Deploy facts for a task that is not in @s2r/sim's registry (tests' toy envs); registered tasks give their own. */
  deployFacts?: DeployFacts;
  /** Progress output: 'auto' (bar on TTY, lines otherwise), 'lines', or 'none'. */
  progress?: 'auto' | 'lines' | 'none';
  log?: (s: string) => void;
}

export interface TrainResult {
  runDir: string;
  artifactPath: string;
  checkpointPath: string;
  config: PpoConfig;
  iterations: number;
  envSteps: number;
  wallS: number;
  stoppedBy: 'steps' | 'minutes' | 'signal' | 'callback';
  last: IterationMetrics | null;
}

async function defaultMakeVecEnv(task: string, o: Parameters<MakeVecEnv>[1] & { print?: boolean; log?: (s: string) => void }) {
  const mod = (await import('@s2r/sim/env/vec-env.ts')) as { makeVecEnv: (t: string, opts: unknown) => Promise<VecEnv & { config?: unknown }> };
  // The env prints its table of active terms (observations, rewards, terminations, DR) once at start.
  return mod.makeVecEnv(task, { numEnvs: o.numEnvs, workers: o.workers, seed: o.seed, overrides: o.overrides, print: o.print ?? true, log: o.log });
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}

export async function trainPpo(opts: TrainOptions): Promise<TrainResult> {
  const log = opts.log ?? ((s: string) => console.log(s));
  let counters: CheckpointCounters = { iteration: 0, envSteps: 0, elapsedS: 0, episodes: 0 };
  let runDir: string;
  let baseLayer: Record<string, unknown> | undefined;
  let resumeState: Awaited<ReturnType<typeof readCheckpoint>> | null = null;
  if (opts.resume) {
    runDir = resolve(opts.resume);
    const ck = await latestCheckpoint(join(runDir, 'checkpoints'));
    if (!ck) throw new Error(`--resume ${opts.resume}: no checkpoints/ckpt-*.json in that folder`);
    resumeState = await readCheckpoint(ck);
    const saved = JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8')) as { task: string; ppo: Record<string, unknown> };
    if (saved.task !== opts.task) throw new Error(`--resume ${opts.resume}: that run trained task "${saved.task}", not "${opts.task}"`);
    baseLayer = saved.ppo;
    counters = resumeState.counters;
    log(`resuming ${runDir} from ${ck} (iteration ${counters.iteration}, ${counters.envSteps} env steps)`);
    const dropped = await truncateMetricsTo(runDir, counters.iteration);
    if (dropped.length) log(`metrics.jsonl: dropped ${dropped.length} line(s) after the checkpoint (iterations trained after it are trained again)`);
  } else {
    runDir = resolve(opts.outDir ?? join('runs', `${opts.task}-${timestamp()}`));
    refuseNonEmptyRunDir(runDir);
  }
  // On resume the saved config is the base and new overrides (e.g. a larger --steps) apply on top.
  const cfg = resolvePpoConfig(opts.task, baseLayer, ...(opts.overrides ?? []));
  const backend = await initBackend(opts.backend, { quiet: true });
  log(`tfjs backend: ${backend}`);

  const root = Rng.seed(cfg.seed);
  const make: MakeVecEnv = opts.makeVecEnv ?? ((t, o) => defaultMakeVecEnv(t, { ...o, print: opts.progress !== 'none', log }));
  // A resumed run draws fresh episodes: the env seed moves with the iteration so it never replays the start.
  const envSeed = (cfg.seed * 1_000_003 + counters.iteration) % 2 ** 31;
  const vec = await make(opts.task, { numEnvs: cfg.numEnvs, workers: cfg.workers, seed: envSeed, overrides: cfg.envOverrides });
  const envConfig = (vec as { config?: unknown }).config ?? null;
  const facts: EnvFacts = {
    task: opts.task,
    observationSpec: vec.observationSpec,
    privilegedSpec: vec.privilegedSpec,
    actionSpec: vec.actionSpec,
    dt: vec.dt,
    envConfig,
    ...factsFromDeploy(opts.deployFacts ?? deployFacts(opts.task, envConfig), vec.actionSpec),
  };
  // The run folder is created only now, once the task, config and env have all been accepted: a bad task name
  // or env override must not leave an empty runs/<task>-<timestamp>/ behind.
  const ckDir = join(runDir, 'checkpoints');
  await mkdir(ckDir, { recursive: true });
  const cfgPath = join(runDir, 'config.json');
  await writeFile(cfgPath, JSON.stringify({ task: opts.task, backend, ppo: cfg, env: envConfig }, null, 2)).catch((e) => {
    throw writeError(cfgPath, e);
  });
  // Appended, so a resumed run keeps the history of commands that produced it.
  const cmdPath = join(runDir, 'command.txt');
  if (opts.command) await appendFile(cmdPath, `${opts.command}\n`).catch((e) => {
    throw writeError(cmdPath, e);
  });

  const priv = vec.privilegedSpec ? vec.privilegedSpec.size : 0;
  const ppo = new PPO(cfg, { obs: vec.observationSpec.size, priv, act: vec.actionSpec.size }, root.split('ppo'), vec.actionSpec);
  if (resumeState) ppo.setState(resumeState.state);
  await ppo.startUpdateThreads(backend);
  const it = ppo.inferenceTiming;
  log(`rollout inference: ${ppo.inferencePath}${it ? ` (per step: plain JS ${it.jsMs.toFixed(2)} ms, tfjs ${it.tfjsMs.toFixed(2)} ms)` : ''}`);

  const N = cfg.numEnvs;
  const A = vec.actionSpec.size;
  const actions = new Float32Array(N * A);
  const window: EpisodeStats[] = [];
  const progress = new Progress(process.stdout, 2000, opts.progress === 'lines' ? false : undefined);
  const showProgress = opts.progress !== 'none';
  const t0 = performance.now();
  let excludedMs = 0; // time inside onIteration callbacks
  const wall = () => counters.elapsedS + (performance.now() - t0 - excludedMs) / 1000;
  const startSteps = counters.envSteps;
  let stoppedBy: TrainResult['stoppedBy'] | null = null;
  let last: IterationMetrics | null = null;
  let checkpointPath = '';
  const artifactPath = join(runDir, 'policy.json');

  const budget = () => {
    if (cfg.totalSteps > 0 && counters.envSteps >= cfg.totalSteps) return 'steps' as const;
    if (cfg.maxMinutes > 0 && wall() >= cfg.maxMinutes * 60) return 'minutes' as const;
    return null;
  };
  const fraction = () => {
    const f: number[] = [];
    if (cfg.totalSteps > 0) f.push(counters.envSteps / cfg.totalSteps);
    if (cfg.maxMinutes > 0) f.push(wall() / (cfg.maxMinutes * 60));
    return f.length ? Math.max(...f) : null;
  };
  const save = async () => {
    const ctr = { ...counters, elapsedS: wall() };
    checkpointPath = await writeCheckpoint(ckDir, ctr.iteration, encodeCheckpoint(ppo.getState(), ctr, cfg), cfg.keepCheckpoints);
    await saveArtifact(artifactPath, exportPpoArtifact(ppo, facts, { iterations: ctr.iteration, envSteps: ctr.envSteps, wallS: ctr.elapsedS, backend }));
  };

  const f0 = fraction() ?? 0;
  const lagged = cfg.maxPolicyLag > 0;
  // With maxPolicyLag 1 the update of one rollout runs while the next is collected: `job` is that update.
  let job: UpdateJob | null = null;
  let tIter = performance.now();
  try {
    stoppedBy = budget();
    while (!stoppedBy) {
      const tc = performance.now();
      let finished = 0;
      let aborted = false;
      for (let t = 0; t < cfg.stepsPerEnv; t++) {
        ppo.act(vec.obs, priv ? vec.privileged : null, actions);
        const stepping = vec.step(actions);
        // The workers step physics now; this thread runs one minibatch of the pending update meanwhile. The
        // schedule depends on step indices only, never on timing, so the result does not depend on the workers.
        job?.step();
        const eps = await stepping;
        ppo.processEnvStep(vec.rewards, vec.terminated, vec.truncated);
        for (const e of eps) {
          window.push(e);
          if (window.length > 100) window.shift();
        }
        finished += eps.length;
        if (opts.signal?.aborted) {
          aborted = true;
          break;
        }
      }
      if (aborted) {
        // The partial rollout is dropped. A pending update is completed so the checkpoint holds whole parameters
        // (not a half-run Adam epoch); it is not counted as an iteration, having logged no metrics.
        ppo.storage.clear();
        if (job) {
          while (job.step());
          job.finish();
        }
        stoppedBy = 'signal';
        break;
      }
      counters.envSteps += N * cfg.stepsPerEnv;
      counters.episodes += finished;
      // Bootstrap with the critic that collected the rollout (the rollout networks are still that version).
      ppo.computeReturns(vec.obs, priv ? vec.privileged : null);
      const collectMs = performance.now() - tc;
      let upd: UpdateStats | null = null;
      if (job) {
        while (job.step());
        upd = job.finish();
        job = null;
      } else if (!lagged) upd = ppo.update();
      if (lagged) {
        // The rollout just collected is updated on while the next one is collected by the version just trained.
        ppo.syncRuntime();
        job = ppo.beginUpdate({ lagged: upd !== null });
      }
      if (!upd) {
        // First rollout of an overlapped run: nothing to report until its update finishes.
        stoppedBy = budget();
        continue;
      }
      counters.iteration++;
      const terms: Record<string, number> = {};
      for (const e of window) for (const [k, v] of Object.entries(e.terms)) terms[k] = (terms[k] ?? 0) + v / window.length;
      const succ = window.filter((e) => e.success !== undefined);
      const w = wall();
      const now = performance.now();
      last = {
        iteration: counters.iteration,
        envSteps: counters.envSteps,
        wallS: w,
        stepsPerS: (counters.envSteps - startSteps) / ((now - t0 - excludedMs) / 1000),
        meanReturn: window.length ? window.reduce((a, e) => a + e.return, 0) / window.length : null,
        meanLength: window.length ? window.reduce((a, e) => a + e.length, 0) / window.length : null,
        successRate: succ.length ? succ.filter((e) => e.success).length / succ.length : null,
        terms,
        episodesThisIter: finished,
        collectMs,
        iterationMs: now - tIter,
        // The first overlapped update trains on a rollout of its own version; every later one on the previous version's.
        policyLag: lagged && counters.iteration > 1 ? 1 : 0,
        update: upd,
      };
      const metricsPath = join(runDir, 'metrics.jsonl');
      await appendFile(metricsPath, `${JSON.stringify(last)}\n`).catch((e) => {
        throw writeError(metricsPath, e);
      });
      if (showProgress) {
        const f = fraction();
        const etaS = f !== null && f > f0 ? ((w - counters.elapsedS) * Math.max(0, 1 - f)) / (f - f0) : null;
        progress.update(
          {
            iteration: last.iteration,
            envSteps: last.envSteps,
            stepsPerS: last.stepsPerS,
            meanReturn: last.meanReturn,
            meanLength: last.meanLength,
            terms,
            fraction: f,
            etaS,
            extra: `collect ${collectMs.toFixed(0)} ms update ${upd.updateMs.toFixed(0)} ms lr ${upd.learningRate.toExponential(1)} std ${upd.actionStd.toFixed(2)}`,
          },
          false,
        );
      }
      if (counters.iteration % cfg.checkpointEvery === 0) await save();
      let verdict: void | boolean = undefined;
      if (opts.onIteration) {
        const tcb = performance.now();
        const iterWall = wall();
        verdict = await opts.onIteration(last, {
          artifact: () => exportPpoArtifact(ppo, facts, { iterations: counters.iteration, envSteps: counters.envSteps, wallS: iterWall, backend }),
          runDir,
        });
        excludedMs += performance.now() - tcb;
      }
      tIter = performance.now();
      if (verdict === false) stoppedBy = 'callback';
      else if (opts.signal?.aborted) stoppedBy = 'signal';
      else stoppedBy = budget();
    }
    await save();
  } finally {
    if (showProgress) progress.done();
    await vec.close();
    ppo.dispose();
  }
  log(`stopped (${stoppedBy}) after ${counters.iteration} iterations, ${counters.envSteps} env steps, ${wall().toFixed(1)} s; policy → ${artifactPath}`);
  return { runDir, artifactPath, checkpointPath, config: cfg, iterations: counters.iteration, envSteps: counters.envSteps, wallS: wall(), stoppedBy: stoppedBy!, last };
}


