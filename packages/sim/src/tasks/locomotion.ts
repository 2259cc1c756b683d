/**
 * Velocity-tracking locomotion for a quadruped (go1-flat, go1-rough): legged_gym's task as s2r terms.
 *
 * Actor observation (45, all measurable on the real robot): base angular velocity (IMU gyro, base frame),
 * projected gravity, command (vx, vy, yaw rate), joint positions − default, joint velocities, last action.
 * The critic additionally sees a privileged group: true base linear velocity, base height, foot contacts and the
 * DR parameters of the episode (friction, payload, CoM, gains, strength, latency, gravity), and on rough terrain a
 * height scan. `observeLocomotion` is the pure function both the env and the bridge use.
 */
import type { RobotSim, SimWorld } from '../physics/types.ts';
import { clamp, rotateInverse, yawQuat, type ActionPipelineSpec, type RobotModel, type Rng, type Vec3 } from '@s2r/core';
import { buildDrEvents } from '../dr/registry.ts';
import { readEncoders } from '../dr/state.ts';
import { ManagerEnv, type BaseEnvConfig, type EnvOptions } from '../env/manager-env.ts';
import type { ObservationTerm, RewardTerm, TerminationTerm } from '../env/terms.ts';
import { pipelineSpec } from './action-pipeline.ts';
import type { RobotAsset } from './assets.ts';
import type { Terrain } from '../terrain/heightfield.ts';

/** Plain robot readings the actor observation is built from — the same at training and at deploy time (@s2r/core). */
export type { LeggedReadings } from '@s2r/core';
import { OBS_TERMS, type LeggedReadings } from '@s2r/core';

export const LOCOMOTION_OBS_SIZE = 45;

/** Actor observation terms for a legged robot with default pose `q0`. */
export function locomotionObservationTerms(jointNames: string[], q0: Float32Array): ObservationTerm<LeggedReadings>[] {
  const J = jointNames.length;
  const copy = (src: (r: LeggedReadings) => ArrayLike<number>, n: number) => (r: LeggedReadings, out: Float32Array, o: number) => {
    const v = src(r);
    if (v.length !== n) throw new RangeError(`observe: expected ${n} values, got ${v.length}`);
    for (let i = 0; i < n; i++) out[o + i] = v[i]!;
  };
  return [
    { name: OBS_TERMS.baseAngVel, size: 3, unit: 'rad/s', labels: ['wx', 'wy', 'wz'], fn: copy((r) => r.angVel, 3) },
    { name: OBS_TERMS.projectedGravity, size: 3, unit: '1', low: -1, high: 1, labels: ['gx', 'gy', 'gz'], fn: copy((r) => r.projectedGravity, 3) },
    { name: OBS_TERMS.velocityCommand, size: 3, unit: 'm/s, m/s, rad/s', labels: ['vx', 'vy', 'yaw_rate'], fn: copy((r) => r.command, 3) },
    {
      name: OBS_TERMS.jointPosRel, size: J, unit: 'rad', labels: jointNames,
      fn: (r, out, o) => {
        if (r.jointPos.length !== J) throw new RangeError(`observe: jointPos has ${r.jointPos.length} values, expected ${J}`);
        for (let i = 0; i < J; i++) out[o + i] = r.jointPos[i]! - q0[i]!;
      },
    },
    { name: OBS_TERMS.jointVel, size: J, unit: 'rad/s', labels: jointNames, fn: copy((r) => r.jointVel, J) },
    { name: OBS_TERMS.lastAction, size: J, unit: '1', labels: jointNames, fn: copy((r) => r.lastAction, J) },
  ];
}

