/**
 * The project's robots in hardware/robots/<name>/: a URDF plus its `s2r.json` sidecar (default pose, PD gains,
 * spawn height, feet), read through the robot package's own config loader. Tasks name a robot folder (or a
 * path to a user's folder / .urdf) and get the model with its defaults.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadUrdf, loadRobotConfig, type RobotModel, type ResolvedRobotConfig } from '@s2r/core';

/** hardware/robots at the repo root (this file is packages/sim/src/tasks/assets.ts). */
export const ROBOTS_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../hardware/robots');

export interface RobotAsset {
  name: string;
  urdfPath: string;
  model: RobotModel;
  /** Actuated joint names in model order. */
  jointNames: string[];
  /** Default joint positions (rad or m) in joint order. */
  defaultJointPos: Float32Array;
  kp: Float32Array;
  kd: Float32Array;
  /** Spawn height of the base (m), when the sidecar gives one. */
  baseHeight: number | null;
  fixedBase: boolean;
  footLinks: string[];
  baseLink: string;
  actuator: 'pd' | 'motor';
  config: ResolvedRobotConfig;
}

const cache = new Map<string, RobotAsset>();

function findUrdf(dir: string): string {
  for (const d of [dir, join(dir, 'urdf')]) {
    if (!existsSync(d)) continue;
    const f = readdirSync(d).filter((x) => x.endsWith('.urdf'));
    if (f.length === 1) return join(d, f[0]!);
    if (f.length > 1) throw new Error(`robot folder ${d}: several .urdf files (${f.join(', ')}); name one`);
  }
  throw new Error(`robot folder ${dir}: no .urdf file found (looked in it and in urdf/)`);
}

/**
 * Load a robot: a name under hardware/robots, or a path to a folder or a .urdf file (a user's own robot; its
 * s2r.json is found beside the URDF or in its description root). Cached per process; the model is pure data.
 */
export function loadRobotAsset(name: string): RobotAsset {
  const hit = cache.get(name);
  if (hit) return hit;
  const isPath = name.includes('/') || name.includes('\\');
  const p = isPath ? resolve(name) : join(ROBOTS_DIR, name);
  if (!existsSync(p)) throw new Error(`robot "${name}": ${isPath ? 'path' : 'folder'} ${p} not found${isPath ? '' : ` (robots: ${existsSync(ROBOTS_DIR) ? readdirSync(ROBOTS_DIR).join(', ') : 'none'})`}`);
  const urdfPath = p.endsWith('.urdf') ? p : findUrdf(p);
  const model = loadUrdf(urdfPath);
  const cfg = loadRobotConfig(model);
  const asset: RobotAsset = {
    name,
    urdfPath,
    model,
    jointNames: [...model.actuatedJoints],
    defaultJointPos: Float32Array.from(cfg.defaultJointPos),
    kp: Float32Array.from(cfg.kp),
    kd: Float32Array.from(cfg.kd),
    baseHeight: cfg.spawnHeight,
    fixedBase: cfg.fixedBase,
    footLinks: cfg.footLinks,
    baseLink: cfg.baseLink,
    actuator: cfg.actuator,
    config: cfg,
  };
  cache.set(name, asset);
  return asset;
}
