/**
 * RapierRobot, part 4 of 5: actuation. 'pd': explicit PD in JS every physics step, applied as equal and opposite
 * torques on child and parent, effort clamped per joint; 'motor': Rapier's implicit ForceBased joint motor.
 */
import { quatConj, quatMul, quatRotate, type Quat, type Vec3, type Xform } from '@s2r/core';
import { FRICTION_LOCK_GAIN, fillFrom, minRotFromX, WRAP } from './robot-common.ts';
import { RobotState } from './robot-state.ts';

export abstract class RobotActuation extends RobotState {
  // ------------------------------------------------------------------ actuation

  setPositionTargets(q: ArrayLike<number>): void {
    this.checkLen(q, 'setPositionTargets');
    // A NaN would reach Rapier as a NaN torque and poison the whole world; refuse it where it enters.
    for (let i = 0; i < this.dof; i++) {
      const v = q[i]!;
      if (!Number.isFinite(v)) throw new RangeError(`setPositionTargets: target for joint "${this.jointNames[i]}" is ${v}`);
      this.target[i] = v;
    }
    this.motorDirty = true;
  }

  setTorques(tau: ArrayLike<number>): void {
    this.checkLen(tau, 'setTorques');
    for (let i = 0; i < this.dof; i++) {
      const v = tau[i]!;
      if (!Number.isFinite(v)) throw new RangeError(`setTorques: torque for joint "${this.jointNames[i]}" is ${v}`);
      this.tauFF[i] = v;
    }
  }

  setGains(kp: number | ArrayLike<number>, kd: number | ArrayLike<number>): void {
    fillFrom(this.kp, kp, 'kp');
    fillFrom(this.kd, kd, 'kd');
    this.motorDirty = true;
    if (this.axisInertia) this.checkExplicitStability();
  }


  protected computeAxisInertia(poses: Xform[]): Float64Array {
    const B = this.parentBody.length;
    const out = new Float64Array(this.dof);
    const inSubtree = (b: number, root: number): boolean => {
      for (let x = b; x >= 0; x = this.parentBody[x]!) if (x === root) return true;
      return false;
    };
    for (let i = 0; i < this.dof; i++) {
      if (this.jPrismatic[i]) continue;
      const cb = this.jChild[i]!;
      const a = quatRotate(poses[cb]!.q, [this.jAxis[3 * i]!, this.jAxis[3 * i + 1]!, this.jAxis[3 * i + 2]!]);
      const p = poses[cb]!.p;
      let I = 0;
      for (let b = 0; b < B; b++) {
        if (!inSubtree(b, cb)) continue;
        const mp = this.nominalMassProps[b]!;
        const frame = quatMul(poses[b]!.q, mp.frame);
        for (let k = 0; k < 3; k++) {
          const e = quatRotate(frame, [k === 0 ? 1 : 0, k === 1 ? 1 : 0, k === 2 ? 1 : 0]);
          const d = a[0] * e[0] + a[1] * e[1] + a[2] * e[2];
          I += mp.inertia[k]! * d * d;
        }
        const c = quatRotate(poses[b]!.q, mp.com);
        const r: Vec3 = [poses[b]!.p[0] + c[0] - p[0], poses[b]!.p[1] + c[1] - p[1], poses[b]!.p[2] + c[2] - p[2]];
        const along = r[0] * a[0] + r[1] * a[1] + r[2] * a[2];
        I += mp.mass * (r[0] * r[0] + r[1] * r[1] + r[2] * r[2] - along * along);
      }
      out[i] = I;
    }
    return out;
  }

  protected checkExplicitStability(): void {
    if (this.actuator !== 'pd' || !this.axisInertia) return;
    const dt = 1 / this.invDt;
    for (let i = 0; i < this.dof; i++) {
      const I = this.axisInertia[i]!;
      if (!(I > 0) || this.stabilityWarned.has(i)) continue;
      const d = (this.kd[i]! * dt) / I, k = (this.kp[i]! * dt * dt) / I;
      // Implicit URDF damping at least as large as Kd keeps the explicit D term in check.
      const dampingCovers = this.damping[i]! >= this.kd[i]!;
      if ((d > 0.8 && !dampingCovers) || k > 2) {
        this.stabilityWarned.add(i);
        this.warnings.push(
          `joint "${this.jointNames[i]}": explicit PD near its stability limit at dt ${dt} s (I ≈ ${I.toExponential(2)} kg·m² about the axis, ` +
            `kd·dt/I = ${d.toFixed(2)}, kp·dt²/I = ${k.toFixed(2)}); lower the gains or dt, or use actuator 'motor'`,
        );
      }
    }
  }

