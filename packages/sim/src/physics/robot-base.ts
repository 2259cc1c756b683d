/**
 * RapierRobot, part 1 of 5: building. One articulated robot in a Rapier world: one rigid body per link after
 * fixed-joint merging, impulse joints between them, and joint-space actuation.
 *
 * Actuation modes (AddRobotOptions.actuator):
 * - 'pd' (default): PD computed in JS every physics step and applied as equal and opposite torques on child and
 *   parent (`resetTorques` + `addTorque`), held over the step as in legged_gym (PD at the physics rate). The
 *   applied effort is exact and clamped per joint. It is explicit, so it is stable only while
 *   kd·dt/I and kp·dt²/I stay small (Go1 at dt 0.005: Kd ≤ 0.75); light distal links (arm wrists) need 'motor'.
 * - 'motor': Rapier's ForceBased joint motor (implicit PD inside the solver, stable for stiff gains on light
 *   links). The reported effort is the PD law evaluated at the post-step state, clamped: an estimate.
 *
 * Joint angles come from body rotations: q_rel = (q_parent·q_origin)⁻¹·q_child, angle = 2·atan2(q_rel.xyz·axis,
 * q_rel.w), unwrapped against the previous value so joints beyond ±π (Go1 thighs reach 4.5 rad) stay continuous.
 *
 * The class is split by concern into a chain: robot-base.ts (fields, building bodies, colliders and joints) →
 * robot-contacts.ts (contact forces) → robot-state.ts (state read-back) → robot-actuation.ts (PD / motor) →
 * robot-sim.ts (resets and DR). colliders.ts builds the shapes and mass properties.
 * All fields live here: subclasses declare none, so nothing re-initialises what this constructor set.
 */
import { kinematicChain, linkPoses, mergeFixedJoints, poseToXform, quatMul, quatRotate, rpyToQuat, type Joint, type KinematicChain, type Link, type Quat, type RobotModel, type Shape, type Vec3, type Xform } from '@s2r/core';
import type { AddRobotOptions } from './types.ts';
import { colliderDesc, massProps, ROT_X_90 } from './colliders.ts';
import { GROUP_ROBOT, groups, q4, v3, type RawBodySet, type RawVec, type RBody, type RCollider, type RJoint, type WorldHooks } from './robot-common.ts';

/** Fixed-joint merging per model object: envs build one world each from the same model. Models are treated as immutable. */
const mergedCache = new WeakMap<RobotModel, RobotModel>();

export abstract class RobotBase {
  readonly model: RobotModel;
  /** The model after fixed-joint merging: one link per body. */
  readonly merged: RobotModel;
  readonly dof: number;
  readonly jointNames: readonly string[];
  readonly linkNames: readonly string[];
  /** URDF links that own collision geometry (merged links keep their own entry): the order of contacts(). */
  readonly contactLinkNames: readonly string[];
  readonly fixedBase: boolean;
  readonly actuator: 'pd' | 'motor';
  /** Total mass (kg) at nominal scales. */
  readonly nominalMass: number;
  /** Things worth telling the user that were decided while building (massless links given a small mass, …). */
  readonly warnings: string[] = [];

  readonly jointPos: Float32Array;
  readonly jointVel: Float32Array;
  readonly jointEffort: Float32Array;
  /** Per contact link: total contact force magnitude (N) from the last step. Refreshed by contacts()/contactForces(). */
  protected readonly contactForce: Float32Array;

  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly effortLimit: Float64Array;

  protected readonly hooks: WorldHooks;
  protected readonly bodies: RBody[] = [];
  protected readonly colliders: RCollider[] = [];
  protected readonly joints: RJoint[] = [];
  protected readonly parentBody: Int32Array; // per body, −1 for the root
  /** Per joint: child body, parent body, type (0 revolute/continuous, 1 prismatic). */
  protected readonly jChild: Int32Array;
  protected readonly jParent: Int32Array;
  protected readonly jPrismatic: Uint8Array;
  protected readonly jAxis: Float64Array; // axis in the child frame, 3 per joint
  protected readonly jOriginQ: Float64Array; // rotation of the joint origin in the parent frame, 4 per joint
  protected readonly jOriginP: Float64Array; // translation of the joint origin in the parent frame, 3 per joint
  protected readonly jointOfBody: Int32Array; // per body, index of the joint above it (−1 root)
  protected readonly chain: KinematicChain;
  protected readonly localCom: Float64Array; // per body, 3
  protected readonly nominalMassProps: { mass: number; com: Vec3; inertia: Vec3; frame: Quat }[] = [];
  protected readonly massScale: Float64Array;
  protected payloadMass = 0;
  protected payloadCom: Vec3 = [0, 0, 0];

