/**
 * docs/write-a-task.md, the worked example: a task of your own, registered at run time, stepped, trained and
 * evaluated through the library API (the CLI only knows the built-in tasks).
 *
 * `cartpole-center`: balance the pole AND bring the cart to a goal position `goalX` (m). Compared with the
 * built-in `cartpole` it adds an observation term (distance to the goal), a weighted reward term with
 * parameters, a privileged critic term, and a domain-randomization term of its own (a constant force bias on the
 * cart per episode, as an uncalibrated motor driver would give).
 *
 *   npx tsx docs/examples/cartpole-center.ts [ENV_STEPS]     (default 100000 env steps of PPO)
 */
import {
  buildDrEvents,
  computeObservation,
  createWorld,
  disabledDrConfig,
  getTask,
  load,
  loadRobotAsset,
  ManagerEnv,
  pipelineSpec,
  registerTask,
  specFromTerms,
  type BaseEnvConfig,
  type DeploySpec,
  type EnvOptions,
  type EventTerm,
  type ObservationTerm,
  type RobotAsset,
  type RobotSim,
  type SimWorld,
  type TaskDefinition,
} from '@s2r/sim';
import type { Rng } from '@s2r/core';

// ------------------------------------------------------------------ config: typed data with documented defaults

export interface CenterConfig extends BaseEnvConfig {
  /** A folder under hardware/robots, or a path to your own URDF / description folder. */
  robot: string;
  physics: { flavor: 'simd' | 'compat' | 'deterministic' };
  /** Force on the cart per unit action (N). */
  forceScale: number;
  actionClip: number;
  /** Where the cart should go (m from the rail's zero). */
  goalX: number;
  /** Weight of the squared distance to the goal (reward per m²). */
  centerWeight: number;
  /** Our own DR term: constant force bias on the cart, drawn per episode (N). */
  forceBias: { enabled: boolean; range: [number, number] };
  /** Initial cart position/velocity and pole angle/rate are each U(±initRange) (m, m/s, rad, rad/s). */
  initRange: number;
  termination: { maxCartPos: number; maxPoleAngle: number };
}

export function centerConfig(): CenterConfig {
  const dr = disabledDrConfig();
  dr.linkMassScale.enabled = true; // built-in DR terms are switched on as data
  dr.motorStrength.enabled = true;
  return {
    robot: 'cartpole',
    physicsDt: 0.005, // s: 200 Hz physics
    decimation: 4, // → 50 Hz control
    episodeLengthS: 10, // time-out → truncated, never terminated
    rewards: { multiplyByDt: false, onlyPositive: false },
    physics: { flavor: 'simd' },
    forceScale: 10,
    actionClip: 1,
    goalX: 0.5,
    centerWeight: 0.5,
    forceBias: { enabled: true, range: [-1, 1] },
    initRange: 0.05,
    termination: { maxCartPos: 2.4, maxPoleAngle: (12 * Math.PI) / 180 },
    dr,
  };
}

// ------------------------------------------------------------------ observation terms: pure functions of readings

/** What the actor sees, from plain readings: the same function runs in the env and, at deploy time, on the robot. */
export interface CenterReadings {
  jointPos: ArrayLike<number>; // slider (m), hinge (rad), robot joint order
  jointVel: ArrayLike<number>; // m/s, rad/s
}

function observationTerms(slider: number, hinge: number, goalX: number): ObservationTerm<CenterReadings>[] {
  return [
    { name: 'goal_error', size: 1, unit: 'm', noise: 0.01, fn: (r, o, i) => { o[i] = r.jointPos[slider]! - goalX; } },
    { name: 'cart_vel', size: 1, unit: 'm/s', noise: 0.05, fn: (r, o, i) => { o[i] = r.jointVel[slider]!; } },
    { name: 'pole_angle', size: 1, unit: 'rad', noise: 0.01, fn: (r, o, i) => { o[i] = r.jointPos[hinge]!; } },
    { name: 'pole_vel', size: 1, unit: 'rad/s', noise: 0.05, fn: (r, o, i) => { o[i] = r.jointVel[hinge]!; } },
  ];
}

function joints(asset: RobotAsset): { slider: number; hinge: number } {
  const type = new Map(asset.model.joints.map((j) => [j.name, j.type]));
  const slider = asset.jointNames.findIndex((n) => type.get(n) === 'prismatic');
  const hinge = asset.jointNames.findIndex((n) => type.get(n) === 'revolute' || type.get(n) === 'continuous');
  if (slider < 0 || hinge < 0) throw new Error(`cartpole-center: robot ${asset.name} needs a prismatic and a revolute joint`);
  return { slider, hinge };
}

