/** Small allocation-free vector helpers for per-step task code. Quaternions are [x, y, z, w]. */

/** out = R(q)ᵀ v: a world-frame vector expressed in the body frame. */
export function rotateInverse(q: ArrayLike<number>, v: ArrayLike<number>, out: Float64Array | Float32Array | number[]): void {
  const x = -q[0]!, y = -q[1]!, z = -q[2]!, w = q[3]!;
  rotateRaw(x, y, z, w, v[0]!, v[1]!, v[2]!, out);
}

/** out = R(q) v. */
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