  // Per-step state (double precision copies of what Rapier reports).
  protected readonly bodyQ: Float64Array;
  protected readonly bodyW: Float64Array;
  protected readonly bodyP: Float64Array;
  protected readonly bodyV: Float64Array;
  protected readonly q64: Float64Array;
  protected readonly qd64: Float64Array;
  protected readonly torque: Float64Array; // per body accumulated torque (N·m), world frame
  protected readonly force: Float64Array; // per body accumulated force (N), world frame (prismatic joints)
  protected readonly actBodies: Int32Array; // bodies that receive actuator torques
  protected readonly hasPrismatic: boolean;

  // Commands.
  protected readonly target: Float64Array;
  protected readonly tauFF: Float64Array;
  protected readonly kp: Float64Array;
  protected readonly kd: Float64Array;
  protected readonly strength: Float64Array;
  protected readonly damping: Float64Array;
  /** URDF Coulomb friction per joint (N·m or N); simulated in 'pd' mode only. */
  protected readonly friction: Float64Array;
  /** Joints whose friction bound is refreshed each step ('pd' mode, friction > 0). */
  protected frictionJoints: Int32Array = new Int32Array(0);
  protected motorDirty = true;
  protected ffApplied = false;
  /**
   * Joints driven by a Rapier motor (actuator 'motor', or URDF damping). Measured here: under load, Rapier's soft
   * motor leaves a steady bias in the body velocities (an arm holding still under gravity read 0.1–0.2 rad/s), so
   * these joints report velocity as the finite difference of position over the step instead.
   */
  protected readonly jMotor: Uint8Array = new Uint8Array(0);

  protected readonly invDt: number;
  protected readonly spawnPos: Vec3;
  protected readonly spawnQuat: Quat;
  protected contactsFresh = false;
  protected freed = false;

  /** Raw Rapier handles for the per-step torque calls (see applyActuation). */
  protected readonly bodyHandles: number[] = [];
  protected rawBodySet!: RawBodySet;
  protected rawTorque!: RawVec;

  // Scratch objects reused for every Rapier call (Rapier reads them synchronously).
  protected readonly sv = { x: 0, y: 0, z: 0 };
  protected readonly sp = { x: 0, y: 0, z: 0 };
  protected readonly sq = { x: 0, y: 0, z: 0, w: 1 };

  /**
   * Inertia (kg·m²) of each joint's subtree about its axis at the spawn pose: the load the explicit JS PD drives.
   * An explicit damper is stable for kd·dt/I < 2 and a spring for kp·dt²/I < 4 on one isolated joint; coupled joints
   * on a moving base are less forgiving (measured: the Go1 stands at Kd 0.75, kd·dt/I = 0.66 for the calf, and falls
   * over at Kd 1, 0.88). Warnings start at 0.8 and 2.
   */
  axisInertia: Float64Array | null = null;
  protected readonly stabilityWarned = new Set<number>();
  /**
   * Rapier measures a revolute angle θ from its own joint frames (built from the axes we pass), which differ from
   * the URDF zero: θ = s·q + δ, where s = ±1 is the sign of the axis handed to Rapier and δ a constant (zero when
   * the joint origin has no rotation). Motor targets and limits are mapped through this.
   */
  protected readonly axisSign: Int8Array = new Int8Array(0);
  protected readonly rapierOffset: Float64Array = new Float64Array(0);

