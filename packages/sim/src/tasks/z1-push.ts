/**
 * z1-push: a fixed-base arm (hardware/robots/s2r-arm) pushes a block across a table to a goal.
 * Success (`info.success`, ends the episode) when the block's centre is within `goal.tolerance` of the goal (xy).
 *
 * The observation carries everything a scripted expert needs — joints, the end-effector position (forward
 * kinematics of the measured joints, the same function on a real arm), block pose and goal — and
 * `z1PushExpert(obs, rng)` is a closed-loop pushing expert (position + tool-axis IK by damped least squares).
 */
import { createWorld, type RapierSimWorld } from '../physics/world.ts';
import type { RobotSim } from '../physics/types.ts';
import { Rng, Kinematics, type Vec3 } from '@s2r/core';
import { computeObservation, ManagerEnv, specFromTerms, type BaseEnvConfig, type EnvOptions } from '../env/manager-env.ts';
import type { EventTerm, ObservationTerm, RewardTerm } from '../env/terms.ts';
import { disabledDrConfig } from '../dr/config.ts';
import { buildDrEvents } from '../dr/events.ts';
import { loadRobotAsset, type RobotAsset } from './assets.ts';
import type { DeploySpec, TaskDefinition } from './types.ts';

/** Plain readings the z1-push observation is built from (joints from the arm, block pose from a tracker). */
export interface PushReadings {
  jointPos: ArrayLike<number>; // rad, measured
  jointVel: ArrayLike<number>; // rad/s
  /** Block pose: x y z (m) qx qy qz qw, arm base frame. */
  blockPose: ArrayLike<number>;
  /** Goal position x y (m) on the table, arm base frame. */
  goal: ArrayLike<number>;
  lastAction: ArrayLike<number>;
}

export interface Z1PushConfig extends BaseEnvConfig {
  robot: string;
  /** actuator null: the robot's s2r.json choice ('motor' for the light-wristed arm). */
  physics: { flavor: 'simd' | 'compat' | 'deterministic'; actuator: 'pd' | 'motor' | null };
  control: {
    /** Joint target = default + actionScale·action (rad). */
    actionScale: number;
    actionClip: number;
    /** PD gains; null takes the robot's s2r.json (or 40 / 2 when it has none). */
    kp: number | null;
    kd: number | null;
  };
  /** End-effector point: link and offset (m) in its frame; null derives it from the last link's collision shape. */
  ee: { link: string | null; offset: Vec3 | null };
  table: { top: number; xRange: [number, number]; yRange: [number, number]; friction: number };
  block: {
    halfSize: number; // m
    mass: number; // kg
    friction: number;
    /** Spawn area as fractions of the arm's reach (distance from the base) and bearing (rad). */
    spawnReach: [number, number];
    spawnBearing: [number, number];
    /** Block mass and friction randomization (task DR terms). */
    massRange: [number, number];
    frictionRange: [number, number];
    randomize: boolean;
  };
  goal: {
    /** Goal distance from the block's spawn (m). */
    distance: [number, number];
    /** Success radius (m). */
    tolerance: number;
    endOnSuccess: boolean;
  };
  rewardScales: { reach: number; push: number; success: number; action_rate: number };
}

export function z1PushConfig(): Z1PushConfig {
  const dr = disabledDrConfig();
  dr.motorStrength.enabled = true;
  dr.kpScale = { enabled: true, mode: 'reset', range: [0.9, 1.1] };
  dr.kdScale = { enabled: true, mode: 'reset', range: [0.9, 1.1] };
  dr.jointPosOffset = { enabled: true, mode: 'reset', range: [-0.005, 0.005] };
  dr.obsNoise.scales = { joint_pos_rel: 0.002, joint_vel: 0.05, block_pos: 0.002, ee_to_block: 0.002, block_to_goal: 0.002 };
  return {
    robot: 's2r-arm',
    physicsDt: 0.005,
    decimation: 4,
    episodeLengthS: 8,
    physics: { flavor: 'simd', actuator: null },
    rewards: { multiplyByDt: true, onlyPositive: false },
    control: { actionScale: 0.5, actionClip: 6, kp: null, kd: null },
    ee: { link: null, offset: null },
    table: { top: 0, xRange: [-0.3, 1.0], yRange: [-0.7, 0.7], friction: 0.6 },
    block: {
      halfSize: 0.025, mass: 0.1, friction: 0.6,
      spawnReach: [0.45, 0.6], spawnBearing: [-0.5, 0.5],
      massRange: [0.05, 0.2], frictionRange: [0.4, 0.8], randomize: true,
    },
    goal: { distance: [0.1, 0.15], tolerance: 0.03, endOnSuccess: true },
    rewardScales: { reach: -1, push: -4, success: 10, action_rate: -0.01 },
    dr,
  };
}

