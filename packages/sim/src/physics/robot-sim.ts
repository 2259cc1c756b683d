/**
 * One articulated robot in a Rapier world: one rigid body per link after fixed-joint merging, impulse joints
 * between them, and joint-space actuation.
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
 */
import { kinematicChain, linkPoses, type KinematicChain, mergeFixedJoints, inertiaToMat, poseToXform, quatMul, quatToMat, rotateInertia, symEig3, matToQuat, xformMul, quatRotate, quatConj, quatFromAxisAngle, quatNormalize, rpyToQuat, type Geometry, type Joint, type Link, type Quat, type RobotModel, type Shape, type Vec3, type Xform } from '@s2r/core';
import { readMesh } from '../mesh/load.ts';
import { supportPoints } from '../mesh/support-points.ts';
import type { Rapier } from './rapier.ts';
import type { AddRobotOptions, LinkContact, RobotSim } from './types.ts';

type RWorld = InstanceType<Rapier['World']>;
type RBody = ReturnType<RWorld['createRigidBody']>;
type RCollider = ReturnType<RWorld['createCollider']>;
type RJoint = ReturnType<RWorld['createImpulseJoint']>;
/** The parts of Rapier's raw (wasm-bindgen) API used on the hot path; identical in the 0.20 and 0.21 builds. */
interface RawVec {
  x: number;
  y: number;
  z: number;
  free(): void;
}
interface RawBodySet {
  rbResetTorques(handle: number, wake: boolean): void;
  rbAddTorque(handle: number, torque: RawVec, wake: boolean): void;
}

/** Collision groups: membership in the high 16 bits, filter in the low 16. */
export const GROUP_GROUND = 0x0001;
export const GROUP_ROBOT = 0x0002;
export const groups = (membership: number, filter: number): number => ((membership << 16) | filter) >>> 0;

const ROT_X_90: Quat = [Math.SQRT1_2, 0, 0, Math.SQRT1_2]; // URDF cylinders lie along z, Rapier's along y.

/** Fixed-joint merging per model object: envs build one world each from the same model. Models are treated as immutable. */
const mergedCache = new WeakMap<RobotModel, RobotModel>();

/** Velocity-lock gain (N·m·s/rad) of the friction motor: large, so the bound (the friction) is what limits it. */
const FRICTION_LOCK_GAIN = 1e4;

/** Support directions kept per convex hull (see supportPoints). */
const HULL_DIRECTIONS = 256;

/** Convex hull vertices per (mesh path, scale), computed by Rapier once and reused for every world. */
const hullCache = new Map<string, { vertices: Float32Array; indices: Uint32Array }>();

const WRAP = (a: number): number => a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));

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

export class RapierRobot implements RobotSim {
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
  private readonly contactForce: Float32Array;

  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly effortLimit: Float64Array;

  private readonly hooks: WorldHooks;
  private readonly bodies: RBody[] = [];
  private readonly colliders: RCollider[] = [];
  private readonly joints: RJoint[] = [];
  private readonly parentBody: Int32Array; // per body, −1 for the root
  /** Per joint: child body, parent body, type (0 revolute/continuous, 1 prismatic). */
  private readonly jChild: Int32Array;
  private readonly jParent: Int32Array;
  private readonly jPrismatic: Uint8Array;
  private readonly jAxis: Float64Array; // axis in the child frame, 3 per joint
  private readonly jOriginQ: Float64Array; // rotation of the joint origin in the parent frame, 4 per joint
  private readonly jOriginP: Float64Array; // translation of the joint origin in the parent frame, 3 per joint
  private readonly jointOfBody: Int32Array; // per body, index of the joint above it (−1 root)
  private readonly chain: KinematicChain;
  private readonly localCom: Float64Array; // per body, 3
  private readonly nominalMassProps: { mass: number; com: Vec3; inertia: Vec3; frame: Quat }[] = [];
  private readonly massScale: Float64Array;
  private payloadMass = 0;
  private payloadCom: Vec3 = [0, 0, 0];

  // Per-step state (double precision copies of what Rapier reports).
  private readonly bodyQ: Float64Array;
  private readonly bodyW: Float64Array;
  private readonly bodyP: Float64Array;
  private readonly bodyV: Float64Array;
  private readonly q64: Float64Array;
  private readonly qd64: Float64Array;
  private readonly torque: Float64Array; // per body accumulated torque (N·m), world frame
  private readonly force: Float64Array; // per body accumulated force (N), world frame (prismatic joints)
  private readonly actBodies: Int32Array; // bodies that receive actuator torques
  private readonly hasPrismatic: boolean;

