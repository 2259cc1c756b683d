/**
 * `npm run bench:train`: wall-clock minutes and env steps until go1-flat has a skill, trained from scratch with the
 * default config.
 *
 * --skill forward (default): tracks a forward command of 0.5–1.0 m/s. Checked every --eval-every minutes of
 *   training (evaluation time not counted): over 20-s episodes (one per env, 16 envs, default domain randomization,
 *   commands vx ~ U(0.5, 1.0), vy = yaw rate = 0),
 *     survival = fraction of episodes that end by time-out, not by a fall/termination  ≥ 0.9, and
 *     vel_err_mps = mean over all steps of ‖v_xy − cmd_xy‖ (base frame, from the privileged base_lin_vel) < 0.2.
 *   Training commands: the default config except the command ranges, which are the forward range asked about
 *   (vx ~ U(0, 1.1), vy = yaw = 0; zeroBelow 0.2 keeps some stand-still commands).
 * --skill joystick: the task's default config as is (the joystick recipe: vx −0.5…1.0, vy ±0.4, yaw ±0.8, default
 *   DR with pushes), checked on the command grid of src/command-grid.ts (36 cells × --grid-seeds episodes of 20 s):
 *   every cell lin err < 0.2 m/s, yaw err < 0.3 rad/s, survival ≥ 0.9; grid means < 0.15, < 0.2, ≥ 0.95.
 * Override either with --set (PPO config, envOverrides.… for the task) like `s2r train`.
 *
 * `--policy <artifact>` skips training and applies the same check to an existing policy.
 * Options: --skill forward|joystick, --minutes M (default 30), --eval-every M (default 2, joystick 3), --out dir,
 *          --set k=v, --envs N, --workers W, --seed N, --grid-seeds S (default 3). Writes curve.png (return vs
 *          wall-clock) and bench.json into the run folder.
 * Last line: {"bench":"train","task":"go1-flat","skill":…,"minutes_to_walk":…|null,"env_steps":…,"survival":…,
 *   "vel_err_mps":…,"yaw_err":…,"worst_cell":…,"steps_per_s":…,"collect_share":…,"update_share":…,"collect_ms":…,
 *   "update_ms":…,"iteration_ms":…,"policy_lag":…,"load_avg_1m":…}. For joystick, survival / vel_err_mps /
 *   yaw_err are the grid means and minutes_to_walk is the time to pass the grid.
 */
import { loadavg } from 'node:os';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs, parseSets } from '@s2r/core';
import type { VecEnv } from '@s2r/sim/env/types.ts';
import { trainPpo, type IterationMetrics } from '../src/ppo/train.ts';
import { policyFromArtifact, type Policy } from '../src/policy.ts';
import { lineChartPng } from '../src/plot/line-chart.ts';
import { evaluateCommandGrid, gridVerdict, type CellResult } from '../src/command-grid.ts';

const args = parseArgs(process.argv.slice(2), { values: ['minutes', 'eval-every', 'out', 'set', 'envs', 'workers', 'seed', 'eval-envs', 'policy', 'skill', 'grid-seeds'] });
const skill = args.str('skill', 'forward');
if (skill !== 'forward' && skill !== 'joystick') throw new Error(`--skill ${skill}: expected forward or joystick`);
const minutes = args.num('minutes', 30);
const evalEvery = args.num('eval-every', skill === 'joystick' ? 3 : 2);
const gridSeeds = args.num('grid-seeds', 3);
const evalEnvs = args.num('eval-envs', 16);
const TASK = 'go1-flat';
const outDir = args.str('out', join('runs', `bench-train-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}`));

interface EvalOut {
  survival: number;
  velErr: number;
  yawErr: number;
  /** Joystick: the cell furthest from passing; forward: null. */
  worst: { cmd: number[]; lin_err: number; yaw_err: number; survival: number } | null;
  pass: boolean;
  episodes: number;
  evalS: number;
}

const r3 = (x: number) => Number(x.toFixed(3));
const cellJson = (c: CellResult) => ({ cmd: c.cmd, lin_err: r3(c.linErr), yaw_err: r3(c.yawErr), survival: r3(c.survival) });

