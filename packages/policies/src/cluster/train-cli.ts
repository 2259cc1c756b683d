/**
 * `s2r train <task> --cluster URL`: the flags of the cluster learner, read once here (cli/train.ts dispatches).
 * Credentials are resolved here and handed over as an authenticator; only their source is ever printed.
 */
import { UsageError, type ParsedArgs } from '@s2r/core';
import { clusterArgs } from './connect.ts';
import type { ClusterSettings } from './job.ts';

/** What cli/train.ts hands over (declared here, not imported: cli/train.ts imports this file). */
interface TrainCliContext {
  task: string;
  args: ParsedArgs;
  command: string;
  signal: AbortSignal;
}

function intFlag(ctx: TrainCliContext, name: string, fallback: number, min: number): number {
  const v = ctx.args.num(name, fallback);
  if (!Number.isInteger(v) || v < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${ctx.args.str(name)}`);
  return v;
}

export async function trainClusterFromCli(ctx: TrainCliContext, layers: Record<string, unknown>[]): Promise<number> {
  const a = ctx.args;
  const algo = a.str('algo', 'ppo');
  if (algo !== 'ppo') throw new UsageError(`--cluster trains PPO only, not --algo ${algo}`);
  const { url, auth } = clusterArgs(a);
  const cluster: ClusterSettings = {
    url,
    segmentEnvs: intFlag(ctx, 'segment-envs', 0, 0),
    maxStaleness: intFlag(ctx, 'max-staleness', 1, 0),
    deterministic: a.has('deterministic'),
    queueLimit: intFlag(ctx, 'queue', 0, 0),
    waitS: a.num('wait', 120),
    orphanS: a.num('orphan-after', 30),
  };
  if (!(cluster.orphanS! > 0)) throw new UsageError(`--orphan-after must be > 0 seconds, got ${a.str('orphan-after')}`);
  if (!(cluster.waitS > 0)) throw new UsageError(`--wait must be > 0 seconds, got ${a.str('wait')}`);
  const { trainCluster } = await import('./learner.ts');
  let r;
  try {
    r = await trainCluster({
      task: ctx.task, overrides: layers, outDir: a.str('out'), resume: a.str('resume'), backend: a.str('backend'),
      command: ctx.command, signal: ctx.signal, progress: a.str('progress', 'auto') as 'auto', cluster, auth,
    });
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) throw new UsageError((e as Error).message);
    throw e;
  }
  console.log(`run folder: ${r.runDir}\npolicy:     ${r.artifactPath}\ncheckpoint: ${r.checkpointPath}`);
  return r.stoppedBy === 'signal' ? 130 : 0;
}
