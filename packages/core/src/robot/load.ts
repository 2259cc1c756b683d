/**
 * Node-side loading of robot descriptions: read a URDF from disk and parse it (paths resolved against its folder).
 * Kept apart from urdf.ts so the parser itself stays browser-safe.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RobotModel } from './model.ts';
import { parseUrdf, UrdfError, type ParseUrdfOptions } from './urdf.ts';

/** Read and parse a URDF file. Errors name the file (and line/element for content errors). */
export function loadUrdf(path: string, options: Omit<ParseUrdfOptions, 'source'> = {}): RobotModel {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new UrdfError('file not found', abs);
  if (statSync(abs).isDirectory()) throw new UrdfError('is a folder, expected a .urdf file', abs);
  const text = readFileSync(abs, 'utf8');
  return parseUrdf(text, { ...options, source: abs, exists: options.exists ?? existsSync });
}
