/**
 * RapierRobot, part 5 of 5: the class the world creates. Resets (joint state and base pose, with body poses from
 * core's forward kinematics) and the setters domain randomization uses (friction, restitution, link mass scales,
 * base payload, base velocity). See robot-base.ts for how the robot is built and how the parts fit together.
 */
import type { RobotSim } from './types.ts';
import { linkPoses, quatNormalize, quatRotate, type Quat, type Vec3, type Xform } from '@s2r/core';
import { q4, v3, type RBody } from './robot-common.ts';
import { RobotActuation } from './robot-actuation.ts';

export class RapierRobot extends RobotActuation implements RobotSim {
  // ------------------------------------------------------------------ resets and DR

  resetState(q: ArrayLike<number>, basePosition?: Vec3, baseQuat?: Quat, qd?: ArrayLike<number>): void {
    this.checkLen(q, 'resetState q');
    if (qd) this.checkLen(qd, 'resetState qd');
    const n = this.dof;
    const q64 = new Float64Array(n);
    const qd64 = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      q64[i] = q[i]!;
      qd64[i] = qd ? qd[i]! : 0;
    }
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(q64[i]!) || !Number.isFinite(qd64[i]!)) {
        throw new RangeError(`resetState: joint "${this.jointNames[i]}" has position ${q64[i]} and velocity ${qd64[i]}`);
      }
    }
    const pos = basePosition ?? this.spawnPos;
    const quat = quatNormalize(baseQuat ?? this.spawnQuat);
    if (![...pos, ...quat].every(Number.isFinite)) throw new RangeError(`resetState: base pose ${pos} / ${quat} is not finite`);
    const poses = linkPoses(this.chain, q64, { p: pos, q: quat });
    // Velocities: root at rest; children add the joint's relative motion.
    const B = this.bodies.length;
    const w = new Float64Array(3 * B);
    const v = new Float64Array(3 * B);
    const com: Vec3[] = poses.map((p, b) => {
      const c = quatRotate(p.q, [this.localCom[3 * b]!, this.localCom[3 * b + 1]!, this.localCom[3 * b + 2]!]);
      return [p.p[0] + c[0], p.p[1] + c[1], p.p[2] + c[2]];
    });
    for (let b = 1; b < B; b++) {
      const pb = this.parentBody[b]!;
      const j = this.jointOfBody[b]!;
      const pw: Vec3 = [w[3 * pb]!, w[3 * pb + 1]!, w[3 * pb + 2]!];
      const r: Vec3 = [com[b]![0] - com[pb]![0], com[b]![1] - com[pb]![1], com[b]![2] - com[pb]![2]];
      let wx = pw[0], wy = pw[1], wz = pw[2];
      let vx = v[3 * pb]! + (pw[1] * r[2] - pw[2] * r[1]);
      let vy = v[3 * pb + 1]! + (pw[2] * r[0] - pw[0] * r[2]);
      let vz = v[3 * pb + 2]! + (pw[0] * r[1] - pw[1] * r[0]);
      if (j >= 0 && qd64[j] !== 0) {
        const aw = quatRotate(poses[b]!.q, [this.jAxis[3 * j]!, this.jAxis[3 * j + 1]!, this.jAxis[3 * j + 2]!]);
        const s = qd64[j]!;
        if (this.jPrismatic[j]) {
          vx += aw[0] * s;
          vy += aw[1] * s;
          vz += aw[2] * s;
        } else {
          wx += aw[0] * s;
          wy += aw[1] * s;
          wz += aw[2] * s;
          const d: Vec3 = [com[b]![0] - poses[b]!.p[0], com[b]![1] - poses[b]!.p[1], com[b]![2] - poses[b]!.p[2]];
          vx += aw[1] * s * d[2] - aw[2] * s * d[1];
          vy += aw[2] * s * d[0] - aw[0] * s * d[2];
          vz += aw[0] * s * d[1] - aw[1] * s * d[0];
        }
      }
      w.set([wx, wy, wz], 3 * b);
      v.set([vx, vy, vz], 3 * b);
    }
    for (let b = 0; b < B; b++) {
      const body = this.bodies[b]!;
      const p = poses[b]!;
      this.sv.x = p.p[0];
      this.sv.y = p.p[1];
      this.sv.z = p.p[2];
      body.setTranslation(this.sv, false);
      this.sq.x = p.q[0];
      this.sq.y = p.q[1];
      this.sq.z = p.q[2];
      this.sq.w = p.q[3];
      body.setRotation(this.sq, false);
      if (body.isFixed()) continue;
      this.sv.x = v[3 * b]!;
      this.sv.y = v[3 * b + 1]!;
      this.sv.z = v[3 * b + 2]!;
      body.setLinvel(this.sv, false);
      this.sv.x = w[3 * b]!;
      this.sv.y = w[3 * b + 1]!;
      this.sv.z = w[3 * b + 2]!;
      body.setAngvel(this.sv, false);
      body.resetForces(false);
      body.resetTorques(false);
    }
    this.setStateFromPoses(q64, qd64, poses, w, v);
  }

  protected setStateFromPoses(q: Float64Array, qd: Float64Array, poses: Xform[], w?: Float64Array, v?: Float64Array): void {
    for (let b = 0; b < poses.length; b++) {
      this.bodyQ.set(poses[b]!.q, 4 * b);
      this.bodyP.set(poses[b]!.p, 3 * b);
    }
    if (w) this.bodyW.set(w);
    else this.bodyW.fill(0);
    if (v) this.bodyV.set(v);
    else this.bodyV.fill(0);
    this.q64.set(q);
    this.qd64.set(qd);
    this.jointPos.set(q);
    this.jointVel.set(qd);
    this.jointEffort.fill(0);
    this.contactForce.fill(0);
    this.contactsFresh = true;
  }

  setBaseVelocity(lin: Vec3, ang?: Vec3): void {
    if (this.fixedBase) throw new Error('setBaseVelocity: the robot has a fixed base');
    const body = this.bodies[0]!;
    body.setLinvel(v3(lin), true);
    if (ang) {
      body.setAngvel(v3(ang), true);
      this.bodyW.set(ang, 0);
    }
  }

  setFriction(mu: number): void {
    if (!(mu >= 0)) throw new RangeError(`setFriction: friction must be ≥ 0, got ${mu}`);
    for (const c of this.colliders) c.setFriction(mu);
  }

  setRestitution(e: number): void {
    if (!(e >= 0 && e <= 1)) throw new RangeError(`setRestitution: restitution must be in [0, 1], got ${e}`);
    for (const c of this.colliders) c.setRestitution(e);
  }

  setLinkMassScale(link: string, scale: number): void {
    if (!(scale > 0)) throw new RangeError(`setLinkMassScale: scale must be > 0, got ${scale}`);
    let b = this.linkNames.indexOf(link);
    if (b < 0) {
      const owner = this.merged.links.find((l) => l.merged?.includes(link));
      if (owner) b = this.linkNames.indexOf(owner.name);
    }
    if (b < 0) throw new Error(`setLinkMassScale: unknown link "${link}" (links: ${this.linkNames.join(', ')})`);
    this.massScale[b] = scale;
    this.applyMass(b);
  }

  setBasePayload(addedMassKg: number, comOffset: Vec3): void {
    if (!Number.isFinite(addedMassKg)) throw new RangeError(`setBasePayload: mass must be finite, got ${addedMassKg}`);
    this.payloadMass = addedMassKg;
    this.payloadCom = [...comOffset] as Vec3;
    this.applyMass(0);
  }

  protected applyMass(b: number): void {
    if (b === 0 && this.fixedBase) return;
    const mp = this.nominalMassProps[b]!;
    const s = this.massScale[b]!;
    let mass = mp.mass * s;
    let com: Vec3 = [...mp.com] as Vec3;
    if (b === 0) {
      // Payload: extra mass at the base (kg) and a shift of the base centre of mass (m, base frame), as in
      // legged_gym's added-mass and Isaac Lab's CoM randomization; inertia keeps its nominal shape.
      mass = Math.max(mass + this.payloadMass, 1e-3);
      com = [com[0] + this.payloadCom[0], com[1] + this.payloadCom[1], com[2] + this.payloadCom[2]];
    }
    const inertiaScale = b === 0 ? mass / mp.mass : s;
    this.bodies[b]!.setAdditionalMassProperties(
      mass,
      v3(com),
      v3([mp.inertia[0] * inertiaScale, mp.inertia[1] * inertiaScale, mp.inertia[2] * inertiaScale]),
      q4(mp.frame),
      true,
    );
    this.localCom.set(com, 3 * b);
  }

  /** Current total mass (kg) as simulated, including scales and payload. */
  totalMass(): number {
    let m = 0;
    for (let b = 0; b < this.bodies.length; b++) {
      if (b === 0 && this.fixedBase) continue;
      m += this.nominalMassProps[b]!.mass * this.massScale[b]! + (b === 0 ? this.payloadMass : 0);
    }
    return m;
  }

  /** The Rapier rigid bodies, root first (for tasks that need raw access, e.g. pushing or reading a foot). */
  rigidBodies(): readonly RBody[] {
    return this.bodies;
  }

  /** Called by SimWorld.free(). */
  release(): void {
    if (this.freed) return;
    this.freed = true;
    this.rawTorque.free();
    for (const c of this.colliders) this.hooks.unregisterCollider(c.handle);
  }

}
