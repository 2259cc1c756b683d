/**
 * The simulated robot's thread: steps Rapier in real time (absolute deadlines at the physics dt), applies the
 * commands that have "arrived" (after the injected latency, minus dropped packets), and publishes noisy sensor
 * readings through the seqlocked state slot.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadUrdf, Rng } from '@s2r/core';
import { createWorld } from '@s2r/sim/physics/world.ts';
import type { RobotSim, SimWorld } from '@s2r/sim/physics/types.ts';
import { load } from '@s2r/sim/tasks/registry.ts';
import { nowS, sleepUntil } from '../timing/clock.ts';
import { setThreadPriority, type ThreadPriority } from '../timing/priority.ts';
import { makeSimChannel, SIM_CTR, SIM_FLAG } from './sim-channel.ts';
import { DEFAULT_SIM_PHYSICS_DT, type SimHardwareOptions } from './sim.ts';

const o = (workerData as { options: SimHardwareOptions & { priority?: ThreadPriority } }).options;

/** A task env the simulator steps itself: its world and robot, and what a tracker would report (z1-push). */
interface SceneEnv {
  world: SimWorld;
  robot: RobotSim;
  config: { physicsDt: number };
  reset(seed?: number): unknown;
  close(): void;
  externalReadings(): Record<string, ArrayLike<number>>;
  isSuccess?(): boolean;
}

async function loadScene(task: string): Promise<SceneEnv> {
  const env = (await load(task, undefined, { print: false })) as unknown as SceneEnv;
  if (typeof env.externalReadings !== 'function') {
    env.close();
    throw new Error(`task "${task}" has no scene readings (externalReadings()) for the sim hardware to report`);
  }
  return env;
}