  setMotorStrength(scale: number | ArrayLike<number>): void {
    fillFrom(this.strength, scale, 'motor strength');
    this.motorDirty = true;
  }

  /** Called by SimWorld.step before Rapier advances. */
  applyActuation(): void {
    const n = this.dof;
    const motor = this.actuator === 'motor';
    if (motor && this.motorDirty) this.applyMotors();
    const fj = this.frictionJoints;
    for (let k = 0; k < fj.length; k++) {
      const i = fj[k]!;
      (this.joints[i] as unknown as { setMotorMaxForce(f: number): void }).setMotorMaxForce(this.friction[i]! + this.damping[i]! * Math.abs(this.qd64[i]!));
    }
    const torque = this.torque;
    torque.fill(0);
    if (this.hasPrismatic) this.force.fill(0);
    const bq = this.bodyQ;
    let anyFF = !motor;
    for (let i = 0; i < n; i++) {
      let tau: number;
      if (motor) {
        // The motor bounds its own force by the effort limit; the feed-forward term is clamped on its own
        // (so PD + feed-forward together can reach up to twice the limit in this mode).
        const lim = this.effortLimit[i]!;
        tau = this.strength[i]! * this.tauFF[i]!;
        if (tau > lim) tau = lim;
        else if (tau < -lim) tau = -lim;
        if (tau !== 0) anyFF = true;
      } else {
        const lim = this.effortLimit[i]!;
        tau = this.strength[i]! * (this.kp[i]! * (this.target[i]! - this.q64[i]!) - this.kd[i]! * this.qd64[i]! + this.tauFF[i]!);
        if (tau > lim) tau = lim;
        else if (tau < -lim) tau = -lim;
        this.jointEffort[i] = tau;
      }
      if (tau === 0) continue;
      const cb = this.jChild[i]!, pb = this.jParent[i]!;
      // Axis in world = R_child · axis_local.
      const qx = bq[4 * cb]!, qy = bq[4 * cb + 1]!, qz = bq[4 * cb + 2]!, qw = bq[4 * cb + 3]!;
      const vx = this.jAxis[3 * i]!, vy = this.jAxis[3 * i + 1]!, vz = this.jAxis[3 * i + 2]!;
      const tx = 2 * (qy * vz - qz * vy), ty = 2 * (qz * vx - qx * vz), tz = 2 * (qx * vy - qy * vx);
      const ax = vx + qw * tx + (qy * tz - qz * ty);
      const ay = vy + qw * ty + (qz * tx - qx * tz);
      const az = vz + qw * tz + (qx * ty - qy * tx);
      const acc = this.jPrismatic[i] ? this.force : torque;
      acc[3 * cb] += tau * ax;
      acc[3 * cb + 1] += tau * ay;
      acc[3 * cb + 2] += tau * az;
      if (!this.jPrismatic[i]) {
        acc[3 * pb] -= tau * ax;
        acc[3 * pb + 1] -= tau * ay;
        acc[3 * pb + 2] -= tau * az;
      }
    }
    // Motor mode only pushes torques when there is a feed-forward term now or there was one last step.
    if (!anyFF && !this.ffApplied && !this.hasPrismatic) return;
    this.ffApplied = anyFF;
    const sv = this.sv;
    const ab = this.actBodies;
    // RigidBody.addTorque allocates and frees a WASM vector per call (~250 ns here); writing into one persistent
    // raw vector and calling the raw setter costs ~45 ns. Same Rapier call, same effect.
    const raw = this.rawTorque;
    const rawSet = this.rawBodySet;
    for (let k = 0; k < ab.length; k++) {
      const b = ab[k]!;
      const handle = this.bodyHandles[b]!;
      rawSet.rbResetTorques(handle, false);
      const x = torque[3 * b]!, y = torque[3 * b + 1]!, z = torque[3 * b + 2]!;
      if (x === 0 && y === 0 && z === 0) continue;
      raw.x = x;
      raw.y = y;
      raw.z = z;
      rawSet.rbAddTorque(handle, raw, false);
    }
    if (this.hasPrismatic) {
      const sp = this.sp;
      for (let k = 0; k < ab.length; k++) this.bodies[ab[k]!]!.resetForces(false);
      for (let i = 0; i < n; i++) {
        if (!this.jPrismatic[i]) continue;
        const cb = this.jChild[i]!, pb = this.jParent[i]!;
        sv.x = this.force[3 * cb]!;
        sv.y = this.force[3 * cb + 1]!;
        sv.z = this.force[3 * cb + 2]!;
        if (sv.x === 0 && sv.y === 0 && sv.z === 0) continue;
        this.bodies[cb]!.addForce(sv, false);
        if (this.fixedBase && pb === 0) continue;
        // The reaction acts at the same point (the child's centre of mass) so the pair adds no net torque.
        const c = this.bodies[cb]!.worldCom(sp);
        sv.x = -sv.x;
        sv.y = -sv.y;
        sv.z = -sv.z;
        this.bodies[pb]!.addForceAtPoint(sv, c, false);
      }
    }
  }