/** Force on the slider = forceScale·a (N), clamped to the slider's URDF effort limit (the actuator's bound). */
function centerPipeline(asset: RobotAsset, cfg: CenterConfig) {
  const { slider } = joints(asset);
  return pipelineSpec(asset.model, {
    mode: 'torque', joints: [asset.jointNames[slider]!], low: -cfg.actionClip, high: cfg.actionClip, scale: cfg.forceScale,
    offset: [0], clampToLimits: true, maxRate: null, substepDt: cfg.physicsDt,
  });
}

// ------------------------------------------------------------------ the env: expose state, declare terms as data

export class CenterEnv extends ManagerEnv<CenterConfig, CenterReadings> {
  readonly slider: number;
  readonly hinge: number;
  /** The force bias drawn for this episode (N); our DR term writes it, applyAction and the critic read it. */
  bias = 0;
  private readonly rd: CenterReadings;

  constructor(cfg: CenterConfig, world: SimWorld, robot: RobotSim, asset: RobotAsset, opts: EnvOptions) {
    // Torque-controlled: no PD gains.
    super('cartpole-center', cfg, world, robot, { kp: new Float32Array(robot.dof), kd: new Float32Array(robot.dof) }, opts);
    ({ slider: this.slider, hinge: this.hinge } = joints(asset));
    this.rd = { jointPos: robot.jointPos, jointVel: robot.jointVel };

    const forceBias: EventTerm<CenterEnv, CenterConfig['forceBias']> = {
      name: 'force_bias',
      mode: 'reset', // 'startup' (once per env), 'reset' (every episode) or 'interval' (every intervalS seconds)
      params: cfg.forceBias,
      describe: `U(${cfg.forceBias.range.join(', ')}) N on the cart`,
      // Draw only from the rng handed in: it is this term's own stream, so seeds reproduce and other terms never shift.
      fn: (env, rng, p) => (env.bias = rng.uniform(p.range[0], p.range[1])),
    };
    const { maxCartPos, maxPoleAngle } = cfg.termination;
    this.initManagers({
      // The action pipeline (clip → scale/offset → clamp): the env runs it every step, and the bridge runs the same
      // one on the robot. Torque mode: force = forceScale·a on the slider, clamped to its URDF effort limit.
      pipeline: centerPipeline(asset, cfg),
      actionUnit: 'N',
      observations: observationTerms(this.slider, this.hinge, cfg.goalX),
      // The critic may see what the actor cannot measure on the real robot (asymmetric actor-critic).
      privileged: [{ name: 'force_bias', size: 1, unit: 'N', fn: (e, o, i) => { o[i] = e.bias; } }],
      rewards: [
        { name: 'alive', weight: 1, fn: () => 1 },
        { name: 'goal_distance', weight: -cfg.centerWeight, params: { goalX: cfg.goalX }, fn: (e, p) => (e.robot.jointPos[e.slider]! - p.goalX) ** 2 },
      ],
      terminations: [
        { name: 'cart_out_of_bounds', fn: (e) => Math.abs(e.robot.jointPos[e.slider]!) > maxCartPos },
        { name: 'pole_fell', fn: (e) => Math.abs(e.robot.jointPos[e.hinge]!) > maxPoleAngle },
      ],
      events: [...buildDrEvents<CenterEnv>(cfg.dr), ...(cfg.forceBias.enabled ? [forceBias] : [])],
    });
  }

  protected readings(): CenterReadings {
    return this.rd;
  }

  /** The drawn force bias acts on the cart on top of the policy's force: the world's, not the policy's. */
  protected override addDisturbance(efforts: Float32Array): void {
    efforts[this.slider]! += this.bias;
  }

  protected resetScene(rng: Rng): void {
    const r = this.config.initRange;
    const q = new Float32Array(this.robot.dof);
    const qd = new Float32Array(this.robot.dof);
    q[this.slider] = rng.uniform(-r, r);
    q[this.hinge] = rng.uniform(-r, r); // hinge 0 = upright in this robot's URDF
    qd[this.slider] = rng.uniform(-r, r);
    qd[this.hinge] = rng.uniform(-r, r);
    this.robot.resetState(q, undefined, undefined, qd); // the env zeroes the actuator efforts itself
  }
}

// ------------------------------------------------------------------ the task definition (one file per task)

