/**
 * Domain-randomization event terms built from a DrConfig. Each function is pure apart from writing the drawn
 * value into the target (the env) and returns what it drew, so the env can report per-episode DR values.
 */
import type { RobotSim, SimWorld } from '../physics/types.ts';
import type { Vec3, Rng } from '@s2r/core';
import type { EventTerm } from '../env/terms.ts';
import type { DrConfig } from './config.ts';

export const STANDARD_GRAVITY = 9.81; // m/s²

/** The randomizable state an env exposes to DR events. Nominal values live beside the drawn ones. */
export interface DrState {
  friction: number;
  restitution: number;
  /** Per link (robot.linkNames order). */
  linkMassScale: Float32Array;
  addedBaseMass: number; // kg
  comOffset: Vec3; // m, base frame
  kpScale: number;
  kdScale: number;
  motorStrength: Float32Array; // per joint
  jointPosOffset: Float32Array; // rad per joint (encoder bias)
  actionLatency: number; // control steps
  gravity: Vec3; // m/s², world frame
}

export interface DrTarget {
  readonly world: SimWorld;
  readonly robot: RobotSim;
  readonly nominalKp: Float32Array;
  readonly nominalKd: Float32Array;
  readonly dr: DrState;
  /** Maximum latency the env's action buffer holds (control steps). */
  readonly maxActionLatency: number;
}

export function nominalDrState(robot: RobotSim, nominalFriction = 1, nominalRestitution = 0): DrState {
  return {
    friction: nominalFriction,
    restitution: nominalRestitution,
    linkMassScale: new Float32Array(robot.linkNames.length).fill(1),
    addedBaseMass: 0,
    comOffset: [0, 0, 0],
    kpScale: 1,
    kdScale: 1,
    motorStrength: new Float32Array(robot.dof).fill(1),
    jointPosOffset: new Float32Array(robot.dof),
    actionLatency: 0,
    gravity: [0, 0, -STANDARD_GRAVITY],
  };
}

const u = (a: [number, number]) => `U(${a[0]}, ${a[1]})`;

function applyGains(t: DrTarget): void {
  const kp = new Float32Array(t.nominalKp.length);
  const kd = new Float32Array(t.nominalKd.length);
  for (let j = 0; j < kp.length; j++) {
    kp[j] = t.nominalKp[j]! * t.dr.kpScale;
    kd[j] = t.nominalKd[j]! * t.dr.kdScale;
  }
  t.robot.setGains(kp, kd);
}

/**
 * Turn a DrConfig into event terms. `links` restricts per-link mass scaling (default: every link);
 * `baseLink` is where payload and CoM offset go (the root).
 */
