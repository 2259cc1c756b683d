/**
 * z1-push: a fixed-base arm (hardware/robots/s2r-arm) pushes a block across a table to a goal.
 * Success (`info.success`, ends the episode) when the block's centre is within `goal.tolerance` of the goal (xy).
 *
 * The observation carries everything a scripted expert needs — joints, the end-effector position (forward
 * kinematics of the measured joints, the same function on a real arm), block pose and goal — and
 * `z1PushExpert(obs, rng)` (z1-push-expert.ts) is a closed-loop pushing expert (tip IK by damped least squares,
 * arm-ik.ts).
 */
import { createWorld, type RapierSimWorld } from '../physics/world.ts';
import type { RobotSim } from '../physics/types.ts';
import { Rng, Kinematics, type Vec3 } from '@s2r/core';
import { computeObservation, ManagerEnv, specFromTerms, type BaseEnvConfig, type EnvOptions } from '../env/manager-env.ts';
import type { EventTerm, ObservationTerm, RewardTerm } from '../env/terms.ts';
import { disabledDrConfig } from '../dr/config.ts';
import { buildDrEvents } from '../dr/registry.ts';
import { readEncoders } from '../dr/state.ts';
import { loadRobotAsset, type RobotAsset } from './assets.ts';
import type { DeploySpec, TaskDefinition } from './types.ts';
import type { ActionPipelineSpec } from '@s2r/core';
import { pipelineSpec } from './action-pipeline.ts';

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
    /** Clamp targets to the URDF position limits (the action pipeline, as on hardware). */
    clampTargetsToLimits: boolean;
    /** Max target rate (rad/s) on the physics grid, 'urdf' (each joint's velocity limit, capped), or null. */
    maxTargetRate: number | 'urdf' | null;
    maxTargetRateCap: number;
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
    control: { actionScale: 0.5, actionClip: 6, kp: null, kd: null, clampTargetsToLimits: true, maxTargetRate: 'urdf', maxTargetRateCap: 25 },
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

/** target = q0 + actionScale·a, clamped to the URDF limits and rate limited: what the bridge runs on the arm too. */
function z1PushPipeline(asset: RobotAsset, joints: readonly string[], q0: ArrayLike<number>, cfg: Z1PushConfig): ActionPipelineSpec {
  const c = cfg.control;
  return pipelineSpec(asset.model, {
    mode: 'position', joints, low: -c.actionClip, high: c.actionClip, scale: c.actionScale, offset: q0,
    clampToLimits: c.clampTargetsToLimits, maxRate: c.maxTargetRate, maxRateCap: c.maxTargetRateCap, substepDt: cfg.physicsDt,
  });
}

/** PD gains: the config's, else the robot's s2r.json, else 40 / 2 (N·m/rad, N·m·s/rad). Env and deploy spec alike. */
function z1Gains(asset: RobotAsset, cfg: Z1PushConfig): { kp: Float32Array; kd: Float32Array } {
  const J = asset.jointNames.length;
  const kp = cfg.control.kp !== null ? new Float32Array(J).fill(cfg.control.kp) : asset.kp.some((v) => v > 0) ? asset.kp : new Float32Array(J).fill(40);
  const kd = cfg.control.kd !== null ? new Float32Array(J).fill(cfg.control.kd) : asset.kd.some((v) => v > 0) ? asset.kd : new Float32Array(J).fill(2);
  return { kp, kd };
}

export interface ArmGeometry {
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

export function armGeometry(asset: RobotAsset, cfg: Z1PushConfig): ArmGeometry {
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

export function pushObsTerms(g: ArmGeometry, names: string[]): ObservationTerm<PushReadings>[] {
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
  private readonly measured: Float32Array;
  private readonly rd: PushReadings;

  constructor(cfg: Z1PushConfig, world: RapierSimWorld, robot: RobotSim, asset: RobotAsset, gains: { kp: Float32Array; kd: Float32Array }, opts: EnvOptions) {
    super('z1-push', cfg, world, robot, gains, opts);
    this.geom = armGeometry(asset, cfg);
    const J = robot.dof;
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
      pipeline: z1PushPipeline(asset, names, this.geom.q0, cfg),
      actionUnit: 'rad',
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

  /**
   * The deploy's external inputs (DeploySpec.externalInputs) as the scene stands now, for a simulator that steps
   * this env's world itself (the bridge's sim hardware): what a tracker would report on the real cell.
   */
  externalReadings(): { blockPose: Float64Array; goal: Float64Array } {
    this.updateState();
    return { blockPose: this.blockPose, goal: this.goal };
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
    readEncoders(this.dr, jp, this.measured);
    const p = this.geom.kin.point(jp, this.geom.eeLink, this.geom.eeOffset);
    this.eePos[0] = p[0]; this.eePos[1] = p[1]; this.eePos[2] = p[2];
  }
}

async function createZ1Push(cfg: Z1PushConfig, opts: EnvOptions = {}): Promise<Z1PushEnv> {
  const asset = loadRobotAsset(cfg.robot);
  const world = await createWorld({ dt: cfg.physicsDt, flavor: cfg.physics.flavor, ground: { type: 'none' } });
  try {
    const { kp, kd } = z1Gains(asset, cfg);
    const robot = world.addRobot(asset.model, { fixedBase: true, basePosition: [0, 0, cfg.table.top], initialJointPos: asset.defaultJointPos, kp, kd, actuator: cfg.physics.actuator ?? asset.actuator });
    return new Z1PushEnv(cfg, world, robot, asset, { kp, kd }, opts);
  } catch (e) {
    world.free();
    throw e;
  }
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
    const gains = z1Gains(asset, cfg);
    return {
      task: 'z1-push',
      jointNames: [...asset.jointNames],
      defaultJointPos: Array.from(g.q0),
      kp: Array.from(gains.kp),
      kd: Array.from(gains.kd),
      controlDt: cfg.physicsDt * cfg.decimation,
      physicsDt: cfg.physicsDt,
      observationSpec: spec,
      pipeline: z1PushPipeline(asset, asset.jointNames, g.q0, cfg),
      externalInputs: [
        { name: 'blockPose', size: 7, unit: 'm, quaternion xyzw', description: 'block pose in the arm base frame, from a tracker (mocap, AprilTag, vision)' },
        { name: 'goal', size: 2, unit: 'm', description: 'goal position x y on the table, arm base frame' },
      ],
      observe: (input, out = new Float32Array(spec.size)) => computeObservation(terms, input, out),
    };
  },
};