  // Commands.
  private readonly target: Float64Array;
  private readonly tauFF: Float64Array;
  private readonly kp: Float64Array;
  private readonly kd: Float64Array;
  private readonly strength: Float64Array;
  private readonly damping: Float64Array;
  /** URDF Coulomb friction per joint (N·m or N); simulated in 'pd' mode only. */
  private readonly friction: Float64Array;
  /** Joints whose friction bound is refreshed each step ('pd' mode, friction > 0). */
  private frictionJoints: Int32Array = new Int32Array(0);
  private motorDirty = true;
  private ffApplied = false;
  /**
   * Joints driven by a Rapier motor (actuator 'motor', or URDF damping). Measured here: under load, Rapier's soft
   * motor leaves a steady bias in the body velocities (an arm holding still under gravity read 0.1–0.2 rad/s), so
   * these joints report velocity as the finite difference of position over the step instead.
   */
  private readonly jMotor: Uint8Array = new Uint8Array(0);

  private readonly invDt: number;
  private readonly spawnPos: Vec3;
  private readonly spawnQuat: Quat;
  private contactsFresh = false;
  private freed = false;

  /** Raw Rapier handles for the per-step torque calls (see applyActuation). */
  private readonly bodyHandles: number[] = [];
  private rawBodySet!: RawBodySet;
  private rawTorque!: RawVec;

