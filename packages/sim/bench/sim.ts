/**
 * `npm run bench:sim`: how fast the simulator runs go1-flat, and how that compares with MuJoCo WASM.
 *
 *  1. Rapier, the real task: go1-flat in a VecEnv (one Rapier world per env, DR on, random actions), 1 worker
 *     (in-process) and 2 worker threads. Env steps/s and physics steps/s (= env steps × decimation 4).
 *  2. Rapier, bare: the same URDF MuJoCo steps, one robot in one SimWorld with JS PD every physics step —
 *     what the physics costs without the env's observations, rewards and DR.
 *  3. MuJoCo WASM (mujoco-js): that URDF (the real Go1 from ../shared beside the repository when present, else ours; visuals stripped)
 *     with a free joint and a ground plane, dt 0.005 s, the same JS PD every physics step.
 * All rates are warm (after a warm-up) and single-threaded except the 2-worker figure.
 * The last line is one JSON object; `ratio_1w` compares physics steps/s, the apples-to-apples unit.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import loadMujoco from 'mujoco-js';
import { makeVecEnv } from '../src/env/vec-env.ts';
import { Rng, loadUrdf, loadRobotConfig } from '@s2r/core';
import { createWorld } from '../src/physics/world.ts';
import { go1FlatConfig } from '../src/tasks/go1-flat.ts';
import { GO1_URDF as SHARED_GO1 } from '../../../test/helpers/robots.ts';

const PHYSICS_DT = 0.005; // s
const DECIMATION = 4;
const NUM_ENVS = Number(process.env.BENCH_ENVS ?? 16);
const MEASURE_S = Number(process.env.BENCH_SECONDS ?? 4);
const KP = 20; // N·m/rad
const KD = 0.5; // N·m·s/rad
const ACTION_SCALE = 0.25; // rad
/** The task's Rapier solver iterations, so the bare figure is the task's physics without the env. */
const SOLVER_ITERATIONS = go1FlatConfig().physics.solverIterations ?? 4;

const here = fileURLToPath(new URL('.', import.meta.url));
const OUR_GO1 = resolve(here, '../../../hardware/robots/s2r-go1/s2r-go1.urdf');
const mujocoUrdf = existsSync(SHARED_GO1) ? SHARED_GO1 : OUR_GO1;

/** Default Go1 pose in URDF joint order (FR, FL, RR, RL × hip, thigh, calf) from our s2r.json. */
const ourModel = loadUrdf(OUR_GO1);
const ourCfg = loadRobotConfig(ourModel);
const defaultPose = new Map(ourModel.actuatedJoints.map((j, i) => [j, ourCfg.defaultJointPos[i]!]));

function log(s: string) {
  console.log(s);
}

/** Process CPU seconds (all threads): rates per CPU-second don't depend on how loaded the machine is. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function rapierEnv(workers: number): Promise<{ envSteps: number; seconds: number; cpu: number }> {
  const v = await makeVecEnv('go1-flat', { numEnvs: NUM_ENVS, workers, seed: 1, print: false });
  try {
    const rng = Rng.seed(2);
    const A = new Float32Array(v.numEnvs * v.actionSpec.size);
    const fill = () => { for (let i = 0; i < A.length; i++) A[i] = rng.normal(); };
    // Warm-up: the first thousands of Rapier steps run 2–4× slower while V8 optimises the wasm glue.
    const warm = performance.now();
    while (performance.now() - warm < 1500) { fill(); await v.step(A); }
    let steps = 0;
    const t0 = performance.now();
    const c0 = cpuSeconds();
    while (performance.now() - t0 < MEASURE_S * 1000) {
      fill();
      await v.step(A);
      steps += v.numEnvs;
    }
    return { envSteps: steps, seconds: (performance.now() - t0) / 1000, cpu: cpuSeconds() - c0 };
  } finally {
    await v.close();
  }
}

/** Steps per wall-clock second and per CPU-second of this process. */
interface Rate {
  wall: number;
  cpu: number;
}

interface BareOptions {
  flavor?: 'simd' | 'compat';
  solverIterations?: number;
  /** Robots per world (they never collide with each other) and worlds, stepped round-robin. */
  robotsPerWorld?: number;
  worlds?: number;
  /** Step only RAPIER's world.step(): no actuation, no state read-back (the cost of the JS↔WASM glue). */
  rawStep?: boolean;
  seconds?: number;
}

