/**
 * RapierRobot, part 3 of 5: state read-back (joint angles and velocities from body poses, base pose and velocity,
 * IMU, link poses).
 */
import { quatRotate, type Quat, type Vec3 } from '@s2r/core';
import { WRAP } from './robot-common.ts';
import { RobotContacts } from './robot-contacts.ts';

export abstract class RobotState extends RobotContacts {
  // ------------------------------------------------------------------ state

  /** Called by SimWorld.step after Rapier advances: refresh joint positions and velocities. */
  readState(): void {
    const B = this.bodies.length;
    const sq = this.sq, sv = this.sv;
    const bq = this.bodyQ, bw = this.bodyW;
    for (let b = 0; b < B; b++) {
      const body = this.bodies[b]!;
      body.rotation(sq as never);
      bq[4 * b] = sq.x;
      bq[4 * b + 1] = sq.y;
      bq[4 * b + 2] = sq.z;
      bq[4 * b + 3] = sq.w;
      body.angvel(sv as never);
      bw[3 * b] = sv.x;
      bw[3 * b + 1] = sv.y;
      bw[3 * b + 2] = sv.z;
      if (this.hasPrismatic) {
        body.translation(sv as never);
        this.bodyP[3 * b] = sv.x;
        this.bodyP[3 * b + 1] = sv.y;
        this.bodyP[3 * b + 2] = sv.z;
        body.linvel(sv as never);
        this.bodyV[3 * b] = sv.x;
        this.bodyV[3 * b + 1] = sv.y;
        this.bodyV[3 * b + 2] = sv.z;
      }
    }
    this.computeJointState();
    this.contactsFresh = false;
    if (this.actuator === 'motor') this.estimateMotorEffort();
  }

  protected computeJointState(): void {
    const n = this.dof;
    const bq = this.bodyQ, bw = this.bodyW;
    for (let i = 0; i < n; i++) {
      const cb = this.jChild[i]!, pb = this.jParent[i]!;
      // Parent rotation composed with the joint origin rotation: a = q_p · q_o.
      const px = bq[4 * pb]!, py = bq[4 * pb + 1]!, pz = bq[4 * pb + 2]!, pw = bq[4 * pb + 3]!;
      const ox = this.jOriginQ[4 * i]!, oy = this.jOriginQ[4 * i + 1]!, oz = this.jOriginQ[4 * i + 2]!, ow = this.jOriginQ[4 * i + 3]!;
      const ax = pw * ox + px * ow + py * oz - pz * oy;
      const ay = pw * oy - px * oz + py * ow + pz * ox;
      const az = pw * oz + px * oy - py * ox + pz * ow;
      const aw = pw * ow - px * ox - py * oy - pz * oz;
      const cx = bq[4 * cb]!, cy = bq[4 * cb + 1]!, cz = bq[4 * cb + 2]!, cw = bq[4 * cb + 3]!;
      const vx = this.jAxis[3 * i]!, vy = this.jAxis[3 * i + 1]!, vz = this.jAxis[3 * i + 2]!;
      // Axis in world from the child rotation.
      const tx = 2 * (cy * vz - cz * vy), ty = 2 * (cz * vx - cx * vz), tz = 2 * (cx * vy - cy * vx);
      const wx = vx + cw * tx + (cy * tz - cz * ty);
      const wy = vy + cw * ty + (cz * tx - cx * tz);
      const wz = vz + cw * tz + (cx * ty - cy * tx);
      if (!this.jPrismatic[i]) {
        // r = conj(a) · c
        const rx = aw * cx - ax * cw - ay * cz + az * cy;
        const ry = aw * cy + ax * cz - ay * cw - az * cx;
        const rz = aw * cz - ax * cy + ay * cx - az * cw;
        const rw = aw * cw + ax * cx + ay * cy + az * cz;
        const raw = 2 * Math.atan2(rx * vx + ry * vy + rz * vz, rw);
        const prev = this.q64[i]!;
        const q = prev + WRAP(raw - prev);
        this.q64[i] = q;
        this.jointPos[i] = q;
        const qd = this.jMotor[i]
          ? (q - prev) * this.invDt
          : (bw[3 * cb]! - bw[3 * pb]!) * wx + (bw[3 * cb + 1]! - bw[3 * pb + 1]!) * wy + (bw[3 * cb + 2]! - bw[3 * pb + 2]!) * wz;
        this.qd64[i] = qd;
        this.jointVel[i] = qd;
      } else {
        // Position: (o_child − (p_parent + R_parent·origin_p)) · axis_world.
        const op = quatRotate([px, py, pz, pw], [this.jOriginP[3 * i]!, this.jOriginP[3 * i + 1]!, this.jOriginP[3 * i + 2]!]);
        const dx = this.bodyP[3 * cb]! - this.bodyP[3 * pb]! - op[0];
        const dy = this.bodyP[3 * cb + 1]! - this.bodyP[3 * pb + 1]! - op[1];
        const dz = this.bodyP[3 * cb + 2]! - this.bodyP[3 * pb + 2]! - op[2];
        const q = dx * wx + dy * wy + dz * wz;
        const prevQ = this.q64[i]!;
        this.q64[i] = q;
        this.jointPos[i] = q;
        if (this.jMotor[i]) {
          this.qd64[i] = (q - prevQ) * this.invDt;
          this.jointVel[i] = this.qd64[i]!;
          continue;
        }
        // Velocity: child COM velocity minus the parent's velocity at that point.
        const cc = this.comWorld(cb), pc = this.comWorld(pb);
        const rx = cc[0] - pc[0], ry = cc[1] - pc[1], rz = cc[2] - pc[2];
        const pwx = bw[3 * pb]!, pwy = bw[3 * pb + 1]!, pwz = bw[3 * pb + 2]!;
        const vpx = this.bodyV[3 * pb]! + (pwy * rz - pwz * ry);
        const vpy = this.bodyV[3 * pb + 1]! + (pwz * rx - pwx * rz);
        const vpz = this.bodyV[3 * pb + 2]! + (pwx * ry - pwy * rx);
        const qd = (this.bodyV[3 * cb]! - vpx) * wx + (this.bodyV[3 * cb + 1]! - vpy) * wy + (this.bodyV[3 * cb + 2]! - vpz) * wz;
        this.qd64[i] = qd;
        this.jointVel[i] = qd;
      }
    }
  }