export interface LocomotionConfig extends BaseEnvConfig {
  /** Folder under hardware/robots. */
  robot: string;
  /** Rapier build and solver iterations (null: Rapier's defaults, 4 solver iterations and 1 internal PGS iteration). */
  physics: { flavor: 'simd' | 'compat' | 'deterministic'; solverIterations: number | null; internalPgsIterations: number | null };
  control: {
    /** Joint target = default + actionScale · action (rad). legged_gym: 0.25. */
    actionScale: number;
    /** Actions are clipped to ±actionClip before scaling. */
    actionClip: number;
    kp: number; // N·m/rad
    kd: number; // N·m·s/rad
    /**
     * Clamp joint targets to the URDF position limits (default true). The action pipeline does it in the env and
     * in the bridge alike; without it a policy learns to hold joints against their stops with targets past them.
     */
    clampTargetsToLimits: boolean;
    /**
     * Max rate of change of a joint target (rad/s), applied on every physics substep, or 'urdf' for each joint's
     * URDF velocity limit capped at `maxTargetRateCap`, or null for none. The bridge runs the same rate limit on
     * the same substep grid (@s2r/core's ActionPipeline), whatever its command rate.
     */
    maxTargetRate: number | 'urdf' | null;
    /** Cap on the 'urdf' rate (rad/s). */
    maxTargetRateCap: number;
  };
  init: {
    /** Spawn height of the base above the ground (m); null uses the robot's s2r.json. */
    baseHeight: number | null;
    /** Initial joints = default × U(lo, hi) (legged_gym: 0.5–1.5). */
    jointPosScale: [number, number];
    /** Initial base linear and angular velocity, each axis U(±baseVel) (m/s, rad/s). legged_gym: 0.5. */
    baseVel: number;
    /** Random initial yaw U(±yaw) (rad). */
    yaw: number;
  };
  commands: {
    /** Resample period (s). legged_gym: 10. */
    resampleS: number;
    linVelX: [number, number]; // m/s
    linVelY: [number, number]; // m/s
    angVelYaw: [number, number]; // rad/s
    /** Commands with |v_xy| below this are zeroed (m/s), teaching standing still. legged_gym: 0.2. */
    zeroBelow: number;
  };
  rewardScales: {
    tracking_lin_vel: number;
    tracking_ang_vel: number;
    lin_vel_z: number;
    ang_vel_xy: number;
    orientation: number;
    torques: number;
    dof_acc: number;
    action_rate: number;
    feet_air_time: number;
    collision: number;
    dof_pos_limits: number;
    base_height: number;
    /** Constant per step while alive (off by default; legged_gym has none). */
    alive: number;
    /** 1 on the step that terminates (fall / base contact), not on a time-out. legged_gym: 0 (off). */
    termination: number;
  };
  rewardParams: {
    /** σ² of tracking rewards exp(−err²/σ²) (m²/s², rad²/s²). */
    trackingSigma: number;
    /** Target base height for the base_height term (m, above terrain). */
    baseHeightTarget: number;
    /** Feet air time reward counts (airTime − this) at touchdown (s). */
    feetAirTimeTarget: number;
    /** Soft joint limits: this fraction of the URDF range about its middle. */
    softDofPosLimit: number;
  };
  termination: {
    /** End on any trunk contact. */
    baseContact: boolean;
    /** End when the base tilts more than this from upright (rad). */
    maxTilt: number;
    /** End when the base is lower than this above the terrain (m); 0 disables. */
    minBaseHeight: number;
  };
  /** Rough terrain with a curriculum; null is a flat plane. */
  terrain: null | {
    map: import('../terrain/heightfield.ts').TerrainConfig;
    /** Starting levels are drawn in [0, maxInitLevel]. legged_gym: 5. */
    maxInitLevel: number;
    curriculum: boolean;
    /** Height scan for the critic: grid of points in the base's yaw frame (m). */
    scanX: number[];
    scanY: number[];
  };
}

export function defaultLocomotionConfig(): Omit<LocomotionConfig, 'dr'> {
  return {
    robot: 's2r-go1',
    physicsDt: 0.005,
    decimation: 4,
    episodeLengthS: 20,
    // 2 solver iterations instead of Rapier's 4: ~25% more steps/s, and the Go1 stands the same (height within
    // 3 mm, same drift over 10 s, measured here) — speed is what makes CPU training feasible.
    physics: { flavor: 'simd', solverIterations: 2, internalPgsIterations: null },
    rewards: { multiplyByDt: true, onlyPositive: true },
    control: { actionScale: 0.25, actionClip: 10, kp: 20, kd: 0.5, clampTargetsToLimits: true, maxTargetRate: 'urdf', maxTargetRateCap: 25 },
    init: { baseHeight: null, jointPosScale: [0.5, 1.5], baseVel: 0.5, yaw: 0 },
    commands: { resampleS: 10, linVelX: [-1, 1], linVelY: [-1, 1], angVelYaw: [-1, 1], zeroBelow: 0.2 },
    rewardScales: {
      tracking_lin_vel: 1.0,
      tracking_ang_vel: 0.5,
      lin_vel_z: -2.0,
      ang_vel_xy: -0.05,
      orientation: -1.0,
      torques: -2e-4,
      dof_acc: -2.5e-7,
      action_rate: -0.01,
      feet_air_time: 1.0,
      collision: -1.0,
      dof_pos_limits: -10.0,
      base_height: 0,
      alive: 0,
      termination: 0,
    },
    rewardParams: { trackingSigma: 0.25, baseHeightTarget: 0.3, feetAirTimeTarget: 0.5, softDofPosLimit: 0.9 },
    termination: { baseContact: true, maxTilt: 1.0, minBaseHeight: 0.1 },
    terrain: null,
  };
}

