/**
 * sim2sim: run one policy through the deploy stack — the bridge's PolicyController (observation function, action
 * clip, scale and offset) and SafetyLayer (limit clamp, target rate limit) — against two physics engines stepped in
 * lock-step, one control tick per physics step, with the same seeded initial pose and sensor noise. What differs
 * between the two columns is the physics, nothing else.
 */
import { Rng } from '@s2r/core/rng.ts';
import type { RobotModel } from '@s2r/core/robot/model.ts';
import { makeState } from '../command.ts';
import type { RobotState } from '../types.ts';
import type { DeployPolicy } from '../policy/types.ts';
import type { CommandStep } from '../policy/command-schedule.ts';
import { commandAt } from '../policy/command-schedule.ts';
import { PolicyController } from '../loop/policy-controller.ts';
import { InlineSource } from '../loop/action-source.ts';
import { SafetyLayer } from '../safety/safety-layer.ts';
import { limitsFromModel } from '../safety/limits.ts';
import type { SimNoise } from '../hardware/sim.ts';
import type { Engine } from './engine.ts';

export interface EpisodeOptions {
  model: RobotModel;
  policy: DeployPolicy;
  /** Physics step (s) = control tick; the policy runs every `decimation` ticks. */
  dt: number;
  decimation: number;
  commands: CommandStep[];
  /** Seconds of policy control after the soft start. */
  durationS: number;
  seed: number;
  baseHeight: number;
  noise: Required<SimNoise>;
  /** Initial joint offsets U(±x) from the default pose (rad). */
  initJitter: number;
  /** Max target change (rad/s), as the deploy safety layer and the training env limit it. */
  maxTargetRate: number;
  softStartS: number;
}

export interface EpisodeResult {
  engine: string;
  seed: number;
  /** Base path length while the policy was in control (m), sampled at 10 Hz. */
  distance_m: number;
  /** Mean |v_xy − command_xy| in the heading frame (m/s), and mean |ω_z − command_ωz| (rad/s). */
  vel_err: number;
  yaw_err: number;
  falls: number;
  policy_steps: number;
  safety_interventions: number;
}

export function runEpisode(engine: Engine, o: EpisodeOptions): EpisodeResult {
  const hw = [...engine.jointNames];
  const n = hw.length;
  const p = o.policy;
  const rng = Rng.seed(o.seed);
  const init = rng.split('init');
  const noise = rng.split('sensor-noise');
  // Default pose in hardware order (the policy's may be another order: map by name).
  const q0 = Float64Array.from(hw, (j) => p.defaultPose[p.jointNames.indexOf(j)]!);
  const qInit = Float64Array.from(q0, (q) => q + init.uniform(-o.initJitter, o.initJitter));
  engine.reset(qInit, 0);
  const controller = new PolicyController({ policy: p, source: new InlineSource(p, () => performance.now() / 1000), hwJoints: hw, decimation: o.decimation, period: o.dt, between: 'hold', commands: o.commands, clock: () => performance.now() / 1000 });
  const safety = new SafetyLayer({
    limits: limitsFromModel(o.model, hw), period: o.dt, defaultPose: q0,
    kp: Float64Array.from(hw, (j) => p.kp[p.jointNames.indexOf(j)]!), kd: Float64Array.from(hw, (j) => p.kd[p.jointNames.indexOf(j)]!),
    maxStep: o.maxTargetRate * o.dt, softStartS: o.softStartS, watchdogPeriods: 1000,
  });
  const truth: RobotState = makeState(n);
  const seen: RobotState = makeState(n);
  safety.start(0);
  const cosTilt = Math.cos(Math.PI / 3);
  const fallZ = 0.4 * o.baseHeight;
  const cmd = new Float64Array(3);
  const total = Math.round((o.softStartS + o.durationS) / o.dt);
  let path = 0, velErr = 0, yawErr = 0, samples = 0, falls = 0, fallen = false;
  let last: [number, number] | null = null;
  let lastSample = -Infinity;
  let runStart = -1;
  for (let k = 0; k <= total; k++) {
    const t = k * o.dt;
    engine.read(truth);
    // What the robot's sensors say: the truth plus legged_gym-style noise, the same draws in both engines.
    for (let i = 0; i < n; i++) {
      seen.jointPos[i] = truth.jointPos[i]! + noise.normal(0, o.noise.jointPos);
      seen.jointVel[i] = truth.jointVel[i]! + noise.normal(0, o.noise.jointVel);
      seen.jointEffort[i] = truth.jointEffort[i]!;
    }
    const imu = truth.imu!;
    seen.imu = {
      angVel: [0, 1, 2].map((i) => imu.angVel[i]! + noise.normal(0, o.noise.angVel)) as [number, number, number],
      projectedGravity: [0, 1, 2].map((i) => imu.projectedGravity[i]! + noise.normal(0, o.noise.gravity)) as [number, number, number],
      quat: imu.quat,
    };
    seen.baseLinVel = truth.baseLinVel;
    seen.stamp = seen.receivedAt = t;
    const desired = controller.update(t, seen, safety.active);
    const sent = safety.update(t, seen, desired);
    engine.apply(sent);
    engine.step();

    // Figures from the truth, while the policy is in control.
    const [x, y, z] = truth.basePosition!;
    const q = imu.quat!;
    const up = 1 - 2 * (q[0]! * q[0]! + q[1]! * q[1]!);
    const isFallen = up < cosTilt || z < fallZ;
    if (safety.active) {
      if (runStart < 0) runStart = t;
      if (isFallen && !fallen) falls++;
      if (t - lastSample >= 0.1 - 1e-9) {
        if (last) path += Math.hypot(x - last[0], y - last[1]);
        last = [x, y];
        lastSample = t;
      }
      commandAt(o.commands, t - runStart, cmd);
      const yaw = Math.atan2(2 * (q[3]! * q[2]! + q[0]! * q[1]!), 1 - 2 * (q[1]! * q[1]! + q[2]! * q[2]!));
      const v = truth.baseLinVel!;
      const vx = Math.cos(yaw) * v[0] + Math.sin(yaw) * v[1];
      const vy = -Math.sin(yaw) * v[0] + Math.cos(yaw) * v[1];
      // ω_z in the world frame from the body-frame gyro: the z row of R·ω.
      const wz = 2 * (q[0]! * q[2]! - q[3]! * q[1]!) * imu.angVel[0]! + 2 * (q[1]! * q[2]! + q[3]! * q[0]!) * imu.angVel[1]! + up * imu.angVel[2]!;
      velErr += Math.hypot(vx - cmd[0]!, vy - cmd[1]!);
      yawErr += Math.abs(wz - cmd[2]!);
      samples++;
    }
    fallen = isFallen;
  }
  const interventions = Object.entries(safety.interventions()).filter(([kind]) => kind !== 'soft_start').reduce((a, [, v]) => a + (v ?? 0), 0);
  return {
    engine: engine.name, seed: o.seed, distance_m: round(path), vel_err: round(velErr / Math.max(1, samples)), yaw_err: round(yawErr / Math.max(1, samples)), falls,
    policy_steps: controller.policySteps, safety_interventions: interventions,
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