export const cartpoleCenter: TaskDefinition<CenterConfig, CenterReadings> = {
  name: 'cartpole-center',
  description: 'Balance the pole and bring the cart to goalX',
  defaultConfig: centerConfig,
  async create(cfg, opts = {}) {
    const asset = loadRobotAsset(cfg.robot);
    const world = await createWorld({ dt: cfg.physicsDt, flavor: cfg.physics.flavor, ground: { type: 'none' } });
    try {
      const robot = world.addRobot(asset.model, { fixedBase: true, basePosition: [0, 0, asset.baseHeight ?? 0], initialJointPos: new Float32Array(asset.jointNames.length), kp: 0, kd: 0 });
      return new CenterEnv(cfg, world, robot, asset, opts);
    } catch (e) {
      world.free(); // the world is a WASM object with one owner: free it if the env never takes it
      throw e;
    }
  },
  deploy(cfg = centerConfig()): DeploySpec<CenterReadings> {
    const asset = loadRobotAsset(cfg.robot);
    const { slider, hinge } = joints(asset);
    const terms = observationTerms(slider, hinge, cfg.goalX);
    return {
      task: 'cartpole-center',
      jointNames: [...asset.jointNames],
      defaultJointPos: asset.jointNames.map(() => 0),
      kp: asset.jointNames.map(() => 0),
      kd: asset.jointNames.map(() => 0),
      controlDt: cfg.physicsDt * cfg.decimation,
      physicsDt: cfg.physicsDt,
      observationSpec: specFromTerms(terms),
      pipeline: centerPipeline(asset, cfg),
      observe: (input, out = new Float32Array(terms.length)) => computeObservation(terms, input, out),
    };
  },
};

// ------------------------------------------------------------------ use it

async function main(): Promise<void> {
  const steps = Number(process.argv[2] ?? 100_000);
  registerTask(cartpoleCenter);

  // 1. Load with overrides (deep-merged into defaultConfig(); a typo is an error naming its path) and step it.
  const env = await load<CenterConfig>('cartpole-center', { goalX: 0.3, dr: { obsNoise: { enabled: false } } });
  let { obs, info } = env.reset(7); // prints the term tables once
  console.log(`episode DR draws: ${JSON.stringify(info.dr)}`);
  let ret = 0;
  let n = 0;
  const sums: Record<string, number> = {};
  for (; n < 500; n++) {
    // A hand-written balancer: push the cart under the falling pole (a = k·angle + c·rate).
    const a = [Math.max(-1, Math.min(1, 4 * obs[2]! + 0.8 * obs[3]! + 0.1 * obs[0]! + 0.2 * obs[1]!))];
    const r = env.step(a);
    ret += r.reward;
    for (const [k, v] of Object.entries(r.info.rewardTerms ?? {})) sums[k] = (sums[k] ?? 0) + v; // per-term, weighted
    obs = r.obs;
    if (r.terminated || r.truncated) break;
  }
  console.log(`hand-written controller: ${n + 1} steps, return ${ret.toFixed(2)}, per-term sums ${JSON.stringify(sums)}`);

  // 2. The deploy-time contract: observe(readings) is the very function the env ran (before noise).
  const spec = getTask('cartpole-center').deploy(env.config);
  const { robot } = env as unknown as CenterEnv; // load() returns the generic TaskEnv; this one is ours
  const again = spec.observe({ jointPos: robot.jointPos, jointVel: robot.jointVel });
  const same = again.every((v, i) => Math.abs(v - obs[i]!) < 1e-6);
  console.log(`deploy observe() matches the env observation: ${same}`);
  if (!same) throw new Error(`observe() ${again} ≠ env obs ${obs}`);
  env.close();

  // 3. Train it with PPO. workers: 0 keeps the envs in this thread — worker threads import the built-in
  //    registry and would not know a task registered at run time.
  const { trainPpo } = await import('@s2r/policies/ppo/train.ts');
  const res = await trainPpo({
    task: 'cartpole-center',
    outDir: 'runs/cartpole-center',
    overrides: [{ workers: 0, numEnvs: 16, stepsPerEnv: 32, actorHidden: [32, 32], criticHidden: [32, 32], activation: 'tanh', learningRate: 3e-3, entropyCoef: 0, totalSteps: steps, envOverrides: { goalX: 0.3 } }],
    command: `npx tsx docs/examples/cartpole-center.ts ${steps}`,
    progress: 'lines',
  });
  console.log(`trained ${res.envSteps} env steps → ${res.artifactPath}`);

  // 4. Evaluate the artifact on the task, over two seeds, with confidence intervals.
  const { loadPolicy } = await import('@s2r/policies');
  const { evaluatePolicy } = await import('@s2r/policies/evaluate.ts');
  const ev = await evaluatePolicy(await loadPolicy(res.artifactPath), { task: 'cartpole-center', episodes: 4, seeds: [1, 2], numEnvs: 4, workers: 0, envOverrides: { goalX: 0.3 } });
  console.log(JSON.stringify({ task: 'cartpole-center', mean_return: ev.return.mean, return_ci95: ev.return.ci95 }));
}

await main();