/**
 * The locomotion action pipeline: target = default + actionScale·a, clamped to the URDF limits and rate limited on
 * the physics grid. The env runs it, and the DeploySpec hands the same settings to the bridge.
 */
export function locomotionPipeline(model: RobotModel, jointNames: readonly string[], q0: ArrayLike<number>, cfg: Pick<LocomotionConfig, 'control' | 'physicsDt'>): ActionPipelineSpec {
  const c = cfg.control;
  return pipelineSpec(model, {
    mode: 'position', joints: jointNames, low: -c.actionClip, high: c.actionClip, scale: c.actionScale, offset: q0,
    clampToLimits: c.clampTargetsToLimits, maxRate: c.maxTargetRate, maxRateCap: c.maxTargetRateCap, substepDt: cfg.physicsDt,
  });
}

interface FootInfo {
  /** Index into the per-link contact forces of each foot (or of the link carrying the foot). */
  contactIdx: number[];
  /** Indices of links whose contact is penalised (thighs, calves). */
  collisionIdx: number[];
  /** Indices of the base and links rigidly attached to it: any contact ends the episode. */
  baseIdx: number[];
}

/** Per-link contact forces (N): the allocation-free path when the physics offers it, else contacts(). */
function contactForceReader(robot: RobotSim): { names: string[]; read: () => ArrayLike<number> } {
  const r = robot as RobotSim & { contactForces?: () => Float32Array; contactLinkNames?: readonly string[] };
  if (typeof r.contactForces === 'function' && r.contactLinkNames) return { names: [...r.contactLinkNames], read: () => r.contactForces!() };
  const names = robot.contacts().map((c) => c.link);
  const buf = new Float32Array(names.length);
  return {
    names,
    read: () => {
      const cs = robot.contacts();
      for (let i = 0; i < cs.length; i++) buf[i] = cs[i]!.inContact ? Math.max(cs[i]!.force, 1e-6) : 0;
      return buf;
    },
  };
}

function findContacts(robot: RobotSim, names: string[], footLinks: string[]): FootInfo {
  const find = (re: RegExp) => names.map((n, i) => (re.test(n) ? i : -1)).filter((i) => i >= 0);
  let feet = footLinks.length ? footLinks.map((f) => names.indexOf(f)) : find(/foot/i);
  if (feet.some((i) => i < 0)) throw new Error(`locomotion: foot links ${footLinks.join(', ')} are not all contact links of ${robot.model.name} (${names.join(', ')})`);
  const thighs = find(/thigh/i);
  const calves = find(/calf|shank|lower_leg/i);
  // If the feet are not reported apart from the calves, a calf contact is a foot contact.
  const collisionIdx = feet.length ? [...thighs, ...calves] : thighs;
  if (!feet.length) feet = calves;
  if (feet.length === 0) throw new Error(`locomotion: robot ${robot.model.name} has no links named *foot* or *calf* (links: ${names.join(', ')})`);
  const root = robot.linkNames[0]!;
  const m = robot as RobotSim & { merged?: { links: { name: string; merged?: string[] }[] } };
  const onBase = new Set([root, ...(m.merged?.links.find((l) => l.name === root)?.merged ?? [])]);
  const baseIdx = names.map((n, i) => (onBase.has(n) ? i : -1)).filter((i) => i >= 0);
  return { contactIdx: feet, collisionIdx, baseIdx };
}

