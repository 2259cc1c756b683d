/**
 * `npm run bench:loop`: the control loop at 500 Hz and at 1 kHz, with a legged_gym-sized MLP policy at 50 Hz, against
 * the sim hardware (s2r-go1 in Rapier in real time, its own thread). Lateness = wake time − deadline.
 * Duration per rate: BENCH_LOOP_S seconds of policy control (default 60), after a 1 s soft start.
 * Last line: {"bench":"loop","hz500":{"p50_us","p99_us","max_us","missed","running":{…}},"hz1000":{…}} where the main
 * figures cover the whole run and `running` only the ticks with the policy in control (after the 1 s soft start).
 */
import { fileURLToPath } from 'node:url';
import { loadRobotConfig, loadUrdf } from '@s2r/core';
import { deploy } from '../src/deploy.ts';

const seconds = Number(process.env.BENCH_LOOP_S ?? 60);
if (!(seconds > 0)) throw new Error(`BENCH_LOOP_S must be a positive number of seconds, got "${process.env.BENCH_LOOP_S}"`);
const robot = fileURLToPath(new URL('../../../hardware/robots/s2r-go1/s2r-go1.urdf', import.meta.url));
const model = loadUrdf(robot);
const side = loadRobotConfig(model); // the robot's s2r.json, through the one loader
const joints = [...model.actuatedJoints];
const policyModule = fileURLToPath(new URL('./mlp-policy.ts', import.meta.url));

type Fig = { p50_us: number; p99_us: number; max_us: number; missed: number };
const out: Record<string, Fig & { running: Fig & { ticks: number } }> = {};
for (const hz of [500, 1000]) {
  const s = await deploy({
    policy: { module: policyModule, export: 'benchMlpPolicy', options: { joints, defaultPose: Array.from(side.defaultJointPos) } },
    robot,
    hardware: 'sim',
    rateHz: hz,
    policyRateHz: 50,
    durationS: seconds,
    safety: { softStartS: 1, softStopS: 0.2 },
    handleSigint: true,
  });
  console.log(JSON.stringify({ rate_hz: hz, ticks: s.ticks, loop_p50_us: s.loop_p50_us, loop_p99_us: s.loop_p99_us, loop_max_us: s.loop_max_us, exec_p99_us: s.exec_p99_us, missed: s.missed_deadlines, falls: s.falls, interventions: s.safety_interventions, inference: (s.policy_stats as any).inference, physics_max_lag_us: s.hardware_stats.physics_max_lag_us }));
  // Main keys: the whole run (soft start and soft stop included). `running`: only the ticks with the policy in control.
  out[`hz${hz}`] = { p50_us: s.loop_p50_us, p99_us: s.loop_p99_us, max_us: s.loop_max_us, missed: s.missed_deadlines, running: s.running };
}
console.log(JSON.stringify({ bench: 'loop', duration_s: seconds, hz500: out.hz500, hz1000: out.hz1000 }));
