/**
 * `npm run bench:train`: wall-clock minutes and env steps until go1-flat tracks a forward command of 0.5–1.0 m/s.
 *
 * Tracking (checked every --eval-every minutes of training, evaluation time not counted): over 20-s episodes
 * (one per env, 16 envs, default domain randomization, commands vx ~ U(0.5, 1.0), vy = yaw rate = 0),
 *   survival = fraction of episodes that end by time-out, not by a fall/termination  ≥ 0.9, and
 *   vel_err_mps = mean over all steps of ‖v_xy − cmd_xy‖ (base frame, from the privileged base_lin_vel) < 0.2.
 * Training commands: the task's default config except the command ranges, which are the forward range the
 * bench asks about (vx ~ U(0, 1.1), vy = yaw = 0; zeroBelow 0.2 keeps some stand-still commands) — a CPU
 * budget spent on the asked skill. Override with --set envOverrides.commands.… like `s2r train`.
 *
 * `--policy <artifact>` skips training and applies the same check to an existing policy.
 * Options: --minutes M (default 30), --eval-every M (default 2), --out dir, --set k=v (PPO config), --envs N,
 *          --workers W, --seed N. Writes curve.png (return vs wall-clock) and bench.json into the run folder.
 * Last line: {"bench":"train","task":"go1-flat","minutes_to_walk":…|null,"env_steps":…,"survival":…,"vel_err_mps":…}
 */
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs, parseSets } from '@s2r/core';
import type { VecEnv } from '@s2r/sim/env/types.ts';
import { trainPpo, type IterationMetrics } from '../src/ppo/train.ts';
import { policyFromArtifact, type Policy } from '../src/policy.ts';
import { lineChartPng } from '../src/plot/line-chart.ts';

const args = parseArgs(process.argv.slice(2), { values: ['minutes', 'eval-every', 'out', 'set', 'envs', 'workers', 'seed', 'eval-envs', 'policy'] });
const minutes = args.num('minutes', 30);
const evalEvery = args.num('eval-every', 2);
const evalEnvs = args.num('eval-envs', 16);
const TASK = 'go1-flat';
const outDir = args.str('out', join('runs', `bench-train-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}`));

interface EvalOut {
  survival: number;
  velErr: number;
  episodes: number;
  evalS: number;
}

/** One 20-s episode per env under forward commands; survival and mean xy velocity error. */
async function evaluate(policy: Policy, seed: number): Promise<EvalOut> {
  const t0 = performance.now();
  const { makeVecEnv } = (await import('@s2r/sim/env/vec-env.ts')) as { makeVecEnv: (t: string, o: unknown) => Promise<VecEnv> };
  const vec = await makeVecEnv(TASK, {
    numEnvs: evalEnvs,
    workers: Math.min(2, evalEnvs),
    seed,
    print: false,
    overrides: { episodeLengthS: 20, commands: { linVelX: [0.5, 1.0], linVelY: [0, 0], angVelYaw: [0, 0], zeroBelow: 0, resampleS: 20 } },
  });
  try {
    const N = vec.numEnvs;
    const D = vec.observationSpec.size;
    const A = vec.actionSpec.size;
    const P = vec.privilegedSpec?.size ?? 0;
    const cmdAt = offsetOf(vec.observationSpec.terms, 'velocity_command');
    const velAt = vec.privilegedSpec ? offsetOf(vec.privilegedSpec.terms, 'base_lin_vel') : -1;
    if (cmdAt < 0 || velAt < 0) throw new Error('go1-flat specs lack velocity_command / privileged base_lin_vel');
    const done = new Uint8Array(N);
    let survived = 0;
    let finished = 0;
    let errSum = 0;
    let errN = 0;
    const actions = new Float32Array(N * A);
    policy.reset();
    while (finished < N) {
      for (let i = 0; i < N; i++) {
        actions.set(policy.act(vec.obs.subarray(i * D, i * D + D)), i * A);
        if (!done[i]) {
          // error of the state the action is taken in (before stepping); command and velocity in the base frame
          const ex = vec.obs[i * D + cmdAt]! - vec.privileged[i * P + velAt]!;
          const ey = vec.obs[i * D + cmdAt + 1]! - vec.privileged[i * P + velAt + 1]!;
          errSum += Math.hypot(ex, ey);
          errN++;
        }
      }
      const eps = await vec.step(actions);
      for (const e of eps) {
        if (done[e.env]) continue;
        done[e.env] = 1;
        finished++;
        if (e.truncated && !e.terminated) survived++;
      }
    }
    return { survival: survived / N, velErr: errSum / Math.max(1, errN), episodes: N, evalS: (performance.now() - t0) / 1000 };
  } finally {
    await vec.close();
  }
}

function offsetOf(terms: { name: string; size: number }[], name: string): number {
  let o = 0;
  for (const t of terms) {
    if (t.name === name) return o;
    o += t.size;
  }
  return -1;
}

// --policy <artifact>: no training; apply the same tracking check to an existing policy (e.g. the committed one).
const only = args.str('policy');
if (only) {
  const { loadPolicy } = await import('../src/policy.ts');
  const ev = await evaluate(await loadPolicy(only), 1000);
  console.log(JSON.stringify({ bench: 'train', task: TASK, policy: only, tracks: ev.survival >= 0.9 && ev.velErr < 0.2, survival: Number(ev.survival.toFixed(3)), vel_err_mps: Number(ev.velErr.toFixed(3)), episodes: ev.episodes }));
  process.exit(0);
}

const layers: Record<string, unknown>[] = [
  { maxMinutes: minutes, totalSteps: 0, envOverrides: { commands: { linVelX: [0, 1.1], linVelY: [0, 0], angVelYaw: [0, 0] } } },
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
const evals: { minutes: number; envSteps: number; survival: number; velErr: number }[] = [];
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
    const ev = await evaluate(policy, evalSeed++);
    lastEval = ev;
    evals.push({ minutes: m.wallS / 60, envSteps: m.envSteps, survival: ev.survival, velErr: ev.velErr });
    console.log(`eval @ ${(m.wallS / 60).toFixed(1)} min, ${m.envSteps} steps: survival ${ev.survival.toFixed(2)}, vel err ${ev.velErr.toFixed(3)} m/s (${ev.evalS.toFixed(0)} s, not counted)`);
    if (ev.survival >= 0.9 && ev.velErr < 0.2) {
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
const out = {
  bench: 'train',
  task: TASK,
  minutes_to_walk: w ? Number(w.minutes.toFixed(2)) : null,
  env_steps: w ? w.envSteps : lastSteps,
  survival: ev ? Number(ev.survival.toFixed(3)) : null,
  vel_err_mps: ev ? Number(ev.velErr.toFixed(3)) : null,
  budget_minutes: minutes,
  steps_per_s: Math.round(metrics.length ? metrics[metrics.length - 1]!.stepsPerS : 0),
  collect_share: Number((collect / Math.max(1, collect + update)).toFixed(3)),
  update_share: Number((update / Math.max(1, collect + update)).toFixed(3)),
  evals,
  run_dir: result.runDir,
  curve: join(result.runDir, 'curve.png'),
};
await writeFile(join(result.runDir, 'bench.json'), JSON.stringify(out, null, 2));
const { evals: _e, ...line } = out;
console.log(JSON.stringify(line));