/** The joystick check: the command grid, every cell and the means. */
async function evaluateGrid(policy: Policy, seed: number): Promise<EvalOut & { cells: CellResult[] }> {
  const t0 = performance.now();
  const { makeVecEnv } = (await import('@s2r/sim/env/vec-env.ts')) as { makeVecEnv: (t: string, o: unknown) => Promise<VecEnv> };
  const cells = await evaluateCommandGrid(policy, { task: TASK, seedsPerCell: gridSeeds, seed, workers: 2, makeVecEnv });
  const v = gridVerdict(cells);
  return { survival: v.survival, velErr: v.linErr, yawErr: v.yawErr, worst: cellJson(v.worst), pass: v.pass, episodes: cells.length * gridSeeds, evalS: (performance.now() - t0) / 1000, cells };
}

const check = (policy: Policy, seed: number): Promise<EvalOut> => (skill === 'joystick' ? evaluateGrid(policy, seed) : evaluate(policy, seed));

/**
 * The forward check: one 20-s episode per env, env k commanded vx = 0.5 + 0.5·k/(n−1) (evenly over the forward
 * range; earlier versions drew vx ~ U(0.5, 1.0) per env), vy = yaw = 0; means over the envs.
 */
async function evaluate(policy: Policy, seed: number): Promise<EvalOut> {
  const t0 = performance.now();
  const { makeVecEnv } = (await import('@s2r/sim/env/vec-env.ts')) as { makeVecEnv: (t: string, o: unknown) => Promise<VecEnv> };
  const cells = Array.from({ length: evalEnvs }, (_, k): [number, number, number] => [0.5 + (0.5 * k) / Math.max(1, evalEnvs - 1), 0, 0]);
  const res = await evaluateCommandGrid(policy, { task: TASK, cells, seedsPerCell: 1, seed, workers: Math.min(2, evalEnvs), makeVecEnv });
  const v = gridVerdict(res);
  return { survival: v.survival, velErr: v.linErr, yawErr: v.yawErr, worst: null, pass: v.survival >= 0.9 && v.linErr < 0.2, episodes: res.length, evalS: (performance.now() - t0) / 1000 };
}

// --policy <artifact>: no training; apply the same check to an existing policy (e.g. the committed one).
const only = args.str('policy');
if (only) {
  const { loadPolicy } = await import('../src/policy.ts');
  const ev = await check(await loadPolicy(only), 1000);
  const cells = 'cells' in ev ? { cells: (ev.cells as CellResult[]).map(cellJson) } : {};
  if ('cells' in ev) console.log(JSON.stringify(cells));
  console.log(JSON.stringify({ bench: 'train', task: TASK, skill, policy: only, tracks: ev.pass, survival: r3(ev.survival), vel_err_mps: r3(ev.velErr), yaw_err: r3(ev.yawErr), worst_cell: ev.worst, episodes: ev.episodes, eval_s: Math.round(ev.evalS), load_avg_1m: Number(loadavg()[0]!.toFixed(2)) }));
  process.exit(0);
}

const layers: Record<string, unknown>[] = [
  skill === 'forward'
    ? { maxMinutes: minutes, totalSteps: 0, envOverrides: { commands: { linVelX: [0, 1.1], linVelY: [0, 0], angVelYaw: [0, 0] } } }
    : { maxMinutes: minutes, totalSteps: 0 },
  parseSets(args.all('set')),
];
const flags: Record<string, unknown> = {};
if (args.has('envs')) flags.numEnvs = args.num('envs');
if (args.has('workers')) flags.workers = args.num('workers');
if (args.has('seed')) flags.seed = args.num('seed');
layers.push(flags);

let nextEval = evalEvery * 60;
let walked: { minutes: number; envSteps: number; ev: EvalOut } | null = null;
let lastEval: EvalOut | null = null;
let lastSteps = 0;
const evals: { minutes: number; envSteps: number; survival: number; velErr: number; yawErr: number; pass: boolean }[] = [];
let evalSeed = 1000;

