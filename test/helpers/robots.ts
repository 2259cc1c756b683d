/**
 * Paths and small builders shared by the robot/physics/viewer tests and benches. The shared robots (the real Go1
 * and Z1 descriptions from unitree_ros) live in `../shared` beside the repository root, resolved from this file,
 * never an absolute path.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root (this file is test/helpers/robots.ts). */
export const REPO = resolve(import.meta.dirname, '../..');
/** The shared folder beside the repository root. */
export const SHARED_DIR = resolve(REPO, '../shared');
/** A path inside the shared robots folder, e.g. `sharedRobot('go1/urdf/go1.urdf')`. */
export function sharedRobot(rel: string): string {
  return join(SHARED_DIR, 'robots', rel);
}
export const GO1_URDF = sharedRobot('go1/urdf/go1.urdf');
export const Z1_URDF = sharedRobot('z1/urdf/z1.urdf');
export const Z1_DIR = sharedRobot('z1');
export const S2R_GO1 = join(REPO, 'hardware/robots/s2r-go1/s2r-go1.urdf');
export const S2R_ARM = join(REPO, 'hardware/robots/s2r-arm/s2r-arm.urdf');
export const CARTPOLE = join(REPO, 'hardware/robots/cartpole/cartpole.urdf');

/** legged_gym Go1/Go2 default pose in the Go1 URDF's joint order (hip ±0.1, thigh 0.8/1.0, calf −1.5). */
export function go1DefaultPose(jointNames: readonly string[]): Float64Array {
  return Float64Array.from(jointNames, (n) => {
    if (n.includes('hip')) return n[1] === 'L' ? 0.1 : -0.1;
    if (n.includes('thigh')) return n.startsWith('F') ? 0.8 : 1.0;
    return -1.5;
  });
}

export function tmpDir(prefix = 's2r-robot-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * The published z1.urdf uses cylinders for collision although the package ships STL collision meshes.
 * This writes a copy whose links collide with those STL files (as package://z1_description/meshes/collision/…),
 * so the loader and the convex-hull path are exercised on the real meshes.
 */
export function writeZ1WithStlCollisions(dir = tmpDir()): string {
  let text = readFileSync(Z1_URDF, 'utf8');
  text = text.replace(/<collision>[\s\S]*?<\/collision>/g, '');
  text = text.replace(/<link name="link0(\d)">/g, (_m, d: string) =>
    `<link name="link0${d}">\n    <collision><origin rpy="0 0 0" xyz="0 0 0"/><geometry>` +
    `<mesh filename="package://z1_description/meshes/collision/z1_Link0${d}.STL" scale="1 1 1"/></geometry></collision>`,
  );
  const path = join(dir, 'z1_stl.urdf');
  writeFileSync(path, text);
  return path;
}