export class LocomotionEnv extends ManagerEnv<LocomotionConfig, LeggedReadings> {
  readonly asset: RobotAsset;
  readonly defaultJointPos: Float32Array;
  readonly jointNames: string[];
  readonly terrain: Terrain | null;
  readonly numFeet: number;
  /** Command [vx, vy, yaw rate] in the base frame. */
  readonly command = new Float64Array(3);
  // Derived per control step (base frame unless said otherwise).
  readonly baseLinVel = new Float64Array(3);
  readonly baseAngVel = new Float64Array(3);
  readonly projectedGravity = new Float64Array(3);
  readonly measuredJointPos: Float32Array;
  readonly lastJointVel: Float32Array;
  readonly footContact: Uint8Array;
  readonly lastFootContact: Uint8Array;
  readonly feetAirTime: Float64Array;
  readonly firstContact: Uint8Array;
  basePos: Vec3 = [0, 0, 0];
  baseHeight = 0;
  baseContact = false;
  collisions = 0;
  /** Terrain curriculum state. */
  level = 0;
  terrainType = 0;
  private spawnXY: [number, number] = [0, 0];
  private commandTimer = 0;
  private readonly softLower: Float32Array;
  private readonly softUpper: Float32Array;
  private readonly feet: FootInfo;
  private readonly contactReader: { names: string[]; read: () => ArrayLike<number> };
  private readonly scratch = new Float64Array(3);
  private readonly readingsObj: LeggedReadings;