/**
 * Bare Rapier: robots in SimWorlds, PD toward default + 0.25·N(0,1) targets changed every 4 steps.
 * Returns robot physics steps/s (robots × world steps per second).
 */
async function rapierBare(urdf: string, o: BareOptions = {}): Promise<Rate> {
  const model = loadUrdf(urdf);
  const q0 = Float64Array.from(model.actuatedJoints, (j) => defaultPose.get(j) ?? 0);
  const R = o.robotsPerWorld ?? 1;
  const worlds = await Promise.all(Array.from({ length: o.worlds ?? 1 }, () =>
    createWorld({ dt: PHYSICS_DT, ground: { type: 'plane' }, solverIterations: o.solverIterations ?? SOLVER_ITERATIONS, flavor: o.flavor ?? 'simd' })));
  try {
    // Robots sharing a world stand 1 m apart: overlapping AABBs would cost broad-phase pairs even though robots
    // never collide with each other.
    const robots = worlds.map((w) => Array.from({ length: R }, (_, r) => w.addRobot(model, { basePosition: [r, 0, 0.34], initialJointPos: q0, kp: KP, kd: KD })));
    const rng = Rng.seed(3);
    const target = new Float64Array(q0.length);
    const run = (ms: number) => {
      const t0 = performance.now();
      const c0 = cpuSeconds();
      let k = 0;
      while (performance.now() - t0 < ms) {
        for (let i = 0; i < 20; i++, k++) {
          for (let w = 0; w < worlds.length; w++) {
            for (let r = 0; r < R; r++) {
              const robot = robots[w]![r]!;
              if (k % DECIMATION === 0) {
                for (let j = 0; j < q0.length; j++) target[j] = q0[j]! + ACTION_SCALE * rng.normal();
                robot.setPositionTargets(target);
              }
              if (k % 4000 === 0 || robot.basePosition()[2] < 0.12) robot.resetState(q0, [r, 0, 0.34], [0, 0, 0, 1]);
            }
            if (o.rawStep) worlds[w]!.world.step();
            else worlds[w]!.step();
          }
        }
      }
      return { k, s: (performance.now() - t0) / 1000, c: cpuSeconds() - c0 };
    };
    run(1000);
    const r = run((o.seconds ?? MEASURE_S) * 1000);
    const n = r.k * R * worlds.length;
    return { wall: n / r.s, cpu: n / r.c };
  } finally {
    for (const w of worlds) w.free();
  }
}