  constructor(hooks: WorldHooks, model: RobotModel, options: AddRobotOptions = {}) {
    this.hooks = hooks;
    this.invDt = 1 / hooks.dt;
    this.model = model;
    let merged = mergedCache.get(model);
    if (!merged) {
      merged = mergeFixedJoints(model);
      mergedCache.set(model, merged);
    }
    this.merged = merged;
    this.fixedBase = options.fixedBase ?? model.fixedToWorld ?? false;
    this.actuator = options.actuator ?? 'pd';
    const R = hooks.R;
    const world = hooks.world;

    // Body order: breadth-first from the root.
    const linkByName = new Map(merged.links.map((l) => [l.name, l]));
    const childJoints = new Map<string, Joint[]>();
    for (const j of merged.joints) childJoints.set(j.parent, [...(childJoints.get(j.parent) ?? []), j]);
    const order: { link: Link; joint: Joint | null; parent: number }[] = [{ link: linkByName.get(merged.rootLink)!, joint: null, parent: -1 }];
    for (let i = 0; i < order.length; i++) {
      for (const j of childJoints.get(order[i]!.link.name) ?? []) order.push({ link: linkByName.get(j.child)!, joint: j, parent: i });
    }
    const B = order.length;
    this.linkNames = order.map((o) => o.link.name);
    // Body poses at spawn and reset come from core's forward kinematics, whose breadth-first link order is this
    // body order (checked, since both rely on it).
    this.chain = kinematicChain(merged);
    if (this.chain.links.length !== B || this.chain.links.some((l, i) => l !== this.linkNames[i])) {
      throw new Error(`${model.source}: body order differs from the kinematic chain's (${this.chain.links.join(', ')})`);
    }
    this.jointNames = [...merged.actuatedJoints];
    const n = this.jointNames.length;
    this.dof = n;
    this.parentBody = Int32Array.from(order.map((o) => o.parent));
    this.jointOfBody = new Int32Array(B).fill(-1);

    const jointByName = new Map(merged.joints.map((j) => [j.name, j]));
    const bodyOfLink = new Map(order.map((o, i) => [o.link.name, i]));
    this.jChild = new Int32Array(n);
    this.jParent = new Int32Array(n);
    this.jPrismatic = new Uint8Array(n);
    this.jAxis = new Float64Array(3 * n);
    this.jOriginQ = new Float64Array(4 * n);
    this.jOriginP = new Float64Array(3 * n);
    this.lower = new Float64Array(n);
    this.upper = new Float64Array(n);
    this.effortLimit = new Float64Array(n);
    this.damping = new Float64Array(n);
    this.friction = new Float64Array(n);
    this.axisSign = new Int8Array(n).fill(1);
    this.jMotor = new Uint8Array(n);
    this.rapierOffset = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const j = jointByName.get(this.jointNames[i]!)!;
      const cb = bodyOfLink.get(j.child)!;
      this.jChild[i] = cb;
      this.jParent[i] = bodyOfLink.get(j.parent)!;
      this.jointOfBody[cb] = i;
      this.jPrismatic[i] = j.type === 'prismatic' ? 1 : 0;
      this.jAxis.set(j.axis, 3 * i);
      const ox = poseToXform(j.origin);
      this.jOriginQ.set(ox.q, 4 * i);
      this.jOriginP.set(ox.p, 3 * i);
      this.lower[i] = j.limits.lower;
      this.upper[i] = j.limits.upper;
      this.effortLimit[i] = j.limits.effort;
      this.damping[i] = j.dynamics.damping;
      this.friction[i] = j.dynamics.friction;
      if (j.type === 'prismatic' && j.origin.rpy.some((v) => Math.abs(v) > 1e-12)) {
        throw new Error(
          `${model.source}: prismatic joint "${j.name}" has a rotated origin (rpy ${j.origin.rpy.join(' ')}); ` +
            'the simulator supports prismatic joints only with rpy="0 0 0" — rotate the child link instead',
        );
      }
    }
    this.hasPrismatic = this.jPrismatic.some((v) => v === 1);

    this.jointPos = new Float32Array(n);
    this.jointVel = new Float32Array(n);
    this.jointEffort = new Float32Array(n);
    this.q64 = new Float64Array(n);
    this.qd64 = new Float64Array(n);
    this.target = new Float64Array(n);
    this.tauFF = new Float64Array(n);
    this.kp = new Float64Array(n);
    this.kd = new Float64Array(n);
    this.strength = new Float64Array(n).fill(1);
    this.bodyQ = new Float64Array(4 * B);
    this.bodyW = new Float64Array(3 * B);
    this.bodyP = new Float64Array(3 * B);
    this.bodyV = new Float64Array(3 * B);
    this.torque = new Float64Array(3 * B);
    this.force = new Float64Array(3 * B);
    this.localCom = new Float64Array(3 * B);
    this.massScale = new Float64Array(B).fill(1);
    const act = new Set<number>();
    for (let i = 0; i < n; i++) {
      act.add(this.jChild[i]!);
      if (!(this.fixedBase && this.jParent[i] === 0)) act.add(this.jParent[i]!);
    }
    this.actBodies = Int32Array.from([...act].sort((a, b) => a - b));

    this.setGains(options.kp ?? 0, options.kd ?? 0);

    // Initial configuration.
    const q0 = new Float64Array(n);
    if (options.initialJointPos) {
      if (options.initialJointPos.length !== n) throw new Error(`initialJointPos has ${options.initialJointPos.length} values, the robot has ${n} joints`);
      for (let i = 0; i < n; i++) q0[i] = options.initialJointPos[i]!;
    }
    this.target.set(q0);
    this.spawnPos = [...(options.basePosition ?? [0, 0, 0])] as Vec3;
    this.spawnQuat = [...(options.baseQuat ?? [0, 0, 0, 1])] as Quat;
    const poses = linkPoses(this.chain, q0, { p: this.spawnPos, q: this.spawnQuat });

