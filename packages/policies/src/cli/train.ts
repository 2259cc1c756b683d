/**
 * `npx s2r train <task>`: PPO by default; the other algorithms (diffusion, residual, bc) are
 * `src/<algo>/train-cli.ts` modules exporting `trainFromCli(ctx)`, listed in TRAIN_PLUGINS.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The non-PPO trainers, loaded on demand (literal specifiers: tfjs-heavy code loads only for its --algo). */
const TRAIN_PLUGINS: Record<string, () => Promise<{ trainFromCli: (ctx: TrainCliContext) => Promise<number> }>> = {
  diffusion: () => import('../diffusion/train-cli.ts'),
  bc: () => import('../bc/train-cli.ts'),
  residual: () => import('../residual/train-cli.ts'),
};
import { parseArgs, parseSets, UsageError, type Command, type ParsedArgs } from '@s2r/core';

const usage = `Usage: npx s2r train <task> [options]

Train a policy on a registered task (cartpole, go1-flat, go1-rough, z1-push). Prints a progress bar (plain
lines when stdout is not a terminal) and writes a run folder:
  config.json (fully resolved config), command.txt, metrics.jsonl, checkpoints/, policy.json (the artifact).

Options:
  --algo <ppo|diffusion|residual|bc>  algorithm (default ppo)
  --config <file.json>   config overrides as JSON (keys of the PPO config, e.g. {"learningRate": 3e-4})
  --set key=value        one override; repeatable; dots nest (--set envOverrides.episodeLengthS=10);
                         values parse as JSON when they can (--set actorHidden=[128,128])
  --seed N               root seed (network init, noise, envs)
  --envs N               parallel environments
  --workers W            worker threads stepping the envs (0 = main thread)
  --steps N              stop after N env steps (N > 0)
  --minutes M            stop after M minutes of wall clock (M > 0)
  --out <dir>            run folder (default runs/<task>-<timestamp>)
  --resume <dir>         continue a run from its newest checkpoint (episodes restart; the learner continues)
  --backend <b>          tfjs backend: tensorflow-gpu | tensorflow (tfjs-node) | wasm | cpu (default: best available)
  --demos <dir>          demonstrations (diffusion, bc)
  --base <artifact>      frozen base policy (residual)
  --progress <auto|lines|none>
  --record-every N       record one evaluation episode every N iterations to <run>/evals/ (default 100; 0 = off)
  --live WS_URL          also stream those evaluation episodes to an open viewer (the ws://…/live URL of s2r view)
  --foxglove             also serve them live to Foxglove (WebSocket protocol on 127.0.0.1; in Foxglove: Open
                         connection → Foxglove WebSocket → ws://localhost:8765)
  --foxglove-port N      port of that server (default 8765)
  --deterministic        plain-JS rollout inference even if the config says auto (timing-based), so a seed
                         gives one result; with --cluster also lock-step segments (docs/train-on-many-machines.md)

Cluster (PPO only; workers: npx s2r worker --cluster URL):
  --cluster nats://host:4222  be the learner of rollout workers over NATS JetStream
  --creds FILE           NATS credentials: .creds file, nkey seed, or one line user:password
                         (or env S2R_NATS_USER + S2R_NATS_PASSWORD, or S2R_NATS_NKEY; never in the URL)
  --segment-envs N       envs per worker segment (default --envs: one segment per update)
  --max-staleness K      drop segments more than K policy versions old (default 1; 0 = strictly on-policy)
  --queue N              undelivered segments queued before workers pause (default: one update's worth)
  --wait S               seconds any wait may last before failing with a message (default 120)
  --orphan-after S       --deterministic: free a batch part whose worker sent nothing for S seconds (default 30)

Ctrl-C saves a checkpoint and exports the policy before exiting (a second Ctrl-C exits at once).
Precedence: task defaults < --config < --set < --seed/--envs/--workers/--steps/--minutes.`;