  constructor(name: string, cfg: LocomotionConfig, world: SimWorld, robot: RobotSim, asset: RobotAsset, terrain: Terrain | null, opts: EnvOptions) {
    const J = robot.dof;
    super(name, cfg, world, robot, { kp: new Float32Array(J).fill(cfg.control.kp), kd: new Float32Array(J).fill(cfg.control.kd) }, opts);
    this.asset = asset;
    this.terrain = terrain;
    this.jointNames = [...robot.jointNames];
    this.defaultJointPos = reorder(asset, this.jointNames, asset.defaultJointPos);
    this.measuredJointPos = new Float32Array(J);
    this.lastJointVel = new Float32Array(J);
    this.contactReader = contactForceReader(robot);
    this.feet = findContacts(robot, this.contactReader.names, asset.footLinks);
    this.numFeet = this.feet.contactIdx.length;
    this.footContact = new Uint8Array(this.numFeet);
    this.lastFootContact = new Uint8Array(this.numFeet);
    this.feetAirTime = new Float64Array(this.numFeet);
    this.firstContact = new Uint8Array(this.numFeet);
    this.softLower = new Float32Array(J);
    this.softUpper = new Float32Array(J);
    const joints = new Map(robot.model.joints.map((j) => [j.name, j]));
    this.jointNames.forEach((n, i) => {
      const lim = joints.get(n)!.limits;
      const mid = (lim.lower + lim.upper) / 2;
      const half = ((lim.upper - lim.lower) / 2) * cfg.rewardParams.softDofPosLimit;
      this.softLower[i] = Number.isFinite(half) ? mid - half : -Infinity;
      this.softUpper[i] = Number.isFinite(half) ? mid + half : Infinity;
    });

    const s = cfg.rewardScales;
    const p = cfg.rewardParams;
    const rewards: RewardTerm<LocomotionEnv>[] = [
      { name: 'tracking_lin_vel', weight: s.tracking_lin_vel, params: { sigma: p.trackingSigma }, fn: (e, q) => {
        const ex = e.command[0]! - e.baseLinVel[0]!, ey = e.command[1]! - e.baseLinVel[1]!;
        return Math.exp(-(ex * ex + ey * ey) / q.sigma);
      } },
      { name: 'tracking_ang_vel', weight: s.tracking_ang_vel, params: { sigma: p.trackingSigma }, fn: (e, q) => {
        const ez = e.command[2]! - e.baseAngVel[2]!;
        return Math.exp(-(ez * ez) / q.sigma);
      } },
      { name: 'lin_vel_z', weight: s.lin_vel_z, fn: (e) => e.baseLinVel[2]! ** 2 },
      { name: 'ang_vel_xy', weight: s.ang_vel_xy, fn: (e) => e.baseAngVel[0]! ** 2 + e.baseAngVel[1]! ** 2 },
      { name: 'orientation', weight: s.orientation, fn: (e) => e.projectedGravity[0]! ** 2 + e.projectedGravity[1]! ** 2 },
      { name: 'torques', weight: s.torques, fn: (e) => sumSq(e.robot.jointEffort) },
      { name: 'dof_acc', weight: s.dof_acc, fn: (e) => {
        let a = 0;
        const v = e.robot.jointVel, lv = e.lastJointVel, dt = e.dt;
        for (let i = 0; i < v.length; i++) a += ((v[i]! - lv[i]!) / dt) ** 2;
        return a;
      } },
      { name: 'action_rate', weight: s.action_rate, fn: (e) => {
        let a = 0;
        for (let i = 0; i < e.action.length; i++) a += (e.action[i]! - e.lastAction[i]!) ** 2;
        return a;
      } },
      { name: 'feet_air_time', weight: s.feet_air_time, params: { target: p.feetAirTimeTarget }, fn: (e, q) => {
        let r = 0;
        for (let f = 0; f < e.numFeet; f++) if (e.firstContact[f]) r += e.feetAirTime[f]! - q.target;
        return Math.hypot(e.command[0]!, e.command[1]!) > 0.1 ? r : 0;
      } },
      { name: 'collision', weight: s.collision, fn: (e) => e.collisions },
      { name: 'dof_pos_limits', weight: s.dof_pos_limits, fn: (e) => {
        let r = 0;
        const q = e.robot.jointPos;
        for (let i = 0; i < q.length; i++) r += Math.max(0, e.softLower[i]! - q[i]!) + Math.max(0, q[i]! - e.softUpper[i]!);
        return r;
      } },
      { name: 'base_height', weight: s.base_height, params: { target: p.baseHeightTarget }, fn: (e, q) => (e.baseHeight - q.target) ** 2 },
      { name: 'alive', weight: s.alive, fn: (e) => (e.terminatedNow ? 0 : 1) },
      { name: 'termination', weight: s.termination, fn: (e) => (e.terminatedNow ? 1 : 0) },
    ];
    const t = cfg.termination;
    const cosMax = Math.cos(t.maxTilt);
    const terminations: TerminationTerm<LocomotionEnv>[] = [];
    if (t.baseContact) terminations.push({ name: 'base_contact', fn: (e) => e.baseContact });
    terminations.push({ name: 'tilt', fn: (e) => -e.projectedGravity[2]! < cosMax });
    if (t.minBaseHeight > 0) terminations.push({ name: 'base_height', fn: (e) => e.baseHeight < t.minBaseHeight });

    const F = this.numFeet;
    const privileged: ObservationTerm<LocomotionEnv>[] = [
      { name: 'base_lin_vel', size: 3, unit: 'm/s', labels: ['vx', 'vy', 'vz'], fn: (e, o, i) => { o[i] = e.baseLinVel[0]!; o[i + 1] = e.baseLinVel[1]!; o[i + 2] = e.baseLinVel[2]!; } },
      { name: 'base_height', size: 1, unit: 'm', fn: (e, o, i) => { o[i] = e.baseHeight; } },
      { name: 'foot_contact', size: F, unit: '1', fn: (e, o, i) => { for (let f = 0; f < F; f++) o[i + f] = e.footContact[f]!; } },
      { name: 'friction', size: 1, unit: '1', fn: (e, o, i) => { o[i] = e.dr.friction; } },
      { name: 'restitution', size: 1, unit: '1', fn: (e, o, i) => { o[i] = e.dr.restitution; } },
      { name: 'added_base_mass', size: 1, unit: 'kg', fn: (e, o, i) => { o[i] = e.dr.addedBaseMass; } },
      { name: 'com_offset', size: 3, unit: 'm', fn: (e, o, i) => { o[i] = e.dr.comOffset[0]; o[i + 1] = e.dr.comOffset[1]; o[i + 2] = e.dr.comOffset[2]; } },
      { name: 'kp_kd_scale', size: 2, unit: '1', fn: (e, o, i) => { o[i] = e.dr.kpScale; o[i + 1] = e.dr.kdScale; } },
      { name: 'motor_strength', size: J, unit: '1', labels: this.jointNames, fn: (e, o, i) => { o.set(e.dr.motorStrength, i); } },
      { name: 'action_latency', size: 1, unit: 'control steps', fn: (e, o, i) => { o[i] = e.dr.actionLatency; } },
      { name: 'gravity', size: 3, unit: 'm/s²', fn: (e, o, i) => { o[i] = e.dr.gravity[0]; o[i + 1] = e.dr.gravity[1]; o[i + 2] = e.dr.gravity[2]; } },
    ];
    if (cfg.terrain) {
      const { scanX, scanY } = cfg.terrain;
      privileged.push({ name: 'height_scan', size: scanX.length * scanY.length, unit: 'm', fn: (e, o, i) => e.heightScan(o, i) });
    }
    this.initManagers({
      pipeline: locomotionPipeline(robot.model, this.jointNames, this.defaultJointPos, cfg),
      actionUnit: 'rad',
      observations: locomotionObservationTerms(this.jointNames, this.defaultJointPos),
      privileged,
      rewards,
      terminations,
      events: buildDrEvents<LocomotionEnv>(cfg.dr),
    });
    this.readingsObj = { jointPos: this.measuredJointPos, jointVel: robot.jointVel, angVel: this.baseAngVel, projectedGravity: this.projectedGravity, command: this.command, lastAction: this.lastAction };
  }

