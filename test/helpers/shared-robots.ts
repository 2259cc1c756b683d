/**
 * Where the shared robots (the real Go1 and Z1 descriptions from unitree_ros) live: `../shared` beside the
 * repository root, resolved from this file, never an absolute path. Tests and benches in every package import
 * this one helper.
 */
import { join, resolve } from 'node:path';

/** The repository root (this file is test/helpers/shared-robots.ts). */
export const REPO_ROOT = resolve(import.meta.dirname, '../..');
/** The shared folder beside the repository root. */
export const SHARED_DIR = resolve(REPO_ROOT, '../shared');
export const SHARED_ROBOTS = join(SHARED_DIR, 'robots');
/** A path inside the shared robots folder, e.g. `sharedRobot('go1/urdf/go1.urdf')`. */
export function sharedRobot(rel: string): string {
  return join(SHARED_ROBOTS, rel);
}
export const GO1_URDF = sharedRobot('go1/urdf/go1.urdf');
export const Z1_URDF = sharedRobot('z1/urdf/z1.urdf');
export const Z1_DIR = sharedRobot('z1');
