/**
 * cartpole: balance a pole on a cart (hardware/robots/cartpole), Gymnasium CartPole semantics with a continuous
 * force: +1 reward per control step while |x| ≤ 2.4 m and |θ| ≤ 12°, 500 steps at 50 Hz (10 s), so the maximum
 * return is exactly 500 (`env.maxReturn`). The action is a force on the cart's slider, F = forceScale·a (N).
 */
import { createWorld } from '../physics/world.ts';
import type { RobotSim, SimWorld } from '../physics/types.ts';
import type { Rng } from '@s2r/core';
import { computeObservation, ManagerEnv, specFromTerms, type BaseEnvConfig, type EnvOptions } from '../env/manager-env.ts';
import type { ObservationTerm } from '../env/terms.ts';
import { disabledDrConfig } from '../dr/config.ts';
import { buildDrEvents } from '../dr/registry.ts';
import { loadRobotAsset, type RobotAsset } from './assets.ts';
import type { DeploySpec, TaskDefinition } from './types.ts';
import type { ActionPipelineSpec } from '@s2r/core';
import { pipelineSpec } from './action-pipeline.ts';

export interface CartpoleReadings {
  /** Joint positions in the robot's joint order (slider m, hinge rad). */
  jointPos: ArrayLike<number>;
  jointVel: ArrayLike<number>;
}

export interface CartpoleConfig extends BaseEnvConfig {
  robot: string;
  physics: { flavor: 'simd' | 'compat' | 'deterministic' };
  /** Force on the cart per unit action (N). */
  forceScale: number;
  actionClip: number;
  /** Hinge angle (rad) of the upright pole: the balance point, where episodes start and pole_angle is 0. */
  uprightHinge: number;
  /** Initial cart position, velocity, pole angle and rate are each U(±initRange) (m, m/s, rad, rad/s). */
  initRange: number;
  termination: { maxCartPos: number; maxPoleAngle: number };
}

export function cartpoleConfig(): CartpoleConfig {
  const dr = disabledDrConfig();
  // Plausible variation for a cart-pole: link masses and actuator strength; no contacts, no floating base.
  dr.linkMassScale.enabled = true;
  dr.motorStrength.enabled = true;
  return {
    robot: 'cartpole',
    physicsDt: 0.005,
    decimation: 4,
    episodeLengthS: 10,
    physics: { flavor: 'simd' },
    rewards: { multiplyByDt: false, onlyPositive: false },
    forceScale: 10,
    actionClip: 1,
    uprightHinge: 0,
    initRange: 0.05,
    termination: { maxCartPos: 2.4, maxPoleAngle: (12 * Math.PI) / 180 },
    dr,
  };
}

/** Which joint is the cart (prismatic) and which is the pole hinge. */
function cartpoleJoints(asset: RobotAsset): { slider: number; hinge: number } {
  const types = new Map(asset.model.joints.map((j) => [j.name, j.type]));
  const slider = asset.jointNames.findIndex((n) => types.get(n) === 'prismatic');
  const hinge = asset.jointNames.findIndex((n) => types.get(n) === 'revolute' || types.get(n) === 'continuous');
  if (slider < 0 || hinge < 0) throw new Error(`cartpole: robot ${asset.name} needs one prismatic and one revolute joint (has ${asset.jointNames.join(', ')})`);
  return { slider, hinge };
}

/** The robot's default pose with the pole upright (the sidecar's default is the hanging rest pose). */
function balancePose(asset: RobotAsset, cfg: CartpoleConfig): Float32Array {
  const q = Float32Array.from(asset.defaultJointPos);
  q[cartpoleJoints(asset).hinge] = cfg.uprightHinge;
  return q;
}

/** Force on the slider = forceScale·a (N), clamped to the slider's URDF effort limit: the actuator's bound. */
function cartpolePipeline(asset: RobotAsset, cfg: CartpoleConfig): ActionPipelineSpec {
  const slider = asset.jointNames[cartpoleJoints(asset).slider]!;
  return pipelineSpec(asset.model, {
    mode: 'torque', joints: [slider], low: -cfg.actionClip, high: cfg.actionClip, scale: cfg.forceScale, offset: [0],
    clampToLimits: true, maxRate: null, substepDt: cfg.physicsDt,
  });
}

