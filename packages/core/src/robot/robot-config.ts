/**
 * The sidecar `s2r.json` beside a URDF: what the URDF cannot say but every consumer needs — the default joint
 * pose, PD gains, spawn height, whether the base is fixed, and which links are feet / base.
 *
 * {
 *   "defaultJointPos": { "FR_hip_joint": -0.1, "FL_hip_joint": 0.1, ... },   // rad or m, by joint name
 *   "kp": 20,                       // N·m/rad, one value or { "joint": value }
 *   "kd": 0.5,                      // N·m·s/rad, one value or { "joint": value }
 *   "spawnHeight": 0.35,            // m, root height at spawn (floating base)
 *   "fixedBase": false,
 *   "footLinks": ["FR_foot", "FL_foot", "RR_foot", "RL_foot"],
 *   "baseLink": "trunk",
 *   "actuator": "pd"                // or "motor" (implicit, for light arm links)
 * }
 * Unknown keys and unknown joint/link names are errors that name the file, so typos never pass silently.
 * Joints missing from defaultJointPos rest at 0 clamped into their limits.
 */
import type { RobotModel } from './model.ts';

export interface RobotConfig {
  defaultJointPos?: Record<string, number>;
  kp?: number | Record<string, number>;
  kd?: number | Record<string, number>;
  spawnHeight?: number;
  fixedBase?: boolean;
  footLinks?: string[];
  baseLink?: string;
  actuator?: 'pd' | 'motor';
  /** Free text for humans. */
  description?: string;
}

/** A config resolved against a model: arrays in actuated-joint order. */
export interface ResolvedRobotConfig {
  defaultJointPos: Float64Array;
  kp: Float64Array;
  kd: Float64Array;
  spawnHeight: number | null;
  fixedBase: boolean;
  footLinks: string[];
  baseLink: string;
  actuator: 'pd' | 'motor';
  /** Where it came from ('' when defaults only). */
  source: string;
}

export class RobotConfigError extends Error {
  constructor(message: string, readonly source: string) {
    super(`${source}: ${message}`);
    this.name = 'RobotConfigError';
  }
}

const KEYS = new Set(['defaultJointPos', 'kp', 'kd', 'spawnHeight', 'fixedBase', 'footLinks', 'baseLink', 'actuator', 'description', '$schema']);

/** Validate parsed JSON as a RobotConfig (shape only; names are checked by resolveRobotConfig). */
export function parseRobotConfig(json: unknown, source = '<s2r.json>'): RobotConfig {
  const err = (m: string): never => {
    throw new RobotConfigError(m, source);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) err('must be a JSON object');
  const o = json as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.has(k)) err(`unknown key "${k}" (known: ${[...KEYS].filter((x) => x !== '$schema').join(', ')})`);
  const numMap = (k: string, v: unknown, allowScalar: boolean) => {
    if (allowScalar && typeof v === 'number') {
      if (!Number.isFinite(v)) err(`"${k}" must be a finite number`);
      return;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) err(`"${k}" must be ${allowScalar ? 'a number or ' : ''}an object of joint name → number`);
    for (const [name, x] of Object.entries(v as object)) {
      if (typeof x !== 'number' || !Number.isFinite(x)) err(`"${k}.${name}" must be a finite number, got ${JSON.stringify(x)}`);
    }
  };
  if (o.defaultJointPos !== undefined) numMap('defaultJointPos', o.defaultJointPos, false);
  if (o.kp !== undefined) numMap('kp', o.kp, true);
  if (o.kd !== undefined) numMap('kd', o.kd, true);
  if (o.spawnHeight !== undefined && (typeof o.spawnHeight !== 'number' || !Number.isFinite(o.spawnHeight))) err('"spawnHeight" must be a number (m)');
  if (o.fixedBase !== undefined && typeof o.fixedBase !== 'boolean') err('"fixedBase" must be true or false');
  if (o.footLinks !== undefined && (!Array.isArray(o.footLinks) || o.footLinks.some((x) => typeof x !== 'string'))) err('"footLinks" must be an array of link names');
  if (o.baseLink !== undefined && typeof o.baseLink !== 'string') err('"baseLink" must be a link name');
  if (o.actuator !== undefined && o.actuator !== 'pd' && o.actuator !== 'motor') err('"actuator" must be "pd" or "motor"');
  return o as RobotConfig;
}

/** Resolve a config against a model: check every name, fill defaults (zero pose, zero gains). */
export function resolveRobotConfig(model: RobotModel, config: RobotConfig = {}, source = ''): ResolvedRobotConfig {
  const where = source || model.source;
  const err = (m: string): never => {
    throw new RobotConfigError(m, where);
  };
  const joints = model.actuatedJoints;
  const index = new Map(joints.map((j, i) => [j, i]));
  const byName = (k: string, v: number | Record<string, number> | undefined, fallback: number): Float64Array => {
    const out = new Float64Array(joints.length).fill(typeof v === 'number' ? v : fallback);
    if (v && typeof v === 'object') {
      for (const [name, x] of Object.entries(v)) {
        const i = index.get(name);
        if (i === undefined) err(`"${k}" names joint "${name}", which is not an actuated joint of ${model.name} (${joints.join(', ')})`);
        out[i!] = x;
      }
    }
    return out;
  };
  const linkNames = new Set(model.links.flatMap((l) => [l.name, ...(l.merged ?? [])]));
  for (const f of config.footLinks ?? []) if (!linkNames.has(f)) err(`"footLinks" names link "${f}", which ${model.name} does not have`);
  if (config.baseLink && !linkNames.has(config.baseLink)) err(`"baseLink" names link "${config.baseLink}", which ${model.name} does not have`);
  const q = byName('defaultJointPos', config.defaultJointPos, 0);
  for (let i = 0; i < joints.length; i++) {
    const j = model.joints.find((x) => x.name === joints[i])!;
    if (!(joints[i]! in (config.defaultJointPos ?? {}))) {
      // Unconfigured joints rest at zero, moved inside their limits (the Go1 calf's range excludes 0).
      q[i] = Math.min(Math.max(0, j.limits.lower), j.limits.upper);
      continue;
    }
    if (q[i]! < j.limits.lower - 1e-9 || q[i]! > j.limits.upper + 1e-9) {
      err(`default position ${q[i]} of joint "${j.name}" is outside its limits [${j.limits.lower}, ${j.limits.upper}]`);
    }
  }
  return {
    defaultJointPos: q,
    kp: byName('kp', config.kp, 0),
    kd: byName('kd', config.kd, 0),
    spawnHeight: config.spawnHeight ?? null,
    fixedBase: config.fixedBase ?? model.fixedToWorld ?? false,
    footLinks: config.footLinks ?? [],
    baseLink: config.baseLink ?? model.rootLink,
    actuator: config.actuator ?? 'pd',
    source,
  };
}