    // Contact links: the URDF link each collision shape was declared in.
    let keep: Set<string> | null = null;
    if (options.collisionLinks) {
      keep = new Set(options.collisionLinks);
      const known = new Set(model.links.map((l) => l.name));
      const unknown = [...keep].filter((n) => !known.has(n));
      if (unknown.length) throw new Error(`collisionLinks: ${model.name} has no link ${unknown.map((u) => `"${u}"`).join(', ')}`);
    }
    const kept = (s: Shape, owner: string) => !keep || keep.has(s.link ?? owner);
    const contactNames: string[] = [];
    const contactIndex = new Map<string, number>();
    for (const o of order) for (const s of o.link.collisions) {
      if (!kept(s, o.link.name)) continue;
      const name = s.link ?? o.link.name;
      if (!contactIndex.has(name)) {
        contactIndex.set(name, contactNames.length);
        contactNames.push(name);
      }
    }
    this.contactLinkNames = contactNames;
    this.contactForce = new Float32Array(contactNames.length);

    const selfCollision = options.selfCollision ?? false;
    const colGroups = groups(GROUP_ROBOT, selfCollision ? 0xffff : 0xffff & ~GROUP_ROBOT);
    const friction = options.friction ?? 1;
    const restitution = options.restitution ?? 0;
    let nominalMass = 0;

    for (let b = 0; b < B; b++) {
      const { link } = order[b]!;
      const pose = poses[b]!;
      const desc = b === 0 && this.fixedBase ? R.RigidBodyDesc.fixed() : R.RigidBodyDesc.dynamic();
      desc.setTranslation(pose.p[0], pose.p[1], pose.p[2]).setRotation(q4(pose.q)).setCanSleep(false);
      const mp = massProps(link, b === 0, this.fixedBase, this.warnings);
      this.nominalMassProps.push(mp);
      nominalMass += link.inertial?.mass ?? 0;
      this.localCom.set(mp.com, 3 * b);
      if (!(b === 0 && this.fixedBase)) {
        desc.setAdditionalMassProperties(mp.mass, v3(mp.com), v3(mp.inertia), q4(mp.frame));
      }
      const body = world.createRigidBody(desc);
      this.bodies.push(body);
      for (const s of link.collisions) {
        if (!kept(s, link.name)) continue;
        const cd = colliderDesc(R, s.geometry, s, model.source);
        if (!cd) continue;
        const sq = rpyToQuat(s.origin.rpy);
        const rot = s.geometry.type === 'cylinder' ? quatMul(sq, ROT_X_90) : sq;
        cd.setTranslation(s.origin.xyz[0], s.origin.xyz[1], s.origin.xyz[2])
          .setRotation(q4(rot))
          .setDensity(0)
          .setFriction(friction)
          .setRestitution(restitution)
          .setFrictionCombineRule(R.CoefficientCombineRule.Multiply)
          .setRestitutionCombineRule(R.CoefficientCombineRule.Max)
          .setCollisionGroups(colGroups)
          .setActiveEvents(R.ActiveEvents.CONTACT_FORCE_EVENTS)
          .setContactForceEventThreshold(0);
        const c = world.createCollider(cd, body);
        this.colliders.push(c);
        hooks.registerCollider(c.handle, this.contactForce, contactIndex.get(s.link ?? link.name)!);
      }
    }
    this.nominalMass = nominalMass;
    for (const b of this.bodies) this.bodyHandles.push(b.handle);
    this.rawBodySet = (this.bodies[0] as unknown as { rawSet: RawBodySet }).rawSet;
    this.rawTorque = (R.VectorOps as unknown as { intoRaw(v: { x: number; y: number; z: number }): RawVec }).intoRaw({ x: 0, y: 0, z: 0 });

