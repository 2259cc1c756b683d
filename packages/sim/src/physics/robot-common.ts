/**
 * What the parts of RapierRobot share (robot-base, robot-state, robot-actuation, robot-sim, colliders): Rapier
 * handle types, the raw hot-path API, collision groups, the world's hooks and small conversions.
 */
import type { Quat, Vec3 } from '@s2r/core';
import type { Rapier } from './rapier.ts';

export type RWorld = InstanceType<Rapier['World']>;
export type RBody = ReturnType<RWorld['createRigidBody']>;
export type RCollider = ReturnType<RWorld['createCollider']>;
export type RJoint = ReturnType<RWorld['createImpulseJoint']>;
/** The parts of Rapier's raw (wasm-bindgen) API used on the hot path; identical in the 0.20 and 0.21 builds. */
export interface RawVec {
  x: number;
  y: number;
  z: number;
  free(): void;
}
export interface RawBodySet {
  rbResetTorques(handle: number, wake: boolean): void;
  rbAddTorque(handle: number, torque: RawVec, wake: boolean): void;
}

/** Collision groups: membership in the high 16 bits, filter in the low 16. */
export const GROUP_GROUND = 0x0001;
export const GROUP_ROBOT = 0x0002;
export const groups = (membership: number, filter: number): number => ((membership << 16) | filter) >>> 0;

/** Velocity-lock gain (N·m·s/rad) of the friction motor: large, so the bound (the friction) is what limits it. */
export const FRICTION_LOCK_GAIN = 1e4;

/** Wrap an angle (rad) into [−π, π). */
export const WRAP = (a: number): number => a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));

export interface WorldHooks {
  R: Rapier;
  /** Physics step (s). */
  dt: number;
  world: RWorld;
  gravityDir(): Vec3;
  registerCollider(handle: number, forces: Float32Array, index: number): void;
  unregisterCollider(handle: number): void;
  drainContacts(): void;
}

export function fillFrom(dst: Float64Array, src: number | ArrayLike<number>, what: string): void {
  if (typeof src === 'number') {
    if (!Number.isFinite(src)) throw new RangeError(`${what} must be finite, got ${src}`);
    dst.fill(src);
    return;
  }
  if (src.length !== dst.length) throw new Error(`${what}: got ${src.length} values, expected ${dst.length}`);
  for (let i = 0; i < dst.length; i++) {
    if (!Number.isFinite(src[i]!)) throw new RangeError(`${what}[${i}] must be finite, got ${src[i]}`);
    dst[i] = src[i]!;
  }
}

export function v3(a: ArrayLike<number>) {
  return { x: a[0]!, y: a[1]!, z: a[2]! };
}
export function q4(a: ArrayLike<number>) {
  return { x: a[0]!, y: a[1]!, z: a[2]!, w: a[3]! };
}

/** The minimal rotation taking +x onto the unit vector a (how Rapier builds a joint frame from an axis). */
export function minRotFromX(a: Vec3): Quat {
  const d = a[0];
  if (d < -1 + 1e-9) return [0, 1, 0, 0]; // 180° about y
  const c: Vec3 = [0, -a[2], a[1]]; // x × a
  const w = 1 + d;
  const n = Math.hypot(c[0], c[1], c[2], w);
  return [c[0] / n, c[1] / n, c[2] / n, w / n];
}