  protected readings(): LeggedReadings {
    return this.readingsObj;
  }

  protected resetScene(rng: Rng): void {
    const c = this.config;
    const J = this.robot.dof;
    if (this.terrain && c.terrain) {
      this.updateCurriculum(rng);
      this.recordEpisodeValue('terrain_level', this.level);
      this.recordEpisodeValue('terrain_type', this.terrainType);
    }
    const q = new Float32Array(J);
    const [lo, hi] = c.init.jointPosScale;
    for (let i = 0; i < J; i++) q[i] = this.defaultJointPos[i]! * rng.uniform(lo, hi);
    const h0 = c.init.baseHeight ?? this.asset.baseHeight ?? 0.35;
    let x = 0, y = 0, ground = 0;
    if (this.terrain && c.terrain) {
      [x, y] = this.terrain.tileCenter(this.level, this.terrainType);
      ground = this.terrain.heightAt(x, y);
    }
    this.spawnXY = [x, y];
    const yaw = c.init.yaw > 0 ? rng.uniform(-c.init.yaw, c.init.yaw) : 0;
    const bv = c.init.baseVel;
    const u = () => (bv > 0 ? rng.uniform(-bv, bv) : 0);
    this.robot.resetState(q, [x, y, ground + h0], yawQuat(yaw), new Float32Array(J));
    this.robot.setBaseVelocity([u(), u(), u()], [u(), u(), u()]);
    this.resampleCommand(rng);
    this.commandTimer = 0;
    this.feetAirTime.fill(0);
    this.footContact.fill(0);
    this.lastFootContact.fill(0);
    this.firstContact.fill(0);
    this.updateState(true);
    this.lastJointVel.set(this.robot.jointVel);
  }

  protected override postPhysics(rng: Rng): void {
    this.commandTimer += this.dt;
    if (this.commandTimer >= this.config.commands.resampleS - 1e-9) {
      this.commandTimer = 0;
      this.resampleCommand(rng);
    }
    this.updateState(false);
  }

  protected override afterReward(): void {
    for (let f = 0; f < this.numFeet; f++) if (this.footContact[f] || this.lastFootContact[f]) this.feetAirTime[f] = 0;
    this.lastJointVel.set(this.robot.jointVel);
  }

  /** Write the critic's height scan (base height above each scan point, m) at out[o..]. */
  heightScan(out: Float32Array, o: number): void {
    const cfg = this.config.terrain!;
    const t = this.terrain!;
    const q = this.robot.baseQuat();
    const yaw = Math.atan2(2 * (q[3] * q[2] + q[0] * q[1]), 1 - 2 * (q[1] * q[1] + q[2] * q[2]));
    const cy = Math.cos(yaw), sy = Math.sin(yaw);
    const [bx, by, bz] = this.basePos;
    let k = o;
    for (const px of cfg.scanX) for (const py of cfg.scanY) out[k++] = clamp(bz - t.heightAt(bx + cy * px - sy * py, by + sy * px + cy * py), -1, 1);
  }