  protected comWorld(b: number): Vec3 {
    const q: Quat = [this.bodyQ[4 * b]!, this.bodyQ[4 * b + 1]!, this.bodyQ[4 * b + 2]!, this.bodyQ[4 * b + 3]!];
    const c = quatRotate(q, [this.localCom[3 * b]!, this.localCom[3 * b + 1]!, this.localCom[3 * b + 2]!]);
    return [this.bodyP[3 * b]! + c[0], this.bodyP[3 * b + 1]! + c[1], this.bodyP[3 * b + 2]! + c[2]];
  }

  protected estimateMotorEffort(): void {
    for (let i = 0; i < this.dof; i++) {
      const lim = this.effortLimit[i]!;
      let tau = this.strength[i]! * (this.kp[i]! * (this.target[i]! - this.q64[i]!) - this.kd[i]! * this.qd64[i]! + this.tauFF[i]!);
      if (tau > lim) tau = lim;
      else if (tau < -lim) tau = -lim;
      this.jointEffort[i] = tau;
    }
  }

  basePosition(): Vec3 {
    const t = this.bodies[0]!.translation(this.sv as never);
    return [t.x, t.y, t.z];
  }

  baseQuat(): Quat {
    const r = this.bodies[0]!.rotation(this.sq as never);
    return [r.x, r.y, r.z, r.w];
  }

  baseLinVel(): Vec3 {
    const v = this.bodies[0]!.linvel(this.sv as never);
    return [v.x, v.y, v.z];
  }

  baseAngVel(): Vec3 {
    return [this.bodyW[0]!, this.bodyW[1]!, this.bodyW[2]!];
  }

  imu(): { angVel: Vec3; projectedGravity: Vec3 } {
    const q: Quat = [-this.bodyQ[0]!, -this.bodyQ[1]!, -this.bodyQ[2]!, this.bodyQ[3]!];
    return {
      angVel: quatRotate(q, [this.bodyW[0]!, this.bodyW[1]!, this.bodyW[2]!]),
      projectedGravity: quatRotate(q, this.hooks.gravityDir()),
    };
  }

  /** Per contact link force magnitudes (N) from the last step, order = contactLinkNames. Owned; copy to keep. */
  linkPoses(out?: Float32Array): Float32Array {
    const B = this.bodies.length;
    const o = out ?? new Float32Array(7 * B);
    if (o.length < 7 * B) throw new Error(`linkPoses: output has ${o.length} floats, need ${7 * B}`);
    for (let b = 0; b < B; b++) {
      const body = this.bodies[b]!;
      const t = body.translation(this.sv as never);
      o[7 * b] = t.x;
      o[7 * b + 1] = t.y;
      o[7 * b + 2] = t.z;
      const r = body.rotation(this.sq as never);
      o[7 * b + 3] = r.x;
      o[7 * b + 4] = r.y;
      o[7 * b + 5] = r.z;
      o[7 * b + 6] = r.w;
    }
    return o;
  }

}