export function buildDrEvents<E extends DrTarget>(cfg: DrConfig, opts: { links?: readonly string[] } = {}): EventTerm<E>[] {
  const ev: EventTerm<E>[] = [];
  if (cfg.friction.enabled) {
    ev.push({
      name: 'friction', mode: cfg.friction.mode, params: cfg.friction, describe: u(cfg.friction.range),
      fn: (t, rng, p) => {
        t.dr.friction = rng.uniform(p.range[0], p.range[1]);
        t.robot.setFriction(t.dr.friction);
        return t.dr.friction;
      },
    });
  }
  if (cfg.restitution.enabled) {
    ev.push({
      name: 'restitution', mode: cfg.restitution.mode, params: cfg.restitution, describe: u(cfg.restitution.range),
      fn: (t, rng, p) => {
        t.dr.restitution = rng.uniform(p.range[0], p.range[1]);
        t.robot.setRestitution(t.dr.restitution);
        return t.dr.restitution;
      },
    });
  }
  if (cfg.linkMassScale.enabled) {
    ev.push({
      name: 'link_mass_scale', mode: cfg.linkMassScale.mode, params: { ...cfg.linkMassScale, links: opts.links },
      describe: `${u(cfg.linkMassScale.range)} per link`,
      fn: (t, rng, p) => {
        const names = t.robot.linkNames;
        for (let i = 0; i < names.length; i++) {
          if (p.links && !p.links.includes(names[i]!)) continue;
          t.dr.linkMassScale[i] = rng.uniform(p.range[0], p.range[1]);
          t.robot.setLinkMassScale(names[i]!, t.dr.linkMassScale[i]!);
        }
        return Array.from(t.dr.linkMassScale);
      },
    });
  }
  // Payload and CoM share one setter, so they are drawn by separate terms but applied together.
  if (cfg.addedBaseMass.enabled) {
    ev.push({
      name: 'added_base_mass', mode: cfg.addedBaseMass.mode, params: cfg.addedBaseMass, describe: `${u(cfg.addedBaseMass.range)} kg`,
      fn: (t, rng, p) => {
        t.dr.addedBaseMass = rng.uniform(p.range[0], p.range[1]);
        t.robot.setBasePayload(t.dr.addedBaseMass, t.dr.comOffset);
        return t.dr.addedBaseMass;
      },
    });
  }
  if (cfg.comOffset.enabled) {
    ev.push({
      name: 'com_offset', mode: cfg.comOffset.mode, params: cfg.comOffset, describe: `±${cfg.comOffset.xy} m xy, ±${cfg.comOffset.z} m z`,
      fn: (t, rng, p) => {
        t.dr.comOffset = [rng.uniform(-p.xy, p.xy), rng.uniform(-p.xy, p.xy), rng.uniform(-p.z, p.z)];
        t.robot.setBasePayload(t.dr.addedBaseMass, t.dr.comOffset);
        return t.dr.comOffset;
      },
    });
  }
  if (cfg.kpScale.enabled) {
    ev.push({
      name: 'kp_scale', mode: cfg.kpScale.mode, params: cfg.kpScale, describe: u(cfg.kpScale.range),
      fn: (t, rng, p) => {
        t.dr.kpScale = rng.uniform(p.range[0], p.range[1]);
        applyGains(t);
        return t.dr.kpScale;
      },
    });
  }
  if (cfg.kdScale.enabled) {
    ev.push({
      name: 'kd_scale', mode: cfg.kdScale.mode, params: cfg.kdScale, describe: u(cfg.kdScale.range),
      fn: (t, rng, p) => {
        t.dr.kdScale = rng.uniform(p.range[0], p.range[1]);
        applyGains(t);
        return t.dr.kdScale;
      },
    });
  }
  if (cfg.motorStrength.enabled) {
    ev.push({
      name: 'motor_strength', mode: cfg.motorStrength.mode, params: cfg.motorStrength, describe: `${u(cfg.motorStrength.range)} per joint`,
      fn: (t, rng, p) => {
        for (let j = 0; j < t.dr.motorStrength.length; j++) t.dr.motorStrength[j] = rng.uniform(p.range[0], p.range[1]);
        t.robot.setMotorStrength(t.dr.motorStrength);
        return Array.from(t.dr.motorStrength);
      },
    });
  }
  if (cfg.jointPosOffset.enabled) {
    ev.push({
      name: 'joint_pos_offset', mode: cfg.jointPosOffset.mode, params: cfg.jointPosOffset, describe: `${u(cfg.jointPosOffset.range)} rad per joint`,
      fn: (t, rng, p) => {
        for (let j = 0; j < t.dr.jointPosOffset.length; j++) t.dr.jointPosOffset[j] = rng.uniform(p.range[0], p.range[1]);
        return Array.from(t.dr.jointPosOffset);
      },
    });
  }
  if (cfg.actionLatency.enabled) {
    ev.push({
      name: 'action_latency', mode: cfg.actionLatency.mode, params: cfg.actionLatency,
      describe: `int in [${cfg.actionLatency.range[0]}, ${cfg.actionLatency.range[1]}] control steps`,
      fn: (t, rng, p) => {
        const lo = Math.ceil(p.range[0]);
        const hi = Math.min(Math.floor(p.range[1]), t.maxActionLatency);
        t.dr.actionLatency = lo + rng.int(hi - lo + 1);
        return t.dr.actionLatency;
      },
    });
  }
  if (cfg.push.enabled) {
    ev.push({
      name: 'push', mode: 'interval', intervalS: cfg.push.intervalS, params: cfg.push, describe: `v_xy ~ U(±${cfg.push.maxVelXY}) m/s`,
      fn: (t, rng, p) => {
        const v = t.robot.baseLinVel();
        const vx = rng.uniform(-p.maxVelXY, p.maxVelXY);
        const vy = rng.uniform(-p.maxVelXY, p.maxVelXY);
        t.robot.setBaseVelocity([vx, vy, v[2]], t.robot.baseAngVel());
        return [vx, vy];
      },
    });
  }
  if (cfg.gravity.enabled) {
    ev.push({
      name: 'gravity', mode: 'interval', intervalS: cfg.gravity.intervalS, params: cfg.gravity, describe: `g + ${u(cfg.gravity.range)} m/s² per axis`,
      fn: (t, rng, p) => {
        const g: Vec3 = [rng.uniform(p.range[0], p.range[1]), rng.uniform(p.range[0], p.range[1]), -STANDARD_GRAVITY + rng.uniform(p.range[0], p.range[1])];
        t.dr.gravity = g;
        t.world.setGravity(g);
        return g;
      },
    });
  }
  return ev;
}

/** Validate a DR config: ranges ordered and finite. Errors name the term. */
export function validateDrConfig(cfg: DrConfig, where: string): void {
  for (const [name, v] of Object.entries(cfg)) {
    const range = (v as { range?: [number, number] }).range;
    if (range && !(Number.isFinite(range[0]) && Number.isFinite(range[1]) && range[0] <= range[1])) {
      throw new RangeError(`${where}.dr.${name}.range must be [lo, hi] with lo ≤ hi, got ${JSON.stringify(range)}`);
    }
    const iv = (v as { intervalS?: number }).intervalS;
    if (iv !== undefined && !(iv > 0)) throw new RangeError(`${where}.dr.${name}.intervalS must be > 0 s, got ${iv}`);
  }
}

export type { Rng };