interface ArmGeometry {
  kin: Kinematics;
  eeLink: string;
  eeOffset: Vec3;
  /** Unit tool axis in the ee link frame (the direction the tip points). */
  toolAxis: Vec3;
  /** Reach from the base (m): the sum of joint offsets along the chain plus the ee offset. */
  reach: number;
  q0: Float32Array;
}

const geomCache = new Map<string, ArmGeometry>();

function armGeometry(asset: RobotAsset, cfg: Z1PushConfig): ArmGeometry {
  const key = `${asset.urdfPath}|${JSON.stringify(cfg.ee)}`;
  const hit = geomCache.get(key);
  if (hit) return hit;
  const model = asset.model;
  const kin = new Kinematics(model);
  // The tool: a link named like a pusher/tool/tip (fixed links are kept by this pure-data FK), else the child
  // of the last actuated joint.
  const lastJoint = model.joints.find((j) => j.name === model.actuatedJoints[model.actuatedJoints.length - 1]);
  const named = model.links.find((l) => /pusher|tool|tip|end_effector|^ee$/i.test(l.name))?.name;
  const eeLink = cfg.ee.link ?? named ?? lastJoint?.child;
  if (!eeLink) throw new Error(`z1-push: robot ${asset.name} has no actuated joints`);
  let offset = cfg.ee.offset;
  if (!offset) {
    const link = model.links.find((l) => l.name === eeLink);
    if (!link) throw new Error(`z1-push: ee link "${eeLink}" not in ${asset.name}`);
    const sh = link.collisions;
    const sphere = sh.find((s) => s.geometry.type === 'sphere');
    if (sphere) offset = [...sphere.origin.xyz] as Vec3; // a pusher ball: its centre is the contact point
    else {
      // Shapes usually start at the link origin: their centre × 2 is the far tip.
      const c = sh.reduce((a, s) => [a[0] + s.origin.xyz[0], a[1] + s.origin.xyz[1], a[2] + s.origin.xyz[2]] as Vec3, [0, 0, 0] as Vec3);
      offset = sh.length ? (c.map((v) => (2 * v) / sh.length) as Vec3) : [0, 0, 0];
    }
  }
  const n = Math.hypot(...offset);
  const toolAxis: Vec3 = n > 1e-6 ? (offset.map((v) => v / n) as Vec3) : [0, 0, 1];
  let reach = n;
  for (const j of model.joints) reach += Math.hypot(...j.origin.xyz);
  const g = { kin, eeLink, eeOffset: offset as Vec3, toolAxis, reach, q0: Float32Array.from(asset.defaultJointPos) };
  geomCache.set(key, g);
  return g;
}