    // Joints.
    for (let i = 0; i < n; i++) {
      const cb = this.jChild[i]!, pb = this.jParent[i]!;
      const ax: Vec3 = [this.jAxis[3 * i]!, this.jAxis[3 * i + 1]!, this.jAxis[3 * i + 2]!];
      const oq: Quat = [this.jOriginQ[4 * i]!, this.jOriginQ[4 * i + 1]!, this.jOriginQ[4 * i + 2]!, this.jOriginQ[4 * i + 3]!];
      const anchor1 = v3([this.jOriginP[3 * i]!, this.jOriginP[3 * i + 1]!, this.jOriginP[3 * i + 2]!]);
      const sgn = this.jPrismatic[i] ? 1 : this.chooseAxisSign(i);
      const sax: Vec3 = [sgn * ax[0], sgn * ax[1], sgn * ax[2]];
      const data = this.jPrismatic[i]
        ? R.JointData.prismatic(anchor1, v3([0, 0, 0]), v3(ax))
        : R.JointData.revoluteWithAxes(anchor1, v3([0, 0, 0]), v3(quatRotate(oq, sax)), v3(sax));
      const joint = world.createImpulseJoint(data, this.bodies[pb]!, this.bodies[cb]!, true);
      joint.setContactsEnabled(false);
      this.joints.push(joint);
      this.applyLimits(i, joint as unknown as { setLimits(a: number, b: number): void });
      const unit = joint as unknown as {
        configureMotorModel(m: number): void;
        configureMotor(p: number, v: number, k: number, d: number): void;
        setMotorMaxForce?(f: number): void;
      };
      if (this.actuator === 'motor' || this.damping[i]! > 0 || this.friction[i]! > 0) {
        unit.configureMotorModel(R.MotorModel.ForceBased);
        this.jMotor[i] = 1;
      }
    }
    if (this.actuator === 'pd') this.frictionJoints = Int32Array.from(this.jointNames.map((_, i) => i).filter((i) => this.friction[i]! > 0));
    this.applyMotors();
    this.setStateFromPoses(q0, new Float64Array(n), poses);
    this.axisInertia = this.computeAxisInertia(poses);
    this.checkExplicitStability();
    if (this.actuator === 'motor' && world.numInternalPgsIterations < 4) {
      // Measured here on a 1-DoF arm at dt 0.005 with 4 solver iterations: the ForceBased motor's static stiffness
      // is ~68% of Kp with 1 internal PGS iteration, ~95% with 4.
      this.warnings.push(
        `actuator 'motor' with internalPgsIterations ${world.numInternalPgsIterations}: the effective Kp is ~70% of nominal; ` +
          'createWorld({ internalPgsIterations: 4 }) brings it to ~95%',
      );
    }
  }

  // ------------------------------------------------------------------ building helpers

  /**
   * URDF position limits, enforced by Rapier's joint limits (stiff, inside the solver). Rapier measures revolute
   * angles as s·q + δ (see offsetFor) and compares sin(θ/2), so a limit must lie in [−π, π] in its frame: ranges
   * that reach beyond (the Go1 thigh goes to 4.5 rad) are cut at ±π, with a note in `warnings`.
   */
  protected applyLimits(i: number, joint: { setLimits(a: number, b: number): void }): void {
    const lo = this.lower[i]!, hi = this.upper[i]!;
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) return;
    if (this.jPrismatic[i]) {
      joint.setLimits(lo, hi);
      return;
    }
    if (hi - lo >= 2 * Math.PI - 1e-6) return;
    const s = this.axisSign[i]!, d = this.rapierOffset[i]!;
    let a = Math.min(s * lo, s * hi) + d, b = Math.max(s * lo, s * hi) + d;
    const shift = 2 * Math.PI * Math.round((a + b) / 2 / (2 * Math.PI));
    a -= shift;
    b -= shift;
    const ca = Math.max(a, -Math.PI), cb = Math.min(b, Math.PI);
    if (ca !== a || cb !== b) {
      const back = (t: number) => (t + shift - d) * s;
      const [x, y] = [back(ca), back(cb)].sort((u, v) => u - v);
      this.warnings.push(
        `joint "${this.jointNames[i]}" range [${lo}, ${hi}] rad reaches past ±π from its zero; the simulator limits it to ` +
          `[${x!.toFixed(3)}, ${y!.toFixed(3)}] rad`,
      );
    }
    joint.setLimits(ca, cb);
  }

  protected checkLen(a: ArrayLike<number>, what: string): void {
    if (a.length !== this.dof) throw new Error(`${what}: got ${a.length} values, the robot has ${this.dof} joints (${this.jointNames.join(', ')})`);
  }

  // Implemented further up the chain; the constructor calls them.
  protected abstract chooseAxisSign(i: number): number;
  protected abstract applyMotors(): void;
  protected abstract setStateFromPoses(q: Float64Array, qd: Float64Array, poses: Xform[], w?: Float64Array, v?: Float64Array): void;
  protected abstract computeAxisInertia(poses: Xform[]): Float64Array;
  protected abstract checkExplicitStability(): void;
  abstract setGains(kp: number | ArrayLike<number>, kd: number | ArrayLike<number>): void;
}