/** MuJoCo WASM: the URDF with visuals stripped, a free joint (URDF 'floating' → MJCF free) and a ground plane. */
let mjModule: any = null;
async function mujoco(urdf: string): Promise<{ stepsPerS: number; perCpuS: number; nbody: number; ngeom: number }> {
  const mj = (mjModule ??= await loadMujoco()) as any;
  let text = readFileSync(urdf, 'utf8').replace(/<visual>[\s\S]*?<\/visual>/g, '');
  const model = loadUrdf(urdf);
  text = text.replace(
    /<robot([^>]*)>/,
    `<robot$1>\n<mujoco><compiler discardvisual="true" fusestatic="true" balanceinertia="true"/></mujoco>\n` +
      `<link name="s2r_world"/><joint name="s2r_free" type="floating"><parent link="s2r_world"/><child link="${model.rootLink}"/></joint>`,
  );
  if (!mj.FS.analyzePath('/bench').exists) mj.FS.mkdir('/bench');
  mj.FS.writeFile('/bench/robot.urdf', text);
  const fromUrdf = mj.MjModel.loadFromXML('/bench/robot.urdf');
  mj.mj_saveLastXML('/bench/robot.xml', fromUrdf);
  fromUrdf.delete();
  // MJCF: add the ground, the timestep, and no self-collision (Rapier's robots don't self-collide either).
  let xml = mj.FS.readFile('/bench/robot.xml', { encoding: 'utf8' }) as string;
  xml = xml
    .replace('<worldbody>', '<default><geom contype="1" conaffinity="0"/></default>\n<worldbody>\n<geom name="ground" type="plane" size="0 0 1" contype="1" conaffinity="1"/>')
    .replace(/<compiler([^>]*)\/>/, `<compiler$1/>\n<option timestep="${PHYSICS_DT}"/>`);
  mj.FS.writeFile('/bench/robot.xml', xml);
  const m = mj.MjModel.loadFromXML('/bench/robot.xml');
  const d = new mj.MjData(m);
  try {
    const nj = model.actuatedJoints.length;
    // Joint qpos/qvel addresses in URDF order.
    const jntNames: string[] = [];
    const names = m.names as Uint8Array | undefined;
    void names;
    const qadr: number[] = [];
    const vadr: number[] = [];
    for (const j of model.actuatedJoints) {
      const id = mj.mj_name2id(m, mj.mjtObj.mjOBJ_JOINT.value ?? mj.mjtObj.mjOBJ_JOINT, j);
      if (id < 0) throw new Error(`mujoco: joint ${j} not found`);
      jntNames.push(j);
      qadr.push(m.jnt_qposadr[id]);
      vadr.push(m.jnt_dofadr[id]);
    }
    const q0 = Float64Array.from(model.actuatedJoints, (j) => defaultPose.get(j) ?? 0);
    const qpos = d.qpos as Float64Array;
    const qvel = d.qvel as Float64Array;
    const qfrc = d.qfrc_applied as Float64Array;
    const reset = () => {
      mj.mj_resetData(m, d);
      qpos[2] = 0.34;
      qpos[3] = 1; // MuJoCo quaternions are w-first
      for (let i = 0; i < nj; i++) qpos[qadr[i]!] = q0[i]!;
    };
    reset();
    const rng = Rng.seed(3);
    const target = new Float64Array(nj);
    const effort = Float64Array.from(model.actuatedJoints, (j) => model.joints.find((x) => x.name === j)!.limits.effort);
    const run = (ms: number) => {
      const t0 = performance.now();
      const c0 = cpuSeconds();
      let k = 0;
      while (performance.now() - t0 < ms) {
        for (let i = 0; i < 100; i++, k++) {
          if (k % DECIMATION === 0) for (let j = 0; j < nj; j++) target[j] = q0[j]! + ACTION_SCALE * rng.normal();
          if (k % 4000 === 0 || qpos[2]! < 0.12) reset();
          for (let j = 0; j < nj; j++) {
            const tau = KP * (target[j]! - qpos[qadr[j]!]!) - KD * qvel[vadr[j]!]!;
            qfrc[vadr[j]!] = Math.max(-effort[j]!, Math.min(effort[j]!, tau));
          }
          mj.mj_step(m, d);
        }
      }
      return { k, s: (performance.now() - t0) / 1000, c: cpuSeconds() - c0 };
    };
    run(1500);
    const r = run(MEASURE_S * 1000);
    if (!Number.isFinite(qpos[2]!)) throw new Error('mujoco: state became NaN');
    return { stepsPerS: r.k / r.s, perCpuS: r.k / r.c, nbody: m.nbody, ngeom: m.ngeom };
  } finally {
    d.delete();
    m.delete();
  }
}

const r1 = await rapierEnv(1);
const env1 = r1.envSteps / r1.seconds;
const env1Cpu = r1.envSteps / r1.cpu;
log(`rapier go1-flat (${OUR_GO1}), ${NUM_ENVS} envs, 1 worker:  ${env1.toFixed(0)} env steps/s = ${(env1 * DECIMATION).toFixed(0)} physics steps/s (${(env1Cpu * DECIMATION).toFixed(0)} per CPU-second)`);
const r2 = await rapierEnv(2);
const env2 = r2.envSteps / r2.seconds;
log(`rapier go1-flat, ${NUM_ENVS} envs, 2 workers: ${env2.toFixed(0)} env steps/s = ${(env2 * DECIMATION).toFixed(0)} physics steps/s (${((r2.envSteps / r2.cpu) * DECIMATION).toFixed(0)} per CPU-second, all threads)`);
const bare = await rapierBare(mujocoUrdf);
log(`rapier bare (${mujocoUrdf}), 1 robot, ${SOLVER_ITERATIONS} solver iterations, JS PD: ${bare.wall.toFixed(0)} physics steps/s (${bare.cpu.toFixed(0)} per CPU-second)`);
const mjr = await mujoco(mujocoUrdf);
log(`mujoco-js (${mujocoUrdf}, ${mjr.nbody} bodies, ${mjr.ngeom} geoms), JS PD: ${mjr.stepsPerS.toFixed(0)} physics steps/s (${mjr.perCpuS.toFixed(0)} per CPU-second)`);
const bareOurs = mujocoUrdf === OUR_GO1 ? bare : await rapierBare(OUR_GO1);
const mjOurs = mujocoUrdf === OUR_GO1 ? mjr : await mujoco(OUR_GO1);
log(`same robot as the task (${OUR_GO1}): rapier bare ${bareOurs.wall.toFixed(0)} (${bareOurs.cpu.toFixed(0)}/CPU-s), mujoco-js ${mjOurs.stepsPerS.toFixed(0)} (${mjOurs.perCpuS.toFixed(0)}/CPU-s) physics steps/s`);

