/**
 * Inverse kinematics for a serial arm's tool tip: damped least squares on the tip position with a null-space pull
 * toward a default posture, on the pure-data forward kinematics. Used by z1-push's scripted expert.
 */
import type { Vec3 } from '@s2r/core';
import type { Kinematics } from '@s2r/core';

/** What the IK needs of an arm: its kinematics, the tool link and point, the tool axis and the default posture. */
export interface IkArm {
  kin: Kinematics;
  eeLink: string;
  /** Tip point in the ee link frame (m). */
  eeOffset: Vec3;
  /** Unit tool axis in the ee link frame. */
  toolAxis: Vec3;
  /** Default posture (rad), joint order. */
  q0: ArrayLike<number>;
}

/** Damped least-squares IK on the tip position with a null-space posture pull (see solve). */
export class DlsIk {
  private readonly lower: Float64Array;
  private readonly upper: Float64Array;
  constructor(private readonly g: IkArm, private readonly J: number) {
    const joints = new Map(g.kin.model.joints.map((j) => [j.name, j]));
    this.lower = Float64Array.from(g.kin.jointNames, (n) => joints.get(n)!.limits.lower);
    this.upper = Float64Array.from(g.kin.jointNames, (n) => joints.get(n)!.limits.upper);
  }

  /** Tip position and tool axis (world) of the ee link at q. */
  private tipAxis(q: Float64Array): { p: Vec3; ax: Vec3 } {
    const f = this.g.kin.linkFrames(q).get(this.g.eeLink)!;
    const [qx, qy, qz, qw] = f.q;
    const rot = (v: Vec3): Vec3 => {
      const tx = 2 * (qy * v[2] - qz * v[1]), ty = 2 * (qz * v[0] - qx * v[2]), tz = 2 * (qx * v[1] - qy * v[0]);
      return [v[0] + qw * tx + (qy * tz - qz * ty), v[1] + qw * ty + (qz * tx - qx * tz), v[2] + qw * tz + (qx * ty - qy * tx)];
    };
    const p = rot(this.g.eeOffset);
    return { p: [f.p[0] + p[0], f.p[1] + p[1], f.p[2] + p[2]], ax: rot(this.g.toolAxis) };
  }

  /**
   * Joint targets that move the tip toward `tip`: damped pseudo-inverse on the 3-D tip position, with a pull
   * toward the default pose in the Jacobian's null space (so the redundant joints keep a sane posture), each
   * joint moving at most `maxStep` rad per call.
   */
  solve(q0: Float64Array, tip: Vec3, maxStep = 0.08, posture = 0.05): Float64Array {
    const J = this.J;
    const q = Float64Array.from(q0);
    const lam = 1e-4, eps = 1e-6;
    const Jm = new Float64Array(3 * J);
    for (let it = 0; it < 2; it++) {
      const p = this.tipAxis(q).p;
      const r: Vec3 = [tip[0] - p[0], tip[1] - p[1], tip[2] - p[2]];
      for (let j = 0; j < J; j++) {
        const qq = Float64Array.from(q);
        qq[j]! += eps;
        const p2 = this.tipAxis(qq).p;
        for (let m = 0; m < 3; m++) Jm[m * J + j] = (p2[m]! - p[m]!) / eps;
      }
      // A = J Jᵀ + λI (3×3); J⁺ = Jᵀ A⁻¹
      const A = new Float64Array(9);
      for (let m = 0; m < 3; m++) for (let n = 0; n < 3; n++) {
        let s = 0;
        for (let j = 0; j < J; j++) s += Jm[m * J + j]! * Jm[n * J + j]!;
        A[m * 3 + n] = s + (m === n ? lam : 0);
      }
      const y = solveLinear(A, Float64Array.from(r), 3);
      const z = new Float64Array(J);
      for (let j = 0; j < J; j++) z[j] = posture * (this.g.q0[j]! - q[j]!);
      // Null-space part of z: z − J⁺ J z
      const Jz = new Float64Array(3);
      for (let m = 0; m < 3; m++) for (let j = 0; j < J; j++) Jz[m]! += Jm[m * J + j]! * z[j]!;
      const w = solveLinear(A, Jz, 3);
      for (let j = 0; j < J; j++) {
        let dq = z[j]!;
        for (let m = 0; m < 3; m++) dq += Jm[m * J + j]! * (y[m]! - w[m]!);
        const lo = Math.max(this.lower[j]!, q0[j]! - maxStep);
        const hi = Math.min(this.upper[j]!, q0[j]! + maxStep);
        q[j] = Math.max(lo, Math.min(hi, q[j]! + dq));
      }
    }
    return q;
  }
}

/** Gaussian elimination with partial pivoting (n ≤ 10 here). */
function solveLinear(A: Float64Array, b: Float64Array, n: number): Float64Array {
  const M = Float64Array.from(A);
  const x = Float64Array.from(b);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r * n + c]!) > Math.abs(M[p * n + c]!)) p = r;
    if (p !== c) {
      for (let k = 0; k < n; k++) [M[c * n + k], M[p * n + k]] = [M[p * n + k]!, M[c * n + k]!];
      [x[c], x[p]] = [x[p]!, x[c]!];
    }
    const d = M[c * n + c]! || 1e-12;
    for (let r = c + 1; r < n; r++) {
      const f = M[r * n + c]! / d;
      if (f === 0) continue;
      for (let k = c; k < n; k++) M[r * n + k]! -= f * M[c * n + k]!;
      x[r]! -= f * x[c]!;
    }
  }
  for (let c = n - 1; c >= 0; c--) {
    let s = x[c]!;
    for (let k = c + 1; k < n; k++) s -= M[c * n + k]! * x[k]!;
    x[c] = s / (M[c * n + c]! || 1e-12);
  }
  return x;
}