function pushObsTerms(g: ArmGeometry, names: string[]): ObservationTerm<PushReadings>[] {
  const J = names.length;
  const q = new Float64Array(J);
  // The tip position ee_pos computes; ee_to_block (listed after it, terms run in order) reuses it instead of
  // running the forward kinematics a second time per observation.
  const tip: Vec3 = [0, 0, 0];
  return [
    { name: 'joint_pos_rel', size: J, unit: 'rad', labels: names, fn: (r, o, i) => { for (let k = 0; k < J; k++) o[i + k] = r.jointPos[k]! - g.q0[k]!; } },
    { name: 'joint_vel', size: J, unit: 'rad/s', labels: names, fn: (r, o, i) => { for (let k = 0; k < J; k++) o[i + k] = r.jointVel[k]!; } },
    {
      name: 'ee_pos', size: 3, unit: 'm', labels: ['x', 'y', 'z'],
      fn: (r, o, i) => {
        for (let k = 0; k < J; k++) q[k] = r.jointPos[k]!;
        const p = g.kin.point(q, g.eeLink, g.eeOffset);
        tip[0] = p[0]; tip[1] = p[1]; tip[2] = p[2];
        o[i] = p[0]; o[i + 1] = p[1]; o[i + 2] = p[2];
      },
    },
    { name: 'block_pos', size: 3, unit: 'm', labels: ['x', 'y', 'z'], fn: (r, o, i) => { o[i] = r.blockPose[0]!; o[i + 1] = r.blockPose[1]!; o[i + 2] = r.blockPose[2]!; } },
    { name: 'block_quat', size: 4, unit: '1', labels: ['qx', 'qy', 'qz', 'qw'], fn: (r, o, i) => { for (let k = 0; k < 4; k++) o[i + k] = r.blockPose[3 + k]!; } },
    { name: 'goal_pos', size: 2, unit: 'm', labels: ['x', 'y'], fn: (r, o, i) => { o[i] = r.goal[0]!; o[i + 1] = r.goal[1]!; } },
    // Relative positions (as Isaac Lab's manipulation tasks observe them): pushing is decided at the centimetre
    // scale of tip-to-block and block-to-goal offsets, which a learner would otherwise have to recover as small
    // differences of large absolute positions.
    {
      name: 'ee_to_block', size: 3, unit: 'm', labels: ['x', 'y', 'z'],
      fn: (r, o, i) => { o[i] = r.blockPose[0]! - tip[0]; o[i + 1] = r.blockPose[1]! - tip[1]; o[i + 2] = r.blockPose[2]! - tip[2]; },
    },
    { name: 'block_to_goal', size: 2, unit: 'm', labels: ['x', 'y'], fn: (r, o, i) => { o[i] = r.goal[0]! - r.blockPose[0]!; o[i + 1] = r.goal[1]! - r.blockPose[1]!; } },
    { name: 'last_action', size: J, unit: '1', labels: names, fn: (r, o, i) => { for (let k = 0; k < J; k++) o[i + k] = r.lastAction[k]!; } },
  ];
}

type RBody = ReturnType<RapierSimWorld['world']['createRigidBody']>;
type RCollider = ReturnType<RapierSimWorld['world']['createCollider']>;

export class Z1PushEnv extends ManagerEnv<Z1PushConfig, PushReadings> {
  readonly geom: ArmGeometry;
  readonly blockPose = new Float64Array(7);
  readonly goal = new Float64Array(2);
  readonly eePos = new Float64Array(3);
  blockSpawn: [number, number] = [0, 0];
  blockMass: number;
  blockFriction: number;
  private readonly block: RBody;
  private readonly blockCollider: RCollider;
  private readonly target: Float32Array;
  private readonly measured: Float32Array;
  private readonly rd: PushReadings;

