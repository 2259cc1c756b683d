/**
 * `npx s2r sim2sim <policy>`: the policy in Rapier and in MuJoCo WASM on the same URDF, through the same deploy
 * stack, side by side per seed. Ends with one JSON line.
 */
import { existsSync } from 'node:fs';
import { parseArgs, UsageError, type Command } from '@s2r/core';
import { parseCommandSchedule } from '../policy/command-schedule.ts';
import { runSim2Sim } from '../sim2sim/sim2sim.ts';
import type { EpisodeResult } from '../sim2sim/run.ts';

/** npm start's 20 s schedule: forward, turn while walking, sideways, forward (vx m/s, vy m/s, yaw rad/s @ s). */
const DEFAULT_COMMANDS = '0.8,0,0@0;0.6,0,0.6@6;0.3,0.3,0@11;0.8,0,0@15';

const usage = `Usage: npx s2r sim2sim <policy.json|model.onnx> [options]

Runs the policy through the deploy stack (observation function, action clip/scale/offset, safety layer's limit clamp
and target rate limit, PD) against Rapier — the simulator it trained in — and MuJoCo WASM on the same URDF, in
lock-step (not real time), with the same seeded initial pose and sensor noise. Prints both engines side by side per
seed: distance walked, velocity and yaw-rate tracking error, falls. The last line is one JSON object.

Options:
  --engine mujoco       the second engine (the only one today; Rapier is always the reference)
  --robot <urdf>        robot (default: the one the policy trained on)
  --commands SPEC       'vx,vy,wz@t;...' (default ${DEFAULT_COMMANDS})
  --duration S          seconds of policy control per episode (default 20)
  --seeds 1,2,3         seeds: initial joint offsets U(±0.05 rad) and sensor noise draws (default 1,2,3)
  --dt S                physics step for both engines (default: the policy's training dt); the decimation is scaled
                        so the policy rate is unchanged — checks a policy trained on coarse physics
  --noise X             sensor noise × legged_gym's levels (default 1; 0 = none)
  --layout, --joint-order, --zero-terms   for ONNX policies, as in s2r deploy
  --json                print only the JSON line`;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const r3 = (x: number) => Math.round(x * 1000) / 1000;

function summary(es: EpisodeResult[]) {
  return { distance_m: r3(mean(es.map((e) => e.distance_m))), vel_err: r3(mean(es.map((e) => e.vel_err))), yaw_err: r3(mean(es.map((e) => e.yaw_err))), falls: es.reduce((a, e) => a + e.falls, 0) };
}

export const command: Command = {
  name: 'sim2sim',
  summary: 'Run a policy in Rapier and MuJoCo WASM side by side (same URDF, observation, actions, PD)',
  usage,
  async run(argv) {
    const a = parseArgs(argv, { values: ['engine', 'robot', 'commands', 'duration', 'seeds', 'dt', 'noise', 'layout', 'joint-order', 'zero-terms'], booleans: ['json'] });
    const policy = a.positional[0];
    if (!policy) throw new UsageError('missing <policy.json|model.onnx>');
    if (a.positional.length > 1) throw new UsageError(`unexpected argument "${a.positional[1]}"`);
    if (!existsSync(policy)) throw new UsageError(`${policy}: no such file`);
    const engine = a.str('engine', 'mujoco');
    if (engine !== 'mujoco') throw new UsageError(`--engine must be mujoco (the only second engine), got "${engine}"`);
    const seeds = a.str('seeds', '1,2,3').split(',').map((s) => {
      const n = Number(s.trim());
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`--seeds: "${s}" is not a non-negative integer`);
      return n;
    });
    const duration = a.num('duration', 20);
    if (!(duration > 0)) throw new UsageError(`--duration must be > 0 s, got ${duration}`);
    const noise = a.num('noise', 1);
    if (!(noise >= 0)) throw new UsageError(`--noise must be ≥ 0, got ${noise}`);
    const list = (k: string) => a.str(k)?.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
    const quiet = a.has('json');
    const say = (l: string) => {
      if (!quiet) console.log(l);
    };
    const commands = a.str('commands', DEFAULT_COMMANDS);
    const r = await runSim2Sim({
      policy, robot: a.str('robot'), layout: a.str('layout'), jointOrder: list('joint-order'), zeroTerms: list('zero-terms'),
      commands: parseCommandSchedule(commands), durationS: duration, seeds, dt: a.num('dt'), noise, log: quiet ? undefined : (l) => process.stderr.write(l + '\n'),
    });
    const by = (eng: string) => r.episodes.filter((e) => e.engine === eng);
    say(`sim2sim ${policy} on ${r.robot}`);
    say(`  physics dt ${r.dt} s × decimation ${r.decimation} = policy ${r.policy_rate_hz} Hz; commands ${commands}; ${duration} s per episode; noise × ${noise}`);
    say(`  rapier: ${r.rapier.flavor}, solver iterations ${r.rapier.solver_iterations ?? 'default'}; mujoco: ${r.mujoco.cone}`);
    say('');
    say(`  seed │ ${'rapier'.padEnd(33)} │ ${'mujoco'.padEnd(33)} │ Δ distance`);
    say(`       │ ${'dist m'.padStart(7)} ${'vel err'.padStart(8)} ${'yaw err'.padStart(8)} ${'falls'.padStart(6)} │ ${'dist m'.padStart(7)} ${'vel err'.padStart(8)} ${'yaw err'.padStart(8)} ${'falls'.padStart(6)} │`);
    const row = (e: EpisodeResult | undefined) => (e ? `${e.distance_m.toFixed(2).padStart(7)} ${e.vel_err.toFixed(3).padStart(8)} ${e.yaw_err.toFixed(3).padStart(8)} ${String(e.falls).padStart(6)}` : ''.padEnd(32));
    for (const s of seeds) {
      const ra = by('rapier').find((e) => e.seed === s);
      const mu = by('mujoco').find((e) => e.seed === s);
      const d = ra && mu && ra.distance_m > 0 ? `${(((mu.distance_m - ra.distance_m) / ra.distance_m) * 100).toFixed(1)}%` : '–';
      say(`  ${String(s).padStart(4)} │ ${row(ra)} │ ${row(mu)} │ ${d.padStart(8)}`);
    }
    const R = summary(by('rapier'));
    const M = summary(by('mujoco'));
    const ratio = R.distance_m > 0 ? r3(M.distance_m / R.distance_m) : null;
    say(`  mean │ ${row({ ...R, engine: '', seed: 0, policy_steps: 0, safety_interventions: 0 })} │ ${row({ ...M, engine: '', seed: 0, policy_steps: 0, safety_interventions: 0 })} │ ${ratio === null ? '–' : `${((ratio - 1) * 100).toFixed(1)}%`.padStart(8)}`);
    console.log(JSON.stringify({
      sim2sim: 'done', policy, robot: r.robot, engines: ['rapier', 'mujoco'], seeds, commands, duration_s: duration, dt: r.dt, decimation: r.decimation, policy_rate_hz: r.policy_rate_hz,
      rapier: R, mujoco: M, mujoco_over_rapier_distance: ratio, per_seed: r.episodes,
    }));
    return 0;
  },
};