// What limits Rapier: each factor alone, on the task's robot, 2 s each (per CPU-second: robust to machine load).
const A = 2;
const limits = {
  solver_iterations_4: await rapierBare(OUR_GO1, { solverIterations: 4, seconds: A }),
  solver_iterations_2: await rapierBare(OUR_GO1, { solverIterations: 2, seconds: A }),
  compat_build_iterations_2: await rapierBare(OUR_GO1, { flavor: 'compat', solverIterations: 2, seconds: A }),
  raw_world_step_only: await rapierBare(OUR_GO1, { rawStep: true, seconds: A }),
  robots_8_in_1_world: await rapierBare(OUR_GO1, { robotsPerWorld: 8, seconds: A }),
  robots_8_in_8_worlds: await rapierBare(OUR_GO1, { worlds: 8, seconds: A }),
};
log(`limits (task robot, robot physics steps per CPU-second): ${Object.entries(limits).map(([k, v]) => `${k} ${v.cpu.toFixed(0)}`).join(', ')}`);

const round = (x: number) => Math.round(x);
const r3 = (x: number) => Math.round(x * 1000) / 1000;
console.log(JSON.stringify({
  bench: 'sim',
  task: 'go1-flat',
  physics_dt: PHYSICS_DT,
  rapier_steps_per_s_1w: round(env1 * DECIMATION),
  rapier_steps_per_s_2w: round(env2 * DECIMATION),
  mujoco_steps_per_s_1w: round(mjr.stepsPerS),
  ratio_1w: r3((env1 * DECIMATION) / mjr.stepsPerS),
  units: 'physics steps/s (wall clock); rapier_steps_*: go1-flat env steps × decimation 4, including observations, rewards and DR; *_per_cpu_s: per CPU-second of this process (all threads), robust to machine load',
  decimation: DECIMATION,
  num_envs: NUM_ENVS,
  rapier_env_steps_per_s_1w: round(env1),
  rapier_env_steps_per_s_2w: round(env2),
  rapier_steps_per_cpu_s_1w: round(env1Cpu * DECIMATION),
  rapier_steps_per_cpu_s_2w: round((r2.envSteps / r2.cpu) * DECIMATION),
  mujoco_steps_per_cpu_s_1w: round(mjr.perCpuS),
  ratio_1w_cpu: r3((env1Cpu * DECIMATION) / mjr.perCpuS),
  rapier_solver_iterations: SOLVER_ITERATIONS,
  mujoco_urdf: mujocoUrdf,
  rapier_task_urdf: OUR_GO1,
  rapier_bare_steps_per_cpu_s_1w: round(bare.cpu),
  ratio_bare_1w_cpu: r3(bare.cpu / mjr.perCpuS),
  rapier_bare_task_robot_steps_per_cpu_s_1w: round(bareOurs.cpu),
  mujoco_task_robot_steps_per_cpu_s_1w: round(mjOurs.perCpuS),
  ratio_task_robot_1w_cpu: r3((env1Cpu * DECIMATION) / mjOurs.perCpuS),
  rapier_flavor: 'simd',
  rapier_limits_steps_per_cpu_s: Object.fromEntries(Object.entries(limits).map(([k, v]) => [k, round(v.cpu)])),
  cores: (await import('node:os')).cpus().length,
  load_avg_1m: r3((await import('node:os')).loadavg()[0]!),
}));
