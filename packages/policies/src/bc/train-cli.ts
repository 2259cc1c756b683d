/** `npx s2r train <task> --algo bc --demos DIR`: behaviour cloning with an MLP (the plug-in for --algo bc). */
import { UsageError } from '@s2r/core';
import { DEFAULT_BC_TRAIN, trainBc } from './train.ts';
import { loadDemos } from '../demos/store.ts';
import { layeredConfig, rejectFlags, RunFolder, type TrainCliCtx } from '../demos/train-cli-common.ts';

export async function trainFromCli(ctx: TrainCliCtx): Promise<number> {
  rejectFlags(ctx, 'bc', ['base', 'envs', 'workers', 'steps', 'minutes']);
  const demosDir = ctx.args.str('demos');
  if (!demosDir) throw new UsageError('--algo bc needs --demos <dir> (from `s2r collect`)');
  const cfg = layeredConfig(DEFAULT_BC_TRAIN, ctx, 'bc');
  if (ctx.args.has('seed')) cfg.seed = ctx.args.num('seed', 0);
  if (ctx.args.has('backend')) cfg.backend = ctx.args.str('backend');
  const demos = loadDemos(demosDir);
  if (demos.meta.task !== ctx.task) throw new UsageError(`--demos ${demosDir} were collected on "${demos.meta.task}", not "${ctx.task}"`);
  const run = new RunFolder(ctx, 'bc');
  run.writeConfig({ task: ctx.task, algo: 'bc', demos: demosDir, bc: cfg });
  const r = await trainBc({
    demos, config: cfg, out: run.policyPath, signal: ctx.signal,
    onProgress: (p) => {
      run.metric({ iteration: p.iteration, loss: p.loss, lr: p.lr, elapsedS: p.elapsedS });
      const rate = p.iteration / Math.max(1e-9, p.elapsedS);
      run.show({ iteration: p.iteration, envSteps: 0, stepsPerS: 0, meanReturn: null, meanLength: null, terms: {}, fraction: p.iteration / p.iterations, etaS: (p.iterations - p.iteration) / rate, extra: `loss ${p.loss.toFixed(4)} ${rate.toFixed(1)} it/s` });
    },
  });
  run.done();
  console.log(`run folder: ${run.dir}\npolicy:     ${run.policyPath}\nfinal loss ${r.finalLoss.toFixed(4)} after ${r.seconds.toFixed(0)} s`);
  return ctx.signal.aborted ? 130 : 0;
}
