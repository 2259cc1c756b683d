/**
 * The one transform / quaternion module: rigid transforms and inertia helpers for the URDF parser, fixed-joint
 * merging, forward kinematics and the physics builder, plus the allocation-free vector helpers the tasks use per
 * step. Pure functions on plain arrays, no dependencies. Quaternions are [x, y, z, w]; matrices are row-major 3×3.
 */
import type { Pose, Quat, Vec3 } from './model.ts';

export type Mat3 = [number, number, number, number, number, number, number, number, number];

/** URDF rpy (fixed axes: roll about X, then pitch about Y, then yaw about Z) → quaternion qz·qy·qx. */
export function rpyToQuat(rpy: Vec3): Quat {
  const [r, p, y] = rpy;
  const cr = Math.cos(r / 2), sr = Math.sin(r / 2);
  const cp = Math.cos(p / 2), sp = Math.sin(p / 2);
  const cy = Math.cos(y / 2), sy = Math.sin(y / 2);
  return [
    sr * cp * cy - cr * sp * sy,
    cr * sp * cy + sr * cp * sy,
    cr * cp * sy - sr * sp * cy,
    cr * cp * cy + sr * sp * sy,
  ];
}

export function quatMul(a: Quat, b: Quat): Quat {
  const [ax, ay, az, aw] = a;
  const [bx, by, bz, bw] = b;
  return [
    aw * bx + ax * bw + ay * bz - az * by,
    aw * by - ax * bz + ay * bw + az * bx,
    aw * bz + ax * by - ay * bx + az * bw,
    aw * bw - ax * bx - ay * by - az * bz,
  ];
}

export function quatConj(q: Quat): Quat {
  return [-q[0], -q[1], -q[2], q[3]];
}

export function quatNormalize(q: Quat): Quat {
  const n = Math.hypot(q[0], q[1], q[2], q[3]) || 1;
  return [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
}

export function quatFromAxisAngle(axis: Vec3, angle: number): Quat {
  const s = Math.sin(angle / 2);
  return [axis[0] * s, axis[1] * s, axis[2] * s, Math.cos(angle / 2)];
}

export function quatRotate(q: Quat, v: Vec3): Vec3 {
  const [x, y, z, w] = q;
  // t = 2 q.xyz × v; v' = v + w t + q.xyz × t
  const tx = 2 * (y * v[2] - z * v[1]);
  const ty = 2 * (z * v[0] - x * v[2]);
  const tz = 2 * (x * v[1] - y * v[0]);
  return [v[0] + w * tx + (y * tz - z * ty), v[1] + w * ty + (z * tx - x * tz), v[2] + w * tz + (x * ty - y * tx)];
}

export function quatToMat(q: Quat): Mat3 {
  const [x, y, z, w] = q;
  return [
    1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
    2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
    2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
  ];
}

export function matToQuat(m: Mat3): Quat {
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = m;
  const tr = m00 + m11 + m22;
  let q: Quat;
  if (tr > 0) {
    const s = Math.sqrt(tr + 1) * 2;
    q = [(m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s, 0.25 * s];
  } else if (m00 > m11 && m00 > m22) {
    const s = Math.sqrt(1 + m00 - m11 - m22) * 2;
    q = [0.25 * s, (m01 + m10) / s, (m02 + m20) / s, (m21 - m12) / s];
  } else if (m11 > m22) {
    const s = Math.sqrt(1 + m11 - m00 - m22) * 2;
    q = [(m01 + m10) / s, 0.25 * s, (m12 + m21) / s, (m02 - m20) / s];
  } else {
    const s = Math.sqrt(1 + m22 - m00 - m11) * 2;
    q = [(m02 + m20) / s, (m12 + m21) / s, 0.25 * s, (m10 - m01) / s];
  }
  return quatNormalize(q);
}

/** Quaternion → URDF rpy (inverse of rpyToQuat). */
export function quatToRpy(q: Quat): Vec3 {
  const m = quatToMat(q);
  const pitch = Math.asin(Math.max(-1, Math.min(1, -m[6])));
  if (Math.abs(m[6]) < 1 - 1e-9) {
    return [Math.atan2(m[7], m[8]), pitch, Math.atan2(m[3], m[0])];
  }
  // Gimbal lock: put everything in yaw.
  return [0, pitch, Math.atan2(-m[1], m[4])];
}

/** A rigid transform as translation + quaternion. */
export interface Xform {
  p: Vec3;
  q: Quat;
}

export function poseToXform(pose: Pose): Xform {
  return { p: [...pose.xyz], q: rpyToQuat(pose.rpy) };
}

export function xformToPose(x: Xform): Pose {
  return { xyz: [...x.p], rpy: quatToRpy(x.q) };
}

/** a ∘ b: first b, then a (frame b expressed in a's parent frame). */
export function xformMul(a: Xform, b: Xform): Xform {
  const r = quatRotate(a.q, b.p);
  return { p: [a.p[0] + r[0], a.p[1] + r[1], a.p[2] + r[2]], q: quatNormalize(quatMul(a.q, b.q)) };
}

export function xformInv(a: Xform): Xform {
  const qi = quatConj(a.q);
  const p = quatRotate(qi, a.p);
  return { p: [-p[0], -p[1], -p[2]], q: qi };
}

export const IDENTITY: Xform = { p: [0, 0, 0], q: [0, 0, 0, 1] };

export function matMul(a: Mat3, b: Mat3): Mat3 {
  const r = new Array(9).fill(0) as Mat3;
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    let s = 0;
    for (let k = 0; k < 3; k++) s += a[i * 3 + k]! * b[k * 3 + j]!;
    r[i * 3 + j] = s;
  }
  return r;
}

export function matTranspose(a: Mat3): Mat3 {
  return [a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]];
}