async function main(): Promise<void> {
  // The simulated robot is a real-time system too: SCHED_FIFO just below the control thread (49 vs 50).
  setThreadPriority(o.priority ?? { policy: 'fifo', rtPriority: 49, nice: -5 });
  const model = loadUrdf(o.urdf);
  // A task scene (o.scene): the task's own env, reset with the seed, supplies the world, the robot and the inputs.
  const scene = o.scene ? await loadScene(o.scene) : null;
  if (scene) {
    const want = [...model.actuatedJoints].sort().join(',');
    if ([...scene.robot.jointNames].sort().join(',') !== want) {
      scene.close();
      throw new Error(`scene "${o.scene}" simulates a robot with joints [${scene.robot.jointNames.join(', ')}], not ${o.urdf}'s [${model.actuatedJoints.join(', ')}]`);
    }
    scene.reset(o.seed ?? 0);
  }
  const dt = scene ? scene.config.physicsDt : (o.physicsDt ?? DEFAULT_SIM_PHYSICS_DT);
  const names = model.actuatedJoints;
  const n = names.length;
  const spawn = new Float64Array(n);
  for (const [j, q] of Object.entries(o.spawnPose ?? {})) {
    const i = names.indexOf(j);
    if (i < 0) throw new Error(`spawnPose names joint "${j}", which ${o.urdf} does not have`);
    spawn[i] = q;
  }
  const spawn0 = () => spawn;
  const h0 = o.baseHeight ?? 0; // checked by SimHardware: only a fixed base may omit it
  // Warm-up: the first 1–2k Rapier steps run 2–4× slower while V8 optimises the wasm (REFERENCE.md). Do them on a
  // throwaway world now, so the real-time run (and the control thread sharing these 2 cores) never sees them.
  const warmSteps = o.warmupSteps ?? 1500;
  if (warmSteps > 0 && scene) {
    const scratch = await loadScene(o.scene!);
    scratch.reset(o.seed ?? 0);
    for (let i = 0; i < warmSteps; i++) {
      scratch.world.step();
      scratch.externalReadings();
    }
    scratch.close();
  } else if (warmSteps > 0) {
    const scratch = await createWorld({ dt, flavor: o.flavor ?? 'simd', internalPgsIterations: o.internalPgsIterations ?? 4 });
    const r = scratch.addRobot(model, { basePosition: [0, 0, h0], fixedBase: o.fixedBase ?? false, initialJointPos: [...spawn0()], kp: 20, kd: 0.5, actuator: o.actuator ?? 'pd' });
    r.setPositionTargets(spawn0());
    for (let i = 0; i < warmSteps; i++) {
      scratch.step();
      r.imu();
      r.basePosition();
    }
    scratch.free();
  }
  let world: SimWorld;
  let robot: RobotSim;
  if (scene) {
    world = scene.world;
    robot = scene.robot; // at the task's spawn pose, holding it, as the env's reset left it
  } else {
    world = await createWorld({ dt, flavor: o.flavor ?? 'simd', internalPgsIterations: o.internalPgsIterations ?? 4, ...(o.solverIterations !== undefined ? { solverIterations: o.solverIterations } : {}) });
    robot = world.addRobot(model, {
      basePosition: [0, 0, h0],
      fixedBase: o.fixedBase ?? false,
      initialJointPos: spawn,
      kp: o.holdKp ?? 20,
      kd: o.holdKd ?? 0.5,
      actuator: o.actuator ?? 'pd',
      ...(o.friction !== undefined ? { friction: o.friction } : {}),
    });
    robot.setPositionTargets(spawn);
  }
  const inputs = scene ? Object.entries(scene.externalReadings()).map(([name, v]) => ({ name, size: v.length })) : [];
  const ch = makeSimChannel(n, inputs);
  const flags = new Int32Array(ch.flags);
  const st = new Float64Array(ch.state);
  const cmd = new Float64Array(ch.command);
  const ctr = new Float64Array(ch.counters);
  const rng = Rng.seed(o.seed ?? 0);
  const noiseRng = rng.split('sensor-noise');
  const dropRng = rng.split('packet-drop');
  const noise = { jointPos: 0, jointVel: 0, angVel: 0, gravity: 0, ...(o.noise ?? {}) };
  const drop = o.dropRate ?? 0;
  const latency = (o.latencyMs ?? 0) * 1e-3;
  const fallTilt = Math.cos(o.fallTiltRad ?? Math.PI / 3);
  const fallZ = (o.fallHeightFrac ?? 0.4) * h0;

  // Commands in flight: a small ring of (due time, command) — latency ≤ a few hundred ms at ≤ 1 kHz fits.
  const CAP = 1024;
  const L = 1 + 5 * n;
  const flight = new Float64Array(CAP * L);
  const due = new Float64Array(CAP);
  let head = 0; // oldest
  let count = 0;
  let lastCmdSeq = Atomics.load(flags, SIM_FLAG.CMD_SEQ);
  const target = new Float64Array(n);
  const tau = new Float64Array(n);
  const kp = new Float64Array(n);
  const kd = new Float64Array(n);
  let stateSeq = 0;

  parentPort!.postMessage({ type: 'ready', jointNames: [...robot.jointNames], channel: ch, warnings: robot.warnings });

  // Before activation the robot holds its spawn pose (on the hanger); the world is not stepped.
  while (!Atomics.load(flags, SIM_FLAG.ACTIVE) && !Atomics.load(flags, SIM_FLAG.STOP)) Atomics.wait(flags, SIM_FLAG.ACTIVE, 0, 100);

  let t0 = nowS();
  let k = 0;
  let fallen = false;
  while (!Atomics.load(flags, SIM_FLAG.STOP)) {
    const deadline = t0 + (k + 1) * dt;
    // No final spin here: the simulated robot only needs to keep real time on average, and spinning would steal the
    // CPU the control thread needs (2 cores on this machine).
    const wake = sleepUntil(deadline, 0);
    const lag = wake - deadline;
    if (lag * 1e6 > ctr[SIM_CTR.MAX_LAG_US]!) ctr[SIM_CTR.MAX_LAG_US] = lag * 1e6;
    if (lag > 10 * dt) {
      // Far behind (GC pause, CPU contention): re-anchor instead of fast-forwarding physics in a burst.
      t0 = wake - (k + 1) * dt;
      ctr[SIM_CTR.REANCHORS]!++;
    }

    // --- commands: take a new one (or drop it), then apply the newest one whose latency has elapsed ---
    const s1 = Atomics.load(flags, SIM_FLAG.CMD_SEQ);
    if (s1 !== lastCmdSeq && (s1 & 1) === 0) {
      const slot = (head + count) % CAP;
      flight.set(cmd, slot * L);
      if (Atomics.load(flags, SIM_FLAG.CMD_SEQ) === s1) {
        lastCmdSeq = s1;
        if (drop > 0 && dropRng.float() < drop) ctr[SIM_CTR.CMDS_DROPPED]!++;
        else if (count < CAP) {
          due[slot] = wake + latency;
          count++;
        }
      }
    }
    let apply = -1;
    while (count > 0 && due[head]! <= wake) {
      apply = head;
      head = (head + 1) % CAP;
      count--;
    }
    if (apply >= 0) {
      const b = apply * L;
      const mode = flight[b]!;
      for (let i = 0; i < n; i++) {
        target[i] = flight[b + 1 + i]!;
        tau[i] = flight[b + 1 + 2 * n + i]!;
        kp[i] = mode === 0 ? flight[b + 1 + 3 * n + i]! : 0; // damping / zero torque: no position gain
        kd[i] = mode === 2 ? 0 : flight[b + 1 + 4 * n + i]!;
        if (mode !== 0) tau[i] = 0;
      }
      robot.setPositionTargets(target);
      robot.setTorques(tau);
      robot.setGains(kp, kd);
      ctr[SIM_CTR.CMDS_APPLIED]!++;
    }

    world.step();
    k++;
    ctr[SIM_CTR.STEPS] = k;
    if (scene?.isSuccess && !ctr[SIM_CTR.TASK_SUCCESS]) {
      scene.externalReadings(); // brings the scene's state up to this step
      if (scene.isSuccess()) {
        ctr[SIM_CTR.TASK_SUCCESS] = 1;
        ctr[SIM_CTR.TASK_SUCCESS_AT] = k * dt;
      }
    }

    // --- falls: tilt beyond the threshold or the base near the ground (rising edge) ---
    const imu = robot.imu();
    const p = robot.basePosition();
    const isFallen = !o.fixedBase && (-imu.projectedGravity[2] < fallTilt || p[2] < fallZ);
    if (isFallen && !fallen) ctr[SIM_CTR.FALLS]!++;
    fallen = isFallen;
    ctr[SIM_CTR.FALLEN] = fallen ? 1 : 0;

    // --- publish sensors (or lose the packet) ---
    if (drop > 0 && dropRng.float() < drop) {
      ctr[SIM_CTR.STATES_DROPPED]!++;
      continue;
    }
    stateSeq += 1;
    Atomics.store(flags, SIM_FLAG.STATE_SEQ, 2 * stateSeq - 1); // odd: writing
    st[0] = k * dt;
    const q = robot.jointPos;
    const qd = robot.jointVel;
    const eff = robot.jointEffort;
    for (let i = 0; i < n; i++) {
      st[1 + i] = q[i]! + (noise.jointPos ? noiseRng.normal(0, noise.jointPos) : 0);
      st[1 + n + i] = qd[i]! + (noise.jointVel ? noiseRng.normal(0, noise.jointVel) : 0);
      st[1 + 2 * n + i] = eff[i]!;
    }
    let off = 1 + 3 * n;
    for (let i = 0; i < 3; i++) st[off + i] = imu.angVel[i]! + (noise.angVel ? noiseRng.normal(0, noise.angVel) : 0);
    off += 3;
    for (let i = 0; i < 3; i++) st[off + i] = imu.projectedGravity[i]! + (noise.gravity ? noiseRng.normal(0, noise.gravity) : 0);
    off += 3;
    const bq = robot.baseQuat();
    for (let i = 0; i < 4; i++) st[off + i] = bq[i]!;
    off += 4;
    const lv = robot.baseLinVel();
    for (let i = 0; i < 3; i++) st[off + i] = lv[i]!;
    off += 3;
    for (let i = 0; i < 3; i++) st[off + i] = p[i]!;
    off += 3;
    if (scene) {
      // What a tracker reports on the real cell: the block's pose and the goal, fresh with every state.
      const ext = scene.externalReadings();
      for (const e of inputs) {
        const v = ext[e.name]!;
        for (let i = 0; i < e.size; i++) st[off + i] = v[i]!;
        off += e.size;
      }
    }
    Atomics.store(flags, SIM_FLAG.STATE_SEQ, 2 * stateSeq); // even: complete
  }
  if (scene) scene.close();
  else world.free();
}

main().catch((e) => parentPort!.postMessage({ type: 'fatal', message: (e as Error)?.message ?? String(e) }));
