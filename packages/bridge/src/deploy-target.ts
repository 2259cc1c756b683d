/**
 * Where deploy() sends a policy: the PolicySource for its file and the HardwareSpec for `--hardware`, with what the
 * policy needs from that hardware (the sim's task scene, the ROS topics of its external inputs).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadRobotConfig, RobotConfigError, type RobotModel } from '@s2r/core';
import type { DeployPolicy, PolicySource } from './policy/types.ts';
import { parseHardwareArg, type HardwareSpec } from './hardware/registry.ts';
import { LEGGED_GYM_NOISE, type SimHardwareOptions, type SimNoise } from './hardware/sim.ts';
import type { RosHardwareOptions } from './hardware/ros.ts';

/** The part of DeployOptions (deploy.ts) that picks the policy and the hardware. */
export interface DeployTarget {
  /** Policy artifact path, an .onnx file (with `layout`), or a PolicySource (module factory). */
  policy: string | PolicySource;
  /** ONNX policies: layout preset (isaaclab, mjlab, legged_gym, unitree_rl_gym, playground) or layout JSON file. */
  layout?: string;
  /** ONNX policies: joint order of the network (overrides the layout's). */
  jointOrder?: string[];
  /** ONNX policies: observation terms fed as zeros because the hardware can't measure them (e.g. base_lin_vel). */
  zeroTerms?: string[];
  /** 'sim' | 'mock' | 'serial:/dev/ttyUSB0@1000000' | 'ros:ws://host:9090', or a full HardwareSpec. */
  hardware: string | HardwareSpec;
  /** Run everything, never write to the hardware. */
  dryRun?: boolean;
  seed?: number;
  /** Sim hardware fault injection: one-way command latency (ms), noise (× legged_gym levels, or per reading), drops. */
  latencyMs?: number;
  noise?: number | SimNoise;
  dropRate?: number;
  sim?: Partial<SimHardwareOptions>;
  ros?: Partial<Omit<RosHardwareOptions, 'url'>>;
  serial?: Record<string, unknown>;
  /** ROS: topic (geometry_msgs/PoseStamped) of each external input by name (--ros-object-topic → blockPose, --ros-goal-topic → goal). */
  rosInputTopics?: Record<string, string>;
}

/** What the hardware must know about the policy beyond its joints. */
export type PolicyFacts = Pick<DeployPolicy, 'task' | 'inputs'>;

/** ROS input subscriptions: each named topic with the size of the input it feeds; a topic for no input is an error. */
function rosInputs(o: DeployTarget, facts: PolicyFacts): Pick<RosHardwareOptions, 'inputTopics'> {
  const topics = o.rosInputTopics ?? {};
  const out: NonNullable<RosHardwareOptions['inputTopics']> = [];
  for (const [name, topic] of Object.entries(topics)) {
    const e = facts.inputs?.find((x) => x.name === name);
    if (!e) throw new Error(`ROS input topic ${topic} feeds "${name}", which the policy does not observe (its inputs: ${(facts.inputs ?? []).map((x) => x.name).join(', ') || 'none'})`);
    out.push({ name, topic, size: e.size });
  }
  return out.length ? { inputTopics: out } : {};
}

/**
 * What the sim hardware needs from the robot's s2r.json, read through core's one loader (the same validation the
 * sim and `s2r robot` apply: unknown keys and names are errors). A floating base needs `spawnHeight`: without it
 * the deploy stops with an error naming the field and the file, never a made-up height.
 */
function simRobotConfig(model: RobotModel): { baseHeight: number; fixedBase: boolean; actuator: 'pd' | 'motor' } {
  const cfg = loadRobotConfig(model);
  if (!cfg.fixedBase && cfg.spawnHeight === null) {
    const where = cfg.source || `no s2r.json beside ${model.source}`;
    throw new RobotConfigError('"spawnHeight" (m) is required to deploy a floating-base robot to --hardware sim', where);
  }
  return { baseHeight: cfg.spawnHeight ?? 0, fixedBase: cfg.fixedBase, actuator: cfg.actuator };
}

/**
 * The PolicySource for deploy(): an .onnx path needs a layout and is resolved against this robot; the sim hardware
 * reports base linear velocity, other hardware does not (the layout then refuses it unless zeroed).
 */