  constructor(cfg: Z1PushConfig, world: RapierSimWorld, robot: RobotSim, asset: RobotAsset, gains: { kp: Float32Array; kd: Float32Array }, opts: EnvOptions) {
    super('z1-push', cfg, world, robot, gains, opts);
    this.geom = armGeometry(asset, cfg);
    const J = robot.dof;
    this.target = new Float32Array(J);
    this.measured = new Float32Array(J);
    const R = world.rapier;
    const t = cfg.table;
    // The table: a fixed slab whose top is at table.top; the arm's base stands on it.
    world.world.createCollider(
      R.ColliderDesc.cuboid((t.xRange[1] - t.xRange[0]) / 2, (t.yRange[1] - t.yRange[0]) / 2, 0.025)
        .setTranslation((t.xRange[0] + t.xRange[1]) / 2, (t.yRange[0] + t.yRange[1]) / 2, t.top - 0.025)
        .setFriction(t.friction),
    );
    const b = cfg.block;
    this.blockMass = b.mass;
    this.blockFriction = b.friction;
    this.block = world.world.createRigidBody(R.RigidBodyDesc.dynamic().setTranslation(0.4, 0, t.top + b.halfSize).setCanSleep(false));
    this.blockCollider = world.world.createCollider(
      R.ColliderDesc.cuboid(b.halfSize, b.halfSize, b.halfSize).setMass(b.mass).setFriction(b.friction),
      this.block,
    );
    const s = cfg.rewardScales;
    const names = [...robot.jointNames];
    const rewards: RewardTerm<Z1PushEnv>[] = [
      // Tip to the block's near side, then block to goal: dense shaping for RL (the expert ignores rewards).
      { name: 'reach', weight: s.reach, fn: (e) => Math.hypot(e.eePos[0]! - e.blockPose[0]!, e.eePos[1]! - e.blockPose[1]!, e.eePos[2]! - e.blockPose[2]!) },
      { name: 'push', weight: s.push, fn: (e) => e.blockGoalDist() },
      { name: 'success', weight: s.success, fn: (e) => (e.isSuccess() ? 1 : 0) },
      { name: 'action_rate', weight: s.action_rate, fn: (e) => { let a = 0; for (let i = 0; i < e.action.length; i++) a += (e.action[i]! - e.lastAction[i]!) ** 2; return a; } },
    ];
    const events: EventTerm<Z1PushEnv>[] = buildDrEvents<Z1PushEnv>(cfg.dr);
    if (b.randomize) {
      events.push({
        name: 'block_mass', mode: 'reset', params: { range: b.massRange }, describe: `U(${b.massRange[0]}, ${b.massRange[1]}) kg`,
        fn: (e, rng, p) => { e.blockMass = rng.uniform(p.range[0], p.range[1]); e.blockCollider.setMass(e.blockMass); return e.blockMass; },
      });
      events.push({
        name: 'block_friction', mode: 'reset', params: { range: b.frictionRange }, describe: `U(${b.frictionRange[0]}, ${b.frictionRange[1]})`,
        fn: (e, rng, p) => { e.blockFriction = rng.uniform(p.range[0], p.range[1]); e.blockCollider.setFriction(e.blockFriction); return e.blockFriction; },
      });
    }
    this.initManagers({
      actionSpec: { size: J, joints: names, low: -cfg.control.actionClip, high: cfg.control.actionClip, mode: 'position', scale: cfg.control.actionScale, unit: 'rad' },
      observations: pushObsTerms(this.geom, names),
      privileged: [
        { name: 'block_lin_vel', size: 3, unit: 'm/s', fn: (e, o, i) => { const v = e.block.linvel(); o[i] = v.x; o[i + 1] = v.y; o[i + 2] = v.z; } },
        { name: 'block_mass', size: 1, unit: 'kg', fn: (e, o, i) => { o[i] = e.blockMass; } },
        { name: 'block_friction', size: 1, unit: '1', fn: (e, o, i) => { o[i] = e.blockFriction; } },
      ],
      rewards,
      terminations: [
        { name: 'success', fn: (e) => e.config.goal.endOnSuccess && e.isSuccess() },
        { name: 'block_off_table', fn: (e) => e.blockPose[2]! < e.config.table.top - 0.05 },
      ],
      events,
    });
    this.maxReturn = null;
    this.rd = { jointPos: this.measured, jointVel: robot.jointVel, blockPose: this.blockPose, goal: this.goal, lastAction: this.lastAction };
  }

  blockGoalDist(): number {
    return Math.hypot(this.blockPose[0]! - this.goal[0]!, this.blockPose[1]! - this.goal[1]!);
  }

  isSuccess(): boolean {
    return this.blockGoalDist() < this.config.goal.tolerance;
  }

  protected override success(): boolean {
    return this.isSuccess();
  }

  protected readings(): PushReadings {
    return this.rd;
  }

  protected applyAction(a: Float32Array): void {
    const sc = this.config.control.actionScale;
    for (let i = 0; i < a.length; i++) this.target[i] = this.geom.q0[i]! + sc * a[i]! - this.dr.jointPosOffset[i]!;
    this.robot.setPositionTargets(this.target);
  }