function cartpoleObsTerms(slider: number, hinge: number, q0: ArrayLike<number>): ObservationTerm<CartpoleReadings>[] {
  return [
    { name: 'cart_pos', size: 1, unit: 'm', fn: (r, o, i) => { o[i] = r.jointPos[slider]! - q0[slider]!; } },
    { name: 'cart_vel', size: 1, unit: 'm/s', fn: (r, o, i) => { o[i] = r.jointVel[slider]!; } },
    { name: 'pole_angle', size: 1, unit: 'rad', fn: (r, o, i) => { o[i] = r.jointPos[hinge]! - q0[hinge]!; } },
    { name: 'pole_vel', size: 1, unit: 'rad/s', fn: (r, o, i) => { o[i] = r.jointVel[hinge]!; } },
  ];
}

export class CartpoleEnv extends ManagerEnv<CartpoleConfig, CartpoleReadings> {
  readonly slider: number;
  readonly hinge: number;
  readonly q0: Float32Array;
  private readonly tau: Float32Array;
  private readonly rd: CartpoleReadings;

  constructor(cfg: CartpoleConfig, world: SimWorld, robot: RobotSim, asset: RobotAsset, opts: EnvOptions) {
    super('cartpole', cfg, world, robot, { kp: new Float32Array(robot.dof), kd: new Float32Array(robot.dof) }, opts);
    const { slider, hinge } = cartpoleJoints(asset);
    this.slider = slider;
    this.hinge = hinge;
    this.q0 = balancePose(asset, cfg);
    this.tau = new Float32Array(robot.dof);
    this.rd = { jointPos: robot.jointPos, jointVel: robot.jointVel };
    this.maxReturn = this.maxEpisodeSteps;
    const { maxCartPos, maxPoleAngle } = cfg.termination;
    this.initManagers({
      pipeline: cartpolePipeline(asset, cfg),
      actionUnit: 'N',
      observations: cartpoleObsTerms(slider, hinge, this.q0),
      privileged: null,
      rewards: [{ name: 'alive', weight: 1, fn: () => 1 }],
      terminations: [
        { name: 'cart_out_of_bounds', fn: (e) => Math.abs(e.robot.jointPos[e.slider]! - e.q0[e.slider]!) > maxCartPos },
        { name: 'pole_fell', fn: (e) => Math.abs(e.robot.jointPos[e.hinge]! - e.q0[e.hinge]!) > maxPoleAngle },
      ],
      events: buildDrEvents<CartpoleEnv>(cfg.dr),
    });
  }

  protected readings(): CartpoleReadings {
    return this.rd;
  }

  protected resetScene(rng: Rng): void {
    const r = this.config.initRange;
    const q = Float32Array.from(this.q0);
    const qd = new Float32Array(this.robot.dof);
    q[this.slider]! += rng.uniform(-r, r);
    q[this.hinge]! += rng.uniform(-r, r);
    qd[this.slider] = rng.uniform(-r, r);
    qd[this.hinge] = rng.uniform(-r, r);
    this.robot.resetState(q, undefined, undefined, qd);
    this.tau.fill(0);
    this.robot.setTorques(this.tau);
  }
}

export const cartpole: TaskDefinition<CartpoleConfig, CartpoleReadings> = {
  name: 'cartpole',
  description: 'Balance a pole on a cart with a force on the cart (max return = episode steps = 500)',
  defaultConfig: cartpoleConfig,
  async create(cfg, opts = {}) {
    const asset = loadRobotAsset(cfg.robot);
    const world = await createWorld({ dt: cfg.physicsDt, flavor: cfg.physics.flavor, ground: { type: 'none' } });
    try {
      const robot = world.addRobot(asset.model, { fixedBase: true, basePosition: [0, 0, asset.baseHeight ?? 0], initialJointPos: balancePose(asset, cfg), kp: 0, kd: 0 });
      return new CartpoleEnv(cfg, world, robot, asset, opts);
    } catch (e) {
      world.free();
      throw e;
    }
  },
  deploy(cfg = cartpoleConfig()): DeploySpec<CartpoleReadings> {
    const asset = loadRobotAsset(cfg.robot);
    const { slider, hinge } = cartpoleJoints(asset);
    const q0 = balancePose(asset, cfg);
    const terms = cartpoleObsTerms(slider, hinge, q0);
    return {
      task: 'cartpole',
      jointNames: [...asset.jointNames],
      defaultJointPos: Array.from(q0),
      kp: asset.jointNames.map(() => 0),
      kd: asset.jointNames.map(() => 0),
      controlDt: cfg.physicsDt * cfg.decimation,
      physicsDt: cfg.physicsDt,
      observationSpec: specFromTerms(terms),
      pipeline: cartpolePipeline(asset, cfg),
      observe: (input, out = new Float32Array(4)) => computeObservation(terms, input, out),
    };
  },
};
