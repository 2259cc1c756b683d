/**
 * `runSim2Sim`: one policy (s2r artifact or ONNX with a layout), each seed in Rapier and in MuJoCo WASM on the same
 * URDF, through the same deploy stack (see run.ts). Physics dt, decimation and Rapier settings default to what the
 * policy was trained with; `dt` runs both engines finer with the decimation scaled so the policy rate is unchanged.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadUrdf } from '@s2r/core/robot/load.ts';
import { loadRobotConfig } from '@s2r/core/robot/load-config.ts';
import { loadDeployPolicy } from '../policy/load.ts';
import type { PolicySource } from '../policy/types.ts';
import type { CommandStep } from '../policy/command-schedule.ts';
import { LEGGED_GYM_NOISE } from '../hardware/sim.ts';
import { createRapierEngine } from './rapier-engine.ts';
import { createMujocoEngine } from './mujoco-engine.ts';
import { runEpisode, type EpisodeResult } from './run.ts';
import type { Engine } from './engine.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

export interface Sim2SimOptions {
  policy: string;
  robot?: string;
  layout?: string;
  jointOrder?: string[];
  zeroTerms?: string[];
  engines?: ('rapier' | 'mujoco')[];
  commands: CommandStep[];
  durationS: number;
  seeds: number[];
  /** Physics step (s); default the policy's training dt. */
  dt?: number;
  /** × legged_gym's sensor noise (default 1). */
  noise?: number;
  log?: (line: string) => void;
}

export interface Sim2SimResult {
  policy: string;
  robot: string;
  dt: number;
  decimation: number;
  policy_rate_hz: number;
  rapier: { flavor: string; solver_iterations: number | null };
  mujoco: { cone: string };
  episodes: EpisodeResult[];
}

interface Trained {
  physicsDt?: number;
  decimation?: number;
  robot?: string;
  physics?: { flavor?: 'simd' | 'compat' | 'deterministic'; solverIterations?: number | null; internalPgsIterations?: number | null };
}

export async function runSim2Sim(o: Sim2SimOptions): Promise<Sim2SimResult> {
  const log = o.log ?? (() => {});
  const isOnnx = o.policy.toLowerCase().endsWith('.onnx');
  let trained: Trained = {};
  if (!isOnnx) {
    try {
      trained = (JSON.parse(readFileSync(o.policy, 'utf8')) as { training?: { envConfig?: Trained } }).training?.envConfig ?? {};
    } catch (e) {
      throw new Error(`${o.policy}: cannot read the policy artifact (${(e as Error).message})`);
    }
  }
  const robot = o.robot ?? (trained.robot ? join(REPO, 'hardware/robots', trained.robot, `${trained.robot}.urdf`) : undefined);
  if (!robot || !existsSync(robot)) throw new Error(`sim2sim: give --robot <urdf>${robot ? ` (${robot} does not exist)` : ' (the policy does not name its robot)'}`);
  if (isOnnx && !o.layout) throw new Error(`${o.policy}: an ONNX policy needs --layout`);
  // Both engines report base linear velocity, as the sim hardware does.
  const source: PolicySource = isOnnx
    ? { onnx: resolve(o.policy), layout: existsSync(o.layout!) ? resolve(o.layout!) : o.layout!, robot, jointOrder: o.jointOrder, zeroTerms: o.zeroTerms, measures: ['base_lin_vel'] }
    : { artifact: resolve(o.policy) };
  const policy = await loadDeployPolicy(source);
  for (const l of (policy as { describe?: () => string[] }).describe?.() ?? []) log(l);
  const model = loadUrdf(robot);
  const cfg = loadRobotConfig(model);
  const trainDt = trained.physicsDt ?? 0.005;
  const rate = policy.policyRate ?? 1 / (trainDt * (trained.decimation ?? 4));
  const controlDt = 1 / rate;
  const dt = o.dt ?? trainDt;
  if (!(dt > 0 && dt <= controlDt)) throw new Error(`--dt must be in (0, ${controlDt}] s (one policy period), got ${dt}`);
  const decimation = Math.round(controlDt / dt);
  if (Math.abs(decimation * dt - controlDt) > 1e-9) throw new Error(`--dt ${dt} s does not divide the policy period ${controlDt} s`);
  const noiseScale = o.noise ?? 1;
  const noise = { jointPos: LEGGED_GYM_NOISE.jointPos * noiseScale, jointVel: LEGGED_GYM_NOISE.jointVel * noiseScale, angVel: LEGGED_GYM_NOISE.angVel * noiseScale, gravity: LEGGED_GYM_NOISE.gravity * noiseScale };
  // As the sim hardware: no guessed spawn height for a floating base.
  if (cfg.spawnHeight == null) throw new Error(`sim2sim: ${robot} has no spawnHeight in its s2r.json (base height above the ground at spawn, m)`);
  const baseHeight = cfg.spawnHeight;
  const phys = trained.physics ?? {};
  const engines: Engine[] = [];
  try {
    const want = o.engines ?? ['rapier', 'mujoco'];
    if (want.includes('rapier')) engines.push(await createRapierEngine({ urdf: robot, dt, baseHeight, flavor: phys.flavor ?? 'simd', solverIterations: phys.solverIterations ?? null, internalPgsIterations: phys.internalPgsIterations ?? null }));
    if (want.includes('mujoco')) engines.push(await createMujocoEngine({ urdf: robot, dt, baseHeight }));
    const episodes: EpisodeResult[] = [];
    for (const seed of o.seeds) {
      for (const e of engines) {
        policy.reset();
        const r = runEpisode(e, {
          model, policy, dt, decimation, commands: o.commands, durationS: o.durationS, seed, baseHeight, noise,
          initJitter: 0.05, maxTargetRate: 25, softStartS: 0.5,
        });
        episodes.push(r);
        log(`  seed ${seed} ${e.name.padEnd(7)} ${r.distance_m.toFixed(2)} m, vel err ${r.vel_err.toFixed(3)} m/s, yaw err ${r.yaw_err.toFixed(3)} rad/s, ${r.falls} falls`);
      }
    }
    return {
      policy: o.policy, robot, dt, decimation, policy_rate_hz: rate,
      rapier: { flavor: phys.flavor ?? 'simd', solver_iterations: phys.solverIterations ?? null },
      mujoco: { cone: 'elliptic, impratio 10' },
      episodes,
    };
  } finally {
    for (const e of engines) e.dispose();
    policy.dispose?.();
  }
}