  protected resetScene(rng: Rng): void {
    const c = this.config;
    const g = this.geom;
    this.robot.resetState(g.q0);
    this.robot.setPositionTargets(g.q0);
    const r = g.reach * rng.uniform(c.block.spawnReach[0], c.block.spawnReach[1]);
    const th = rng.uniform(c.block.spawnBearing[0], c.block.spawnBearing[1]);
    const bx = r * Math.cos(th), by = r * Math.sin(th);
    const yaw = rng.uniform(-Math.PI / 4, Math.PI / 4);
    this.blockSpawn = [bx, by];
    this.block.setTranslation({ x: bx, y: by, z: c.table.top + c.block.halfSize }, true);
    this.block.setRotation({ x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) }, true);
    this.block.setLinvel({ x: 0, y: 0, z: 0 }, true);
    this.block.setAngvel({ x: 0, y: 0, z: 0 }, true);
    // Goal: a direction that keeps it inside the reachable band [0.35, 0.75]·reach, drawn by rejection.
    let gx = bx, gy = by;
    for (let k = 0; k < 50; k++) {
      const d = rng.uniform(c.goal.distance[0], c.goal.distance[1]);
      const phi = rng.uniform(-Math.PI, Math.PI);
      gx = bx + d * Math.cos(phi);
      gy = by + d * Math.sin(phi);
      const rr = Math.hypot(gx, gy) / g.reach;
      if (rr > 0.35 && rr < 0.72 && gx > 0.05) break;
    }
    this.goal[0] = gx;
    this.goal[1] = gy;
    this.updateState();
  }

  protected override postPhysics(): void {
    this.updateState();
  }

  private updateState(): void {
    const t = this.block.translation();
    const q = this.block.rotation();
    const bp = this.blockPose;
    bp[0] = t.x; bp[1] = t.y; bp[2] = t.z; bp[3] = q.x; bp[4] = q.y; bp[5] = q.z; bp[6] = q.w;
    const jp = this.robot.jointPos;
    for (let i = 0; i < jp.length; i++) this.measured[i] = jp[i]! + this.dr.jointPosOffset[i]!;
    const p = this.geom.kin.point(jp, this.geom.eeLink, this.geom.eeOffset);
    this.eePos[0] = p[0]; this.eePos[1] = p[1]; this.eePos[2] = p[2];
  }
}

async function createZ1Push(cfg: Z1PushConfig, opts: EnvOptions = {}): Promise<Z1PushEnv> {
  const asset = loadRobotAsset(cfg.robot);
  const world = await createWorld({ dt: cfg.physicsDt, flavor: cfg.physics.flavor, ground: { type: 'none' } });
  try {
    const J = asset.jointNames.length;
    const kp = cfg.control.kp !== null ? new Float32Array(J).fill(cfg.control.kp) : asset.kp.some((v) => v > 0) ? asset.kp : new Float32Array(J).fill(40);
    const kd = cfg.control.kd !== null ? new Float32Array(J).fill(cfg.control.kd) : asset.kd.some((v) => v > 0) ? asset.kd : new Float32Array(J).fill(2);
    const robot = world.addRobot(asset.model, { fixedBase: true, basePosition: [0, 0, cfg.table.top], initialJointPos: asset.defaultJointPos, kp, kd, actuator: cfg.physics.actuator ?? asset.actuator });
    return new Z1PushEnv(cfg, world, robot, asset, { kp, kd }, opts);
  } catch (e) {
    world.free();
    throw e;
  }
}

// ------------------------------------------------------------------------------------------ scripted expert

export interface PushExpertOptions {
  /** Tip speed limit (m/s). */
  speed?: number;
  /** Std of Gaussian noise added to the action (for demo diversity), in action units. */
  actionNoise?: number;
}

/**
 * A closed-loop pushing expert that reads only the observation. Each step it picks a tip target —
 * rise, go above the pre-push point behind the block (on the goal→block line), descend, push through the block
 * toward the goal — and converts it to joint targets by damped-least-squares IK on the arm's kinematics
 * (tip position + tool axis pointing down, regularised toward the default pose).
 */