  // Scratch objects reused for every Rapier call (Rapier reads them synchronously).
  private readonly sv = { x: 0, y: 0, z: 0 };
  private readonly sp = { x: 0, y: 0, z: 0 };
  private readonly sq = { x: 0, y: 0, z: 0, w: 1 };

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
      const mp = this.massProps(link, b === 0);
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
        const cd = this.colliderDesc(s.geometry, s);
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
  private applyLimits(i: number, joint: { setLimits(a: number, b: number): void }): void {
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

  private massProps(link: Link, isRoot: boolean): { mass: number; com: Vec3; inertia: Vec3; frame: Quat } {
    const inr = link.inertial;
    if (!inr || inr.mass <= 0) {
      if (!(isRoot && this.fixedBase)) {
        this.warnings.push(`link "${link.name}" has no mass; simulating it as 1 g so the solver stays well-posed`);
      }
      return { mass: 1e-3, com: [0, 0, 0], inertia: [1e-7, 1e-7, 1e-7], frame: [0, 0, 0, 1] };
    }
    const Ro = quatToMat(rpyToQuat(inr.origin.rpy));
    const I = rotateInertia(Ro, inertiaToMat(inr.inertia));
    const { values, R } = symEig3(I);
    const floor = 1e-9;
    return {
      mass: inr.mass,
      com: [...inr.origin.xyz] as Vec3,
      inertia: values.map((v) => Math.max(v, floor)) as Vec3,
      frame: matToQuat(R),
    };
  }

  private colliderDesc(g: Geometry, s: Shape) {
    const R = this.hooks.R;
    switch (g.type) {
      case 'box':
        return R.ColliderDesc.cuboid(Math.max(g.size[0] / 2, 1e-4), Math.max(g.size[1] / 2, 1e-4), Math.max(g.size[2] / 2, 1e-4));
      case 'sphere':
        return R.ColliderDesc.ball(g.radius);
      case 'cylinder':
        return R.ColliderDesc.cylinder(Math.max(g.length / 2, 1e-4), g.radius);
      case 'mesh': {
        if (!g.path) throw new Error(`${this.model.source}: collision mesh "${g.uri}" of link "${s.link ?? '?'}" cannot be resolved`);
        const key = `${g.path}|${g.scale.join(',')}`;
        let hull = hullCache.get(key);
        if (!hull) {
          const mesh = readMesh(g.path, g.scale);
          const desc = R.ColliderDesc.convexHull(mesh.vertices);
          if (!desc) throw new Error(`${g.path}: cannot build a convex hull from the mesh (degenerate: all points coplanar?)`);
          // Build once in a scratch world to read the hull back; later worlds reuse it without recomputing.
          const tmp = new R.World({ x: 0, y: 0, z: 0 });
          try {
            const c = tmp.createCollider(desc);
            let vertices = new Float32Array(c.vertices());
            // CAD meshes give hulls of thousands of vertices (the Z1's up to ~5,700); keep 256 support points.
            const reduced = supportPoints(vertices, HULL_DIRECTIONS);
            let indices = new Uint32Array(c.indices() ?? []);
            if (reduced !== vertices) {
              const c2 = tmp.createCollider(R.ColliderDesc.convexHull(reduced)!);
              vertices = new Float32Array(c2.vertices());
              indices = new Uint32Array(c2.indices() ?? []);
            }
            hull = { vertices, indices };
          } finally {
            tmp.free();
          }
          hullCache.set(key, hull);
        }
        const d = hull.indices.length ? R.ColliderDesc.convexMesh(hull.vertices, hull.indices) : R.ColliderDesc.convexHull(hull.vertices);
        if (!d) throw new Error(`${g.path}: cannot rebuild the cached convex hull`);
        return d;
      }
    }
  }

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

  /**
   * Inertia (kg·m²) of each joint's subtree about its axis at the spawn pose: the load the explicit JS PD drives.
   * An explicit damper is stable for kd·dt/I < 2 and a spring for kp·dt²/I < 4 on one isolated joint; coupled joints
   * on a moving base are less forgiving (measured: the Go1 stands at Kd 0.75, kd·dt/I = 0.66 for the calf, and falls
   * over at Kd 1, 0.88). Warnings start at 0.8 and 2.
   */
  axisInertia: Float64Array | null = null;
  private readonly stabilityWarned = new Set<number>();

  private computeAxisInertia(poses: Xform[]): Float64Array {
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

  private checkExplicitStability(): void {
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

  private applyMotors(): void {
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

  /**
   * Rapier measures a revolute angle θ from its own joint frames (built from the axes we pass), which differ from
   * the URDF zero: θ = s·q + δ, where s = ±1 is the sign of the axis handed to Rapier and δ a constant (zero when
   * the joint origin has no rotation). Motor targets and limits are mapped through this.
   */
  private readonly axisSign: Int8Array = new Int8Array(0);
  private readonly rapierOffset: Float64Array = new Float64Array(0);

  private offsetFor(i: number, sgn: number): number {
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
  private chooseAxisSign(i: number): number {
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
  private toRapier(i: number, q: number): number {
    return this.jPrismatic[i] ? q : this.axisSign[i]! * q + this.rapierOffset[i]!;
  }

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

  private computeJointState(): void {
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

  private comWorld(b: number): Vec3 {
    const q: Quat = [this.bodyQ[4 * b]!, this.bodyQ[4 * b + 1]!, this.bodyQ[4 * b + 2]!, this.bodyQ[4 * b + 3]!];
    const c = quatRotate(q, [this.localCom[3 * b]!, this.localCom[3 * b + 1]!, this.localCom[3 * b + 2]!]);
    return [this.bodyP[3 * b]! + c[0], this.bodyP[3 * b + 1]! + c[1], this.bodyP[3 * b + 2]! + c[2]];
  }

  private estimateMotorEffort(): void {
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
  contactForces(): Float32Array {
    if (!this.contactsFresh) {
      this.hooks.drainContacts();
    }
    return this.contactForce;
  }

  /** Mark contact arrays as up to date (called by the world after draining its event queue). */
  markContactsFresh(): void {
    this.contactsFresh = true;
  }

  contacts(): LinkContact[] {
    const f = this.contactForces();
    return this.contactLinkNames.map((link, i) => ({ link, inContact: f[i]! > 0, force: f[i]! }));
  }

  /** Index of a link in contactLinkNames, or −1. Use with contactForces() in hot loops. */
  contactIndex(link: string): number {
    return this.contactLinkNames.indexOf(link);
  }

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

  private setStateFromPoses(q: Float64Array, qd: Float64Array, poses: Xform[], w?: Float64Array, v?: Float64Array): void {
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

  private applyMass(b: number): void {
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

  private checkLen(a: ArrayLike<number>, what: string): void {
    if (a.length !== this.dof) throw new Error(`${what}: got ${a.length} values, the robot has ${this.dof} joints (${this.jointNames.join(', ')})`);
  }
}

function fillFrom(dst: Float64Array, src: number | ArrayLike<number>, what: string): void {
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

function v3(a: ArrayLike<number>) {
  return { x: a[0]!, y: a[1]!, z: a[2]! };
}
function q4(a: ArrayLike<number>) {
  return { x: a[0]!, y: a[1]!, z: a[2]!, w: a[3]! };
}

/** The minimal rotation taking +x onto the unit vector a (how Rapier builds a joint frame from an axis). */
function minRotFromX(a: Vec3): Quat {
  const d = a[0];
  if (d < -1 + 1e-9) return [0, 1, 0, 0]; // 180° about y
  const c: Vec3 = [0, -a[2], a[1]]; // x × a
  const w = 1 + d;
  const n = Math.hypot(c[0], c[1], c[2], w);
  return [c[0] / n, c[1] / n, c[2] / n, w / n];
}