  private resampleCommand(rng: Rng): void {
    const c = this.config.commands;
    this.command[0] = rng.uniform(c.linVelX[0], c.linVelX[1]);
    this.command[1] = rng.uniform(c.linVelY[0], c.linVelY[1]);
    this.command[2] = rng.uniform(c.angVelYaw[0], c.angVelYaw[1]);
    if (Math.hypot(this.command[0]!, this.command[1]!) < c.zeroBelow) this.command[0] = this.command[1] = 0;
  }

  private updateState(atReset: boolean): void {
    const r = this.robot;
    const q = r.baseQuat();
    this.basePos = r.basePosition();
    rotateInverse(q, r.baseLinVel(), this.baseLinVel);
    const imu = r.imu();
    this.baseAngVel.set(imu.angVel);
    this.projectedGravity.set(imu.projectedGravity);
    const ground = this.terrain ? this.terrain.heightAt(this.basePos[0], this.basePos[1]) : 0;
    this.baseHeight = this.basePos[2] - ground;
    readEncoders(this.dr, r.jointPos, this.measuredJointPos);
    if (atReset) {
      this.baseContact = false;
      this.collisions = 0;
      return;
    }
    // Contact thresholds as legged_gym: base contact > 1 N ends the episode, a penalised link counts above 0.1 N,
    // a foot is in contact above 1 N.
    const force = this.contactReader.read();
    let base = false;
    for (const i of this.feet.baseIdx) if (force[i]! > 1) base = true;
    this.baseContact = base;
    let n = 0;
    for (const i of this.feet.collisionIdx) if (force[i]! > 0.1) n++;
    this.collisions = n;
    for (let f = 0; f < this.numFeet; f++) {
      const c = force[this.feet.contactIdx[f]!]! > 1 ? 1 : 0;
      // legged_gym: filtered contact (this or last step) marks a touchdown after time in the air.
      const filt = c || this.footContact[f];
      this.lastFootContact[f] = this.footContact[f]!;
      this.footContact[f] = c;
      this.feetAirTime[f]! += this.dt;
      this.firstContact[f] = filt && this.feetAirTime[f]! > this.dt + 1e-9 ? 1 : 0;
    }
  }

  private updateCurriculum(rng: Rng): void {
    const tc = this.config.terrain!;
    const T = this.terrain!;
    const L = tc.map.numLevels;
    if (!this.curriculumStarted) {
      // First episode after seeding: a random starting level and a type drawn by the configured proportions.
      this.level = rng.int(Math.min(tc.maxInitLevel, L - 1) + 1);
      this.curriculumStarted = true;
    } else if (tc.curriculum) {
      const dist = Math.hypot(this.basePos[0] - this.spawnXY[0], this.basePos[1] - this.spawnXY[1]);
      const cmdDist = Math.hypot(this.command[0]!, this.command[1]!) * this.config.episodeLengthS * 0.5;
      if (dist > T.cfg.tileSize / 2) this.level++;
      else if (dist < cmdDist) this.level = Math.max(0, this.level - 1);
      // Robots that solve the hardest level go back to a random one (legged_gym), so levels stay populated.
      if (this.level >= L) this.level = rng.int(L);
    }
    let u = rng.float();
    const p = tc.map.proportions;
    const tot = p.reduce((a, b) => a + b, 0);
    this.terrainType = p.length - 1;
    for (let k = 0; k < p.length; k++) {
      u -= p[k]! / tot;
      if (u < 0) {
        this.terrainType = k;
        break;
      }
    }
  }

  private curriculumStarted = false;

  protected override onSeed(): void {
    this.curriculumStarted = false;
  }
}

function sumSq(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return s;
}

/** The asset's per-joint values in the robot's joint order. */
function reorder(asset: RobotAsset, names: string[], v: Float32Array): Float32Array {
  const out = new Float32Array(names.length);
  names.forEach((n, i) => {
    const k = asset.jointNames.indexOf(n);
    if (k < 0) throw new Error(`robot ${asset.name}: joint ${n} missing from the asset`);
    out[i] = v[k]!;
  });
  return out;
}