export function makeZ1PushExpert(cfg: Z1PushConfig = z1PushConfig(), opts: PushExpertOptions = {}): (obs: ArrayLike<number>, rng?: Rng) => Float32Array {
  const asset = loadRobotAsset(cfg.robot);
  const g = armGeometry(asset, cfg);
  const J = asset.jointNames.length;
  const spec = specFromTerms(pushObsTerms(g, asset.jointNames));
  const off = (n: string) => { let o = 0; for (const t of spec.terms) { if (t.name === n) return o; o += t.size; } throw new Error(n); };
  const oq = off('joint_pos_rel'), oee = off('ee_pos'), ob = off('block_pos'), og = off('goal_pos'), oa = off('last_action');
  const h = cfg.block.halfSize;
  const top = cfg.table.top;
  const speed = opts.speed ?? 0.25;
  const dt = cfg.physicsDt * cfg.decimation;
  const tipR = tipRadius(asset, g.eeLink);
  const zPush = top + h; // tip centre at the block's mid-height
  const zSafe = top + 2 * h + 0.06;
  const standoff = h + tipR + 0.04; // 3 cm clear of the 'behind' boundary below: jitter there must not flip modes
  const ik = new DlsIk(g, J);
  const sc = cfg.control.actionScale;
  return (obs, rng) => {
    // Work in commanded joint space (q0 + scale·last action): the PD sags under gravity, so stepping the
    // *command* by the measured tip error acts like an integrator and removes the steady-state error.
    const q = new Float64Array(J);
    for (let i = 0; i < J; i++) q[i] = g.q0[i]! + sc * obs[oa + i]!;
    const eeCmd = g.kin.point(q, g.eeLink, g.eeOffset);
    const ee: Vec3 = [obs[oee]!, obs[oee + 1]!, obs[oee + 2]!];
    const bx = obs[ob]!, by = obs[ob + 1]!;
    const gx = obs[og]!, gy = obs[og + 1]!;
    let dx = gx - bx, dy = gy - by;
    const dist = Math.hypot(dx, dy);
    dx /= dist || 1;
    dy /= dist || 1;
    // Tip relative to the block, along (s) and across (l) the push line.
    const rx = ee[0] - bx, ry = ee[1] - by;
    const s = rx * dx + ry * dy;
    const l = -rx * dy + ry * dx;
    const pre: Vec3 = [bx - dx * standoff, by - dy * standoff, zPush];
    let tgt: Vec3;
    const pushing = s < -(h * 0.5) && s > -(standoff + 0.03) && Math.abs(l) < 0.025 && ee[2] < zPush + 0.02;
    if (pushing) {
      // Push: aim past the block centre along the goal line, which also steers out lateral error.
      const ahead = Math.min(dist, 0.06);
      tgt = [bx + dx * ahead, by + dy * ahead, zPush];
    } else {
      // A funnel onto the pre-push point: the closer the tip is in xy, the lower it may go; far from it (and so
      // possibly on the wrong side of the block) it travels at the safe height, over the block.
      const rho = Math.hypot(ee[0] - pre[0], ee[1] - pre[1]);
      const f = Math.min(1, Math.max(0, (rho - 0.01) / 0.03));
      const behind = s < -(1.42 * h + tipR); // clear of the block's back corners, whatever its yaw
      tgt = [pre[0], pre[1], behind ? zPush : zPush + f * (zSafe - zPush)];
      // Low and near the block, beside or in front of its back face: lift before moving sideways. Anywhere
      // behind it the way to the pre-push point is clear, so the tip corrects its error where it is instead of
      // lifting and retrying — one small error must not restart the whole approach (and an imitator must not
      // see "descend" and "lift" labels on neighbouring states, which it would average into hovering).
      if (s > -(h + tipR) && f > 0.5 && ee[2] < zSafe - 0.02 && Math.hypot(rx, ry) < standoff + 0.03) tgt = [ee[0] - dx * 0.01, ee[1] - dy * 0.01, zSafe];
    }
    // Limit the tip's step to speed·dt (slower while pushing).
    const vmax = (pushing ? 0.6 : 1) * speed * dt;
    const e: Vec3 = [tgt[0] - ee[0], tgt[1] - ee[1], tgt[2] - ee[2]];
    const en = Math.hypot(...e);
    const k = en > vmax ? vmax / en : 1;
    const goalTip: Vec3 = [eeCmd[0] + e[0] * k, eeCmd[1] + e[1] * k, eeCmd[2] + e[2] * k];
    const qd = ik.solve(q, goalTip);
    const a = new Float32Array(J);
    const clip = cfg.control.actionClip;
    for (let i = 0; i < J; i++) {
      let v = (qd[i]! - g.q0[i]!) / sc;
      if (opts.actionNoise && rng) v += rng.normal(0, opts.actionNoise);
      a[i] = Math.max(-clip, Math.min(clip, v));
    }
    return a;
  };
}