/** R · I · Rᵀ: an inertia tensor expressed in a rotated frame. */
export function rotateInertia(R: Mat3, I: Mat3): Mat3 {
  return matMul(matMul(R, I), matTranspose(R));
}

/**
 * Parallel-axis shift: inertia about a point displaced by d from the centre of mass (kg·m²).
 * I_p = I_com + m (|d|² E − d dᵀ).
 */
export function shiftInertia(Icom: Mat3, mass: number, d: Vec3): Mat3 {
  const dd = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
  const out = [...Icom] as Mat3;
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) out[i * 3 + j] += mass * ((i === j ? dd : 0) - d[i]! * d[j]!);
  return out;
}

/**
 * Eigen-decomposition of a symmetric 3×3 matrix (cyclic Jacobi). Returns principal values and a proper
 * rotation R whose columns are the principal axes, so I = R · diag(values) · Rᵀ.
 */
export function symEig3(A: Mat3): { values: Vec3; R: Mat3 } {
  const a = [...A];
  const v = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = Math.abs(a[1]!) + Math.abs(a[2]!) + Math.abs(a[5]!);
    const scale = Math.abs(a[0]!) + Math.abs(a[4]!) + Math.abs(a[8]!);
    if (off <= 1e-15 * Math.max(scale, 1e-300)) break;
    for (const [p, q] of [[0, 1], [0, 2], [1, 2]] as const) {
      const apq = a[p * 3 + q]!;
      if (Math.abs(apq) < 1e-300) continue;
      const app = a[p * 3 + p]!;
      const aqq = a[q * 3 + q]!;
      const theta = (aqq - app) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      // A' = Jᵀ A J with J the Givens rotation in the (p, q) plane.
      for (let k = 0; k < 3; k++) {
        const akp = a[k * 3 + p]!;
        const akq = a[k * 3 + q]!;
        a[k * 3 + p] = c * akp - s * akq;
        a[k * 3 + q] = s * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[p * 3 + k]!;
        const aqk = a[q * 3 + k]!;
        a[p * 3 + k] = c * apk - s * aqk;
        a[q * 3 + k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[k * 3 + p]!;
        const vkq = v[k * 3 + q]!;
        v[k * 3 + p] = c * vkp - s * vkq;
        v[k * 3 + q] = s * vkp + c * vkq;
      }
    }
  }
  const R = v as Mat3;
  // Make the basis right-handed so it converts to a quaternion.
  const det =
    R[0] * (R[4] * R[8] - R[5] * R[7]) - R[1] * (R[3] * R[8] - R[5] * R[6]) + R[2] * (R[3] * R[7] - R[4] * R[6]);
  if (det < 0) {
    R[2] = -R[2];
    R[5] = -R[5];
    R[8] = -R[8];
  }
  return { values: [a[0]!, a[4]!, a[8]!], R };
}

export function inertiaToMat(i: { ixx: number; iyy: number; izz: number; ixy: number; ixz: number; iyz: number }): Mat3 {
  return [i.ixx, i.ixy, i.ixz, i.ixy, i.iyy, i.iyz, i.ixz, i.iyz, i.izz];
}

export function matToInertia(m: Mat3): { ixx: number; iyy: number; izz: number; ixy: number; ixz: number; iyz: number } {
  return { ixx: m[0], iyy: m[4], izz: m[8], ixy: (m[1] + m[3]) / 2, ixz: (m[2] + m[6]) / 2, iyz: (m[5] + m[7]) / 2 };
}

// ---------------------------------------------------------------- allocation-free helpers for per-step code

/** out = R(q)ᵀ v: a world-frame vector expressed in the body frame. */
export function rotateInverse(q: ArrayLike<number>, v: ArrayLike<number>, out: Float64Array | Float32Array | number[]): void {
  const x = -q[0]!, y = -q[1]!, z = -q[2]!, w = q[3]!;
  rotateRaw(x, y, z, w, v[0]!, v[1]!, v[2]!, out);
}

/** out = R(q) v (the allocation-free form of quatRotate). */
export function rotate(q: ArrayLike<number>, v: ArrayLike<number>, out: Float64Array | Float32Array | number[]): void {
  rotateRaw(q[0]!, q[1]!, q[2]!, q[3]!, v[0]!, v[1]!, v[2]!, out);
}

function rotateRaw(x: number, y: number, z: number, w: number, vx: number, vy: number, vz: number, out: Float64Array | Float32Array | number[]): void {
  // t = 2 q.xyz × v ; v' = v + w t + q.xyz × t
  const tx = 2 * (y * vz - z * vy);
  const ty = 2 * (z * vx - x * vz);
  const tz = 2 * (x * vy - y * vx);
  out[0] = vx + w * tx + (y * tz - z * ty);
  out[1] = vy + w * ty + (z * tx - x * tz);
  out[2] = vz + w * tz + (x * ty - y * tx);
}

/** Quaternion for a rotation of `yaw` rad about +z. */
export function yawQuat(yaw: number): [number, number, number, number] {
  return [0, 0, Math.sin(yaw / 2), Math.cos(yaw / 2)];
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