export function policySource(o: DeployTarget, model: RobotModel): PolicySource {
  if (typeof o.policy !== 'string') return o.policy;
  if (!o.policy.toLowerCase().endsWith('.onnx')) {
    if (o.layout || o.jointOrder || o.zeroTerms) throw new Error(`--layout, --joint-order and --zero-terms apply to .onnx policies, not ${o.policy}`);
    return { artifact: resolve(o.policy) };
  }
  if (!o.layout) throw new Error(`${o.policy}: an ONNX policy needs --layout (isaaclab, mjlab, legged_gym, unitree_rl_gym, playground, or a layout JSON file)`);
  const kind = typeof o.hardware === 'string' ? parseHardwareArg(o.hardware).kind : o.hardware.kind;
  return { onnx: resolve(o.policy), layout: existsSync(o.layout) ? resolve(o.layout) : o.layout, robot: model.source, jointOrder: o.jointOrder, zeroTerms: o.zeroTerms, measures: kind === 'sim' ? ['base_lin_vel'] : [] };
}

export function hardwareSpec(o: DeployTarget, model: RobotModel, policyDefault: Record<string, number>, readsImu: boolean, facts: PolicyFacts = {}): { spec: HardwareSpec; label: string } {
  if (typeof o.hardware !== 'string') return { spec: o.hardware, label: o.hardware.kind };
  const h = parseHardwareArg(o.hardware);
  const joints = [...model.actuatedJoints];
  switch (h.kind) {
    case 'mock':
      return { spec: { kind: 'mock', jointNames: joints, initialPos: joints.map((j) => policyDefault[j] ?? 0) }, label: 'mock' };
    case 'sim': {
      const side = simRobotConfig(model);
      const noise = typeof o.noise === 'number'
        ? { jointPos: LEGGED_GYM_NOISE.jointPos * o.noise, jointVel: LEGGED_GYM_NOISE.jointVel * o.noise, angVel: LEGGED_GYM_NOISE.angVel * o.noise, gravity: LEGGED_GYM_NOISE.gravity * o.noise }
        : o.noise;
      const options: SimHardwareOptions = {
        urdf: model.source,
        spawnPose: policyDefault,
        baseHeight: side.baseHeight,
        fixedBase: side.fixedBase,
        actuator: side.actuator,
        latencyMs: o.latencyMs ?? 0,
        dropRate: o.dropRate ?? 0,
        seed: o.seed ?? 0,
        ...(noise ? { noise } : {}),
        // A policy observing a task's scene (z1-push's block and goal): the sim builds that scene around the robot.
        ...(facts.inputs?.length && facts.task ? { scene: facts.task } : {}),
        ...(o.sim ?? {}),
      };
      return { spec: { kind: 'sim', options }, label: 'sim' };
    }
    case 'ros':
      return { spec: { kind: 'ros', options: { url: h.url, jointNames: joints, imuRequired: readsImu, dryRun: !!o.dryRun, ...rosInputs(o, facts), ...(o.ros ?? {}) } }, label: `ros:${h.url}` };
    case 'serial':
      return { spec: { kind: 'serial', path: h.path, baud: h.baud, options: { jointNames: joints, ...(o.serial ?? {}) } }, label: `serial:${h.path}@${h.baud}` };
  }
}

/**
 * Refuse, before anything starts, a command rate at which the watchdog window (watchdogPeriods ticks) is shorter
 * than two of the sim hardware's state periods (its physics step): the watchdog would trip between every two states,
 * and the run would flap between watchdog and soft start without the policy ever taking control.
 */
export function checkSimRate(rateHz: number, watchdogPeriods: number, physicsDt: number): void {
  const windowS = watchdogPeriods / rateHz;
  if (windowS >= 2 * physicsDt) return;
  const maxRate = Math.floor(watchdogPeriods / (2 * physicsDt));
  throw new Error(`--rate ${rateHz} Hz is more than the sim hardware can feed: with --watchdog ${watchdogPeriods} a state must arrive every ${(windowS * 1e3).toFixed(2)} ms, `
    + `but the sim makes one every ${(physicsDt * 1e3).toFixed(1)} ms (physics at ${Math.round(1 / physicsDt)} Hz). Use --rate ≤ ${maxRate} or --watchdog ≥ ${Math.ceil(2 * physicsDt * rateHz)}`);
}