  protected applyMotors(): void {
    const R = this.hooks.R;
    for (let i = 0; i < this.dof; i++) {
      const j = this.joints[i] as unknown as {
        configureMotorModel(m: number): void;
        configureMotor(p: number, v: number, k: number, d: number): void;
        setMotorMaxForce?(f: number): void;
        configureMotorVelocity(v: number, d: number): void;
      };
      if (this.actuator === 'motor') {
        const s = this.strength[i]!;
        const k = this.kp[i]! * s, d = this.kd[i]! * s + this.damping[i]!;
        // Rapier's motor with zero stiffness and damping locks the joint; switch it off with a zero force bound.
        j.setMotorMaxForce!(k === 0 && d === 0 ? 0 : this.effortLimit[i]!);
        j.configureMotor(this.toRapier(i, this.target[i]!), 0, k, d);
      } else if (this.friction[i]! > 0) {
        // URDF Coulomb friction (+ viscous damping): a stiff velocity lock whose force bound is refreshed every
        // step to friction + damping·|q̇| (see applyActuation). Implicit, so it holds light links without chatter.
        j.configureMotorVelocity(0, FRICTION_LOCK_GAIN);
        j.setMotorMaxForce!(this.friction[i]! + this.damping[i]! * Math.abs(this.qd64[i]!));
      } else if (this.damping[i]! > 0) {
        // URDF viscous damping, implicit in the solver (explicit damping would be unstable on light links).
        j.configureMotorVelocity(0, this.damping[i]!);
      }
    }
    void R;
    this.motorDirty = false;
  }


  protected offsetFor(i: number, sgn: number): number {
    const ax: Vec3 = [sgn * this.jAxis[3 * i]!, sgn * this.jAxis[3 * i + 1]!, sgn * this.jAxis[3 * i + 2]!];
    const oq: Quat = [this.jOriginQ[4 * i]!, this.jOriginQ[4 * i + 1]!, this.jOriginQ[4 * i + 2]!, this.jOriginQ[4 * i + 3]!];
    const f1 = minRotFromX(quatRotate(oq, ax));
    const f2 = minRotFromX(ax);
    const d = quatMul(quatConj(f1), quatMul(oq, f2)); // a rotation about x by δ
    return WRAP(2 * Math.atan2(d[0], d[3]));
  }

  /**
   * Rapier compares sin(θ/2) against its limits, so a limited range must not cross θ = ±π. Of the two axis signs,
   * pick the one whose mapped range stays clear of ±π (keeping + when both do).
   */
  protected chooseAxisSign(i: number): number {
    const lo = this.lower[i]!, hi = this.upper[i]!;
    let best = 1, bestCut = Infinity;
    for (const sgn of [1, -1]) {
      const d = this.offsetFor(i, sgn);
      let cut = 0;
      if (Number.isFinite(lo) && Number.isFinite(hi) && hi - lo < 2 * Math.PI - 1e-6) {
        let a = Math.min(sgn * lo, sgn * hi) + d, b = Math.max(sgn * lo, sgn * hi) + d;
        const shift = 2 * Math.PI * Math.round((a + b) / 2 / (2 * Math.PI));
        a -= shift;
        b -= shift;
        cut = Math.max(0, -Math.PI - a) + Math.max(0, b - Math.PI);
      }
      if (cut < bestCut - 1e-12) {
        best = sgn;
        bestCut = cut;
      }
    }
    (this.axisSign as Int8Array)[i] = best;
    (this.rapierOffset as Float64Array)[i] = this.offsetFor(i, best);
    return best;
  }

  /** URDF joint position → Rapier's angle for joint i. */
  protected toRapier(i: number, q: number): number {
    return this.jPrismatic[i] ? q : this.axisSign[i]! * q + this.rapierOffset[i]!;
  }

}
