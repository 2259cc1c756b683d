/** `npx s2r train <task> --algo residual --base ARTIFACT`: PPO residual on a frozen base (plug-in for --algo residual). */
import { UsageError } from '@s2r/core';
import { DEFAULT_RESIDUAL_TRAIN, RESIDUAL_PPO_DEFAULTS, trainResidual, type ResidualTrainConfig } from './train.ts';
import { basePpoConfig, type PpoConfig } from '../ppo/config.ts';
import { readArtifact, type PolicyArtifact } from '../artifact.ts';
import { mergeConfig, type DeepPartial } from '@s2r/sim/env/config.ts';
import { layeredConfig, rejectFlags, RunFolder, type TrainCliCtx } from '../demos/train-cli-common.ts';

export async function trainFromCli(ctx: TrainCliCtx): Promise<number> {
  rejectFlags(ctx, 'residual', ['demos', 'minutes']);
  const base = ctx.args.str('base');
  if (!base) throw new UsageError('--algo residual needs --base <artifact> (a diffusion, bc or PPO policy of this task)');
  const defaults = { ...DEFAULT_RESIDUAL_TRAIN, ppo: mergeConfig<PpoConfig>(basePpoConfig(), RESIDUAL_PPO_DEFAULTS, 'residual.ppo') } as ResidualTrainConfig & { ppo: PpoConfig };
  const cfg = layeredConfig(defaults, ctx, 'residual');
  if (ctx.args.has('steps')) cfg.totalSteps = ctx.args.num('steps', cfg.totalSteps);
  if (ctx.args.has('envs')) cfg.ppo.numEnvs = ctx.args.num('envs', cfg.ppo.numEnvs);
  if (ctx.args.has('workers')) cfg.ppo.workers = ctx.args.num('workers', cfg.ppo.workers);
  if (ctx.args.has('backend')) cfg.backend = ctx.args.str('backend');
  const seed = ctx.args.num('seed', 0);
  const run = new RunFolder(ctx, 'residual');
  // Read and check the base before anything is written: a missing or broken artifact is one clear line, and a
  // base of another task a usage error, with no run folder left behind.
  let baseArt: PolicyArtifact;
  try {
    baseArt = await readArtifact(base);
  } catch (e) {
    throw new Error(`--base: ${(e as Error).message}`);
  }
  // A base of another task is allowed when its observation/action layout is the task's (checked once the env is
  // built, below): residual adaptation, e.g. go1-flat → go1-rough.
  // The run folder appears with the first iteration's metrics (or at the end, if interrupted before one): a base
  // whose sizes do not fit the task is found while the env is built, and must leave nothing behind either.
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    run.writeConfig({ task: ctx.task, algo: 'residual', base, seed, residual: cfg });
  };
  const t0 = performance.now();
  let r;
  try {
    r = await trainResidual({
      task: ctx.task, base: baseArt, seed, signal: ctx.signal,
      config: { ...cfg, ppo: cfg.ppo as DeepPartial<PpoConfig> },
      onProgress: (p) => {
        start();
        run.metric({ iteration: p.iteration, envSteps: p.envSteps, meanReturn: p.meanReturn, successRate: p.successRate, episodes: p.episodes, ...p.stats });
        const el = (performance.now() - t0) / 1000;
        const sps = p.envSteps / Math.max(1e-9, el);
        run.show({ iteration: p.iteration, envSteps: p.envSteps, stepsPerS: sps, meanReturn: p.meanReturn, meanLength: null, terms: {}, fraction: p.envSteps / p.totalSteps, etaS: (p.totalSteps - p.envSteps) / sps, extra: `success ${p.successRate === null ? '–' : (100 * p.successRate).toFixed(0) + '%'} std ${p.stats.actionStd.toFixed(3)}` });
      },
    });
  } catch (e) {
    if (/base policy was trained on|base is \d+→\d+|unknown task/.test((e as Error).message)) throw new UsageError((e as Error).message);
    throw e;
  }
  start();
  await run.savePolicy(r.artifact);
  run.done();
  console.log(`run folder: ${run.dir}\npolicy:     ${run.policyPath}\nlast rollout success ${r.lastSuccessRate === null ? '–' : (100 * r.lastSuccessRate).toFixed(1) + '%'} after ${r.seconds.toFixed(0)} s`);
  return ctx.signal.aborted ? 130 : 0;
}