/** Lateral radius of the tool link's collision shapes (m), for the push standoff. */
function tipRadius(asset: RobotAsset, link: string): number {
  const l = asset.model.links.find((x) => x.name === link);
  const sphere = l?.collisions.find((s) => s.geometry.type === 'sphere');
  if (sphere && sphere.geometry.type === 'sphere') return sphere.geometry.radius;
  let r = 0;
  for (const s of l?.collisions ?? []) {
    const g = s.geometry;
    if (g.type === 'cylinder' || g.type === 'sphere') r = Math.max(r, g.radius);
    else if (g.type === 'box') r = Math.max(r, Math.max(...g.size) / 2);
  }
  return r || 0.02;
}

/** Damped least-squares IK on the tip position with a null-space posture pull (see solve). */
class DlsIk {
  private readonly lower: Float64Array;
  private readonly upper: Float64Array;
  constructor(private readonly g: ArmGeometry, private readonly J: number) {
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

let defaultExpert: ((obs: ArrayLike<number>, rng?: Rng) => Float32Array) | null = null;

/** The scripted expert for the default z1-push config: obs → action. `rng` is only used if noise is configured. */
export function z1PushExpert(obs: ArrayLike<number>, rng?: Rng): Float32Array {
  defaultExpert ??= makeZ1PushExpert();
  return defaultExpert(obs, rng ?? Rng.seed(0));
}

export const z1Push: TaskDefinition<Z1PushConfig, PushReadings> = {
  name: 'z1-push',
  description: 'Fixed-base arm pushes a block across a table to a goal (info.success); scripted expert included',
  defaultConfig: z1PushConfig,
  create: createZ1Push,
  deploy(cfg = z1PushConfig()): DeploySpec<PushReadings> {
    const asset = loadRobotAsset(cfg.robot);
    const g = armGeometry(asset, cfg);
    const terms = pushObsTerms(g, asset.jointNames);
    const spec = specFromTerms(terms);
    const J = asset.jointNames.length;
    return {
      task: 'z1-push',
      jointNames: [...asset.jointNames],
      defaultJointPos: Float32Array.from(g.q0),
      actionMode: 'position',
      actionScale: cfg.control.actionScale,
      actionJoints: [...asset.jointNames],
      actionClip: cfg.control.actionClip,
      kp: cfg.control.kp !== null ? new Float32Array(J).fill(cfg.control.kp) : Float32Array.from(asset.kp),
      kd: cfg.control.kd !== null ? new Float32Array(J).fill(cfg.control.kd) : Float32Array.from(asset.kd),
      controlDt: cfg.physicsDt * cfg.decimation,
      observationSpec: spec,
      externalInputs: [
        { name: 'blockPose', size: 7, unit: 'm, quaternion xyzw', description: 'block pose in the arm base frame, from a tracker (mocap, AprilTag, vision)' },
        { name: 'goal', size: 2, unit: 'm', description: 'goal position x y on the table, arm base frame' },
      ],
      observe: (input, out = new Float32Array(spec.size)) => computeObservation(terms, input, out),
    };
  },
};