export interface TrainCliContext {
  task: string;
  args: ParsedArgs;
  argv: string[];
  command: string;
  signal: AbortSignal;
}

function quote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export const command: Command = {
  name: 'train',
  summary: 'Train a policy (PPO, diffusion, residual) on a task',
  usage,
  async run(argv) {
    const args = parseArgs(argv, {
      values: ['algo', 'config', 'set', 'seed', 'envs', 'workers', 'steps', 'minutes', 'out', 'resume', 'backend', 'demos', 'base', 'progress', 'record-every', 'live', 'foxglove-port', 'cluster', 'creds', 'segment-envs', 'max-staleness', 'queue', 'wait', 'orphan-after'],
      booleans: ['foxglove', 'deterministic'],
    });
    const task = args.positional[0];
    if (!task) throw new UsageError('missing <task>');
    if (args.positional.length > 1) throw new UsageError(`unexpected argument "${args.positional[1]}"`);
    if (args.has('steps') && args.has('minutes')) throw new UsageError('give --steps or --minutes, not both');
    // 0 would mean "no budget" to the trainer (it runs until Ctrl-C): a typo must not start an endless run.
    for (const f of ['steps', 'minutes']) {
      const v = args.has(f) ? args.num(f) : undefined;
      if (v !== undefined && !(v > 0 && Number.isFinite(v))) throw new UsageError(`--${f} must be a number > 0, got ${v} (leave both --steps and --minutes out for the task's default budget)`);
    }
    const algo = args.str('algo', 'ppo');
    // Everything that can be checked without training is checked here, before any algorithm runs: they create
    // the run folder (runs/<task>-…) early, and a typo must not leave an empty one behind.
    const { listTasks } = await import('@s2r/sim/tasks/registry.ts');
    if (!listTasks().includes(task)) throw new UsageError(`unknown task "${task}" (registered: ${listTasks().join(', ')})`);
    const progress = args.str('progress', 'auto');
    if (!['auto', 'lines', 'none'].includes(progress)) throw new UsageError(`--progress must be auto, lines or none, got "${progress}"`);
    const recordEvery = args.num('record-every', 100);
    if (!Number.isInteger(recordEvery) || recordEvery < 0) throw new UsageError(`--record-every must be an integer ≥ 0 (0 = off), got ${recordEvery}`);
    const { serveFoxglove, foxglovePortFromFlags } = await import('@s2r/recording');
    let foxPort: number | null;
    try {
      foxPort = foxglovePortFromFlags(args.has('foxglove'), args.str('foxglove-port'));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const wantFoxglove = foxPort !== null;
    if (wantFoxglove && recordEvery === 0) throw new UsageError('--foxglove serves the evaluation episodes: it needs --record-every N > 0');
    if (wantFoxglove && algo !== 'ppo') throw new UsageError(`--foxglove serves PPO's evaluation episodes; --algo ${algo} records none`);
    const cmd = `npx s2r train ${argv.map(quote).join(' ')}`;
    const ac = new AbortController();
    let interrupts = 0;
    const onSigint = () => {
      interrupts++;
      if (interrupts === 1) {
        process.stderr.write('\ninterrupted: saving a checkpoint and the policy… (Ctrl-C again to exit now)\n');
        ac.abort();
      } else process.exit(130);
    };
    process.on('SIGINT', onSigint);
    const foxglove = foxPort !== null ? await serveFoxglove({ port: foxPort }) : null;
    if (foxglove) console.error(`Foxglove WebSocket server on ${foxglove.url}: evaluation episodes stream there as they are recorded`);
    try {
      if (algo !== 'ppo') {
        const load = Object.hasOwn(TRAIN_PLUGINS, algo) ? TRAIN_PLUGINS[algo] : undefined;
        if (!load) throw new UsageError(`unknown --algo "${algo}" (ppo, ${Object.keys(TRAIN_PLUGINS).join(', ')})`);
        const { trainFromCli } = await load();
        return await trainFromCli({ task, args, argv, command: cmd, signal: ac.signal });
      }
      const layers: Record<string, unknown>[] = [];
      const cfgPath = args.str('config');
      if (cfgPath) {
        let j: unknown;
        try {
          j = JSON.parse(await readFile(cfgPath, 'utf8'));
        } catch (e) {
          throw new UsageError(`--config ${cfgPath}: ${(e as Error).message}`);
        }
        if (!j || typeof j !== 'object' || Array.isArray(j)) throw new UsageError(`--config ${cfgPath}: expected a JSON object`);
        // A saved run's config.json nests the PPO config under "ppo": accept both.
        const o = j as Record<string, unknown>;
        layers.push((o.ppo && typeof o.ppo === 'object' ? o.ppo : o) as Record<string, unknown>);
      }
      try {
        layers.push(parseSets(args.all('set')));
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const flags: Record<string, unknown> = {};
      if (args.has('seed')) flags.seed = args.num('seed');
      if (args.has('envs')) flags.numEnvs = args.num('envs');
      if (args.has('workers')) flags.workers = args.num('workers');
      if (args.has('steps')) Object.assign(flags, { totalSteps: args.num('steps'), maxMinutes: 0 });
      if (args.has('minutes')) Object.assign(flags, { maxMinutes: args.num('minutes'), totalSteps: 0 });
      if (args.has('deterministic')) flags.rolloutInference = 'js';
      layers.push(flags);
      if (args.has('cluster')) return await (await import('../cluster/train-cli.ts')).trainClusterFromCli({ task, args, command: cmd, signal: ac.signal }, layers);
      const { trainPpo } = await import('../ppo/train.ts');
      // Periodic evaluation episodes, recorded to <run>/evals/iter-<N>.mcap for `s2r view` (time not charged
      // to the --minutes budget). A failed recording is reported and training goes on.
      const recordEval = async (m: { iteration: number }, ctx: { artifact(): unknown; runDir: string }) => {
        if (m.iteration % recordEvery !== 0) return;
        try {
          const { mkdirSync } = await import('node:fs');
          const { policyFromArtifact } = await import('../policy.ts');
          const { recordEpisodes } = await import('../record-episodes.ts');
          const dir = join(ctx.runDir, 'evals');
          mkdirSync(dir, { recursive: true });
          const path = join(dir, `iter-${String(m.iteration).padStart(6, '0')}.mcap`);
          const policy = await policyFromArtifact(ctx.artifact() as never);
          const [ep] = await recordEpisodes(policy, { task, path, episodes: 1, seed: 1000 + m.iteration, meta: { iteration: m.iteration, source: 's2r train' }, live: args.str('live'), ...(foxglove ? { foxglove } : {}) });
          if (progress !== 'none') console.log(`eval @ it ${m.iteration}: return ${ep!.return.toFixed(2)}, ${ep!.length} steps → ${path}`);
        } catch (e) {
          console.error(`eval recording at iteration ${m.iteration} failed: ${(e as Error).message}`);
        }
      };
      let r;
      try {
        r = await trainPpo({
          task,
          overrides: layers,
          outDir: args.str('out'),
          resume: args.str('resume'),
          backend: args.str('backend'),
          command: cmd,
          signal: ac.signal,
          progress: progress as 'auto' | 'lines' | 'none',
          onIteration: recordEvery > 0 ? recordEval : undefined,
        });
      } catch (e) {
        const m = (e as Error).message;
        if (e instanceof TypeError || e instanceof RangeError || /^unknown task|^--resume|backend/.test(m)) throw new UsageError(m);
        throw e;
      }
      console.log(`run folder: ${r.runDir}\npolicy:     ${r.artifactPath}\ncheckpoint: ${r.checkpointPath}`);
      return r.stoppedBy === 'signal' ? 130 : 0;
    } finally {
      process.off('SIGINT', onSigint);
      await foxglove?.close();
    }
  },
};
