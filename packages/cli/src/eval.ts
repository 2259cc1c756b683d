/**
 * `npx s2r eval <run|artifact|model.onnx>`: mean return and success rate with 95% bootstrap CIs; over several seeds
 * the interquartile mean too (rliable style). Ends with one JSON line.
 *
 * It lives in the CLI package because it composes two packages: @s2r/policies (artifacts, the evaluator) and, for
 * ONNX files, @s2r/bridge's ONNX layout adapter — policies must not depend on the bridge.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, parseSets, UsageError, type Command } from '@s2r/core';
import { loadPolicy, evaluatePolicy, type EvalOptions, type Policy } from '@s2r/policies';
import type { Summary } from '@s2r/policies/stats.ts';
import { recordEpisodes } from '@s2r/policies/record-episodes.ts';
import { onnxEvalPolicy } from '@s2r/bridge/policy/onnx-eval.ts';

const usage = `Usage: npx s2r eval <run-folder|policy.json|model.onnx> [options]

Run the policy deterministically (mean action) and report mean return and success rate with 95% bootstrap
confidence intervals; with several seeds also the interquartile mean (IQM) of returns, bootstrap stratified by seed.
Success = the task's success flag, or for tasks without one, episodes that end by time-out (no fall/termination).

Options:
  --episodes N      episodes per seed (default 20)
  --seeds 1,2,3     evaluation seeds (default 1)
  --task <name>     task to evaluate on (default: the task the policy was trained on; specs must match)
  --envs N          envs in parallel (default min(episodes, 16))
  --workers W       worker threads (default 0)
  --set key=value   task config override for evaluation (repeatable), e.g. --set episodeLengthS=20
  --record <out.mcap>  also record whole episodes (robot, joint states, actions, reward terms, contacts, DR
                       values) to MCAP for \`s2r view\`; seeds continue from the first --seeds value
  --record-episodes N  episodes to record (default 1)
  --overwrite       replace an existing --record file (without it, an existing file is refused before evaluating)
  --json            print only the JSON line

ONNX policies (docs/deploy-onnx.md) run on a locomotion task (--task, default go1-flat), their observation built
from the env's readings by the layout; base_lin_vel comes from the env's true state:
  --layout NAME|FILE   isaaclab | mjlab | legged_gym | unitree_rl_gym | playground, or a layout JSON file
  --joint-order a,b,c  --zero-terms t1,t2   as in s2r deploy`;

function fmt(s: Summary, digits = 2): string {
  return `${s.mean.toFixed(digits)}  [95% CI ${s.ci95[0].toFixed(digits)}, ${s.ci95[1].toFixed(digits)}]`;
}

export const command: Command = {
  name: 'eval',
  summary: 'Evaluate a run or policy artifact with confidence intervals',
  usage,
  async run(argv) {
    const args = parseArgs(argv, { values: ['episodes', 'seeds', 'task', 'envs', 'workers', 'record', 'record-episodes', 'set', 'layout', 'joint-order', 'zero-terms'], booleans: ['json', 'overwrite'] });
    const target = args.positional[0];
    if (!target) throw new UsageError('missing <run-folder|policy.json>');
    let path = target;
    if (existsSync(target) && statSync(target).isDirectory()) {
      path = join(target, 'policy.json');
      if (!existsSync(path)) throw new UsageError(`${target} is a folder without policy.json (not a run folder?)`);
    } else if (!existsSync(target)) throw new UsageError(`${target}: no such file or folder`);
    const seeds = args.str('seeds', '1').split(',').map((s) => {
      const n = Number(s.trim());
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`--seeds: "${s}" is not a non-negative integer`);
      return n;
    });
    const episodes = args.num('episodes', 20);
    if (!Number.isInteger(episodes) || episodes < 1) throw new UsageError('--episodes must be a positive integer');
    const recordEpisodesN = args.num('record-episodes', 1);
    // Checked up front: the recording file is created only after the (slow) evaluation.
    if (!Number.isInteger(recordEpisodesN) || recordEpisodesN < 1) throw new UsageError(`--record-episodes must be a positive integer, got ${recordEpisodesN}`);
    const envOverrides: Record<string, unknown> = {};
    Object.assign(envOverrides, parseSets(args.all('set')));
    const isOnnx = path.toLowerCase().endsWith('.onnx');
    const list = (k: string) => args.str(k)?.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
    if (!isOnnx && (args.str('layout') || args.str('joint-order') || args.str('zero-terms'))) throw new UsageError('--layout, --joint-order and --zero-terms apply to .onnx policies');
    if (isOnnx && !args.str('layout')) throw new UsageError(`${path}: an ONNX policy needs --layout`);
    if (isOnnx && args.str('record')) throw new UsageError('--record is not supported for ONNX policies yet (record a deploy to the sim hardware instead)');
    const task = isOnnx ? args.str('task', 'go1-flat') : args.str('task');
    const policy: Policy = isOnnx
      ? ((await onnxEvalPolicy({ onnx: path, layout: args.str('layout')!, jointOrder: list('joint-order'), zeroTerms: list('zero-terms'), task: task! })) as unknown as Policy)
      : await loadPolicy(path);
    if (isOnnx && !args.has('json')) for (const l of (policy as unknown as { describe(): string[] }).describe()) console.log(l);
    const opts: EvalOptions = { task, episodes, seeds, numEnvs: args.num('envs'), workers: args.num('workers', 0), envOverrides };
    const recordPath = args.str('record');
    // Refused before the (slow) evaluation, not after it: the recorder never replaces a file unless told to.
    if (recordPath && existsSync(recordPath) && !args.has('overwrite')) throw new UsageError(`--record ${recordPath}: file exists; refusing to overwrite it (pass --overwrite)`);
    const r = await evaluatePolicy(policy, opts);
    // The statistics come from the parallel evaluation above; the recording replays whole episodes in this thread
    // so it can carry the robot itself (joint states, link poses, contacts, DR values), which the viewer needs.
    let recorded: Awaited<ReturnType<typeof recordEpisodes>> | null = null;
    if (recordPath) {
      recorded = await recordEpisodes(policy, {
        task: opts.task ?? policy.meta.task,
        path: recordPath,
        episodes: recordEpisodesN,
        seed: seeds[0],
        envOverrides,
        meta: { policy: path, source: 's2r eval' },
        overwrite: args.has('overwrite'),
      });
    }
    const json = {
      eval: r.task,
      policy: path,
      seeds: r.seeds,
      episodes_per_seed: r.episodesPerSeed,
      mean_return: r.return.mean,
      return_ci95: r.return.ci95,
      success_rate: r.success.mean,
      success_ci95: r.success.ci95,
      mean_length: r.length.mean,
      return_iqm: r.returnIqm?.mean ?? null,
      return_iqm_ci95: r.returnIqm?.ci95 ?? null,
      per_seed: r.perSeed,
    };
    if (!args.has('json')) {
      console.log(`task ${r.task}, ${r.seeds.length} seed(s) × ${r.episodesPerSeed} episodes, policy ${path}`);
      console.log(`  return        ${fmt(r.return)}`);
      console.log(`  success rate  ${fmt(r.success, 3)}`);
      console.log(`  ep length     ${fmt(r.length, 1)}`);
      if (r.returnIqm) console.log(`  return IQM    ${fmt(r.returnIqm)}  (stratified bootstrap over seeds)`);
      for (const s of r.perSeed) console.log(`  seed ${s.seed}: return ${s.meanReturn.toFixed(2)}, success ${s.successRate.toFixed(3)}`);
      if (recordPath) console.log(`  recording → ${recordPath} (${recorded!.length} episode(s): ${recorded!.map((e) => `return ${e.return.toFixed(2)}, ${e.length} steps`).join('; ')})`);
    }
    console.log(JSON.stringify(json));
    return 0;
  },
};
