/**
 * Reading `s2r.json` from disk: by default the file named s2r.json beside the URDF (or in its description root).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { RobotModel } from './model.ts';
import { descriptionRoot } from './paths.ts';
import { parseRobotConfig, resolveRobotConfig, RobotConfigError, type RobotConfig, type ResolvedRobotConfig } from './robot-config.ts';

/** Path of the sidecar config for a URDF, or null if there is none. */
export function findRobotConfig(urdfPath: string): string | null {
  const abs = resolve(urdfPath);
  for (const dir of [dirname(abs), descriptionRoot(abs)]) {
    const p = join(dir, 's2r.json');
    if (existsSync(p)) return p;
  }
  return null;
}

export function readRobotConfig(path: string): RobotConfig {
  if (!existsSync(path)) throw new RobotConfigError('file not found', path);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new RobotConfigError(`not valid JSON: ${(e as Error).message}`, path);
  }
  return parseRobotConfig(json, path);
}

/**
 * The resolved config for a model: from `configPath` if given, else the s2r.json beside model.source, else defaults
 * (zero pose, zero gains).
 */
export function loadRobotConfig(model: RobotModel, configPath?: string): ResolvedRobotConfig {
  const path = configPath ? resolve(configPath) : findRobotConfig(model.source);
  if (!path) return resolveRobotConfig(model, {}, '');
  return resolveRobotConfig(model, readRobotConfig(path), path);
}