const result = await trainPpo({
  task: TASK,
  outDir,
  overrides: layers,
  command: `npm run bench:train -- ${process.argv.slice(2).join(' ')}`,
  progress: 'lines',
  onIteration: async (m: IterationMetrics, ctx) => {
    lastSteps = m.envSteps;
    const final = m.wallS >= minutes * 60 - 1e-6;
    if (m.wallS < nextEval && !final) return;
    nextEval = m.wallS + evalEvery * 60;
    const policy = await policyFromArtifact(ctx.artifact(), 'current policy');
    const ev = await check(policy, evalSeed++);
    lastEval = ev;
    evals.push({ minutes: m.wallS / 60, envSteps: m.envSteps, survival: ev.survival, velErr: ev.velErr, yawErr: ev.yawErr, pass: ev.pass });
    console.log(`eval @ ${(m.wallS / 60).toFixed(1)} min, ${m.envSteps} steps: survival ${ev.survival.toFixed(2)}, vel err ${ev.velErr.toFixed(3)} m/s, yaw err ${ev.yawErr.toFixed(3)} rad/s${ev.worst ? `, worst cell ${JSON.stringify(ev.worst)}` : ''} (${ev.evalS.toFixed(0)} s, not counted)`);
    if (ev.pass) {
      walked = { minutes: m.wallS / 60, envSteps: m.envSteps, ev };
      return false;
    }
  },
});

// The curve: mean return vs wall-clock minutes, from metrics.jsonl.
const metrics = (await readFile(join(result.runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as IterationMetrics);
const pts = metrics.filter((m) => m.meanReturn !== null);
await writeFile(
  join(result.runDir, 'curve.png'),
  lineChartPng([{ x: pts.map((m) => m.wallS / 60), y: pts.map((m) => m.meanReturn!) }], { xLabel: 'WALL CLOCK (MIN)', yLabel: 'MEAN RETURN', title: 'GO1-FLAT PPO' }),
);
// What limits it: share of wall clock spent collecting (simulation + rollout inference) vs updating the networks.
const collect = metrics.reduce((a, m) => a + m.collectMs, 0);
const update = metrics.reduce((a, m) => a + m.update.updateMs, 0);
const w = walked as { minutes: number; envSteps: number; ev: EvalOut } | null;
const ev = w?.ev ?? (lastEval as EvalOut | null);
// Per-iteration medians (ms): with maxPolicyLag 1 collect_ms includes the update steps interleaved with it, so
// collect_ms + update_ms > iteration_ms is the overlap.
const med = (xs: number[]) => (xs.length ? Math.round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!) : null);
const out = {
  bench: 'train',
  task: TASK,
  skill,
  minutes_to_walk: w ? Number(w.minutes.toFixed(2)) : null,
  env_steps: w ? w.envSteps : lastSteps,
  survival: ev ? r3(ev.survival) : null,
  vel_err_mps: ev ? r3(ev.velErr) : null,
  yaw_err: ev ? r3(ev.yawErr) : null,
  worst_cell: ev?.worst ?? null,
  budget_minutes: minutes,
  steps_per_s: Math.round(metrics.length ? metrics[metrics.length - 1]!.stepsPerS : 0),
  collect_share: Number((collect / Math.max(1, collect + update)).toFixed(3)),
  update_share: Number((update / Math.max(1, collect + update)).toFixed(3)),
  collect_ms: med(metrics.map((m) => m.collectMs)),
  update_ms: med(metrics.map((m) => m.update.updateMs)),
  iteration_ms: med(metrics.map((m) => m.iterationMs)),
  policy_lag: metrics.length ? Number((metrics.reduce((a, m) => a + m.policyLag, 0) / metrics.length).toFixed(2)) : null,
  // How the iteration used the cores (PPO config): env workers, update threads × gradient shards, overlap.
  pipeline: { workers: result.config.workers, update_threads: result.config.updateThreads, grad_shards: result.config.gradShards, max_policy_lag: result.config.maxPolicyLag },
  load_avg_1m: Number(loadavg()[0]!.toFixed(2)),
  evals,
  run_dir: result.runDir,
  curve: join(result.runDir, 'curve.png'),
};
await writeFile(join(result.runDir, 'bench.json'), JSON.stringify(out, null, 2));
const { evals: _e, ...line } = out;
console.log(JSON.stringify(line));
