/**
 * Records a short Go1 rollout in real Rapier physics (via @s2r/sim) for the viewer's tests, the benchmark and
 * demos: PD at Kp 20 / Kd 0.5 toward a scripted trotting pattern around the default pose, every channel filled.
 * Not a policy — it exists to produce realistic recordings without training anything.
 */
import { loadUrdf, Rng, type RobotModel } from '@s2r/core';
import { createWorld } from '@s2r/sim/physics/index.ts';
import { Recorder, type RecorderOptions } from '@s2r/recording/recorder.ts';

export interface RolloutOptions {
  urdfPath: string;
  /** Episode length (s). */
  seconds?: number;
  /** Physics step (s); every step is recorded (joint state, command, timing). */
  dt?: number;
  /** Link poses are recorded every `poseEvery` steps (the viewer fills the rest by forward kinematics). */
  poseEvery?: number;
  /** Policy-rate channels (action, reward terms, contacts) every `decimation` steps. */
  decimation?: number;
  seed?: number;
  /** Gait amplitude (rad); 0 stands still. */
  amplitude?: number;
  episodes?: number;
  meta?: RecorderOptions['meta'];
  chunkBytes?: number;
  encoding?: RecorderOptions['encoding'];
  compression?: RecorderOptions['compression'];
  overwrite?: boolean;
}

/** legged_gym-style Go1 default pose (rad), by joint-name pattern. */
export function go1DefaultPose(model: RobotModel): Float64Array {
  return Float64Array.from(model.actuatedJoints, (j) => {
    const left = j.startsWith('FL') || j.startsWith('RL');
    const front = j.startsWith('F');
    if (j.includes('hip')) return left ? 0.1 : -0.1;
    if (j.includes('thigh')) return front ? 0.8 : 1.0;
    if (j.includes('calf')) return -1.5;
    return 0;
  });
}

export async function recordGo1Rollout(path: string, opts: RolloutOptions): Promise<{ model: RobotModel; steps: number; linkNames: string[] }> {
  const seconds = opts.seconds ?? 2;
  const dt = opts.dt ?? 0.005;
  const poseEvery = opts.poseEvery ?? 1;
  const decimation = opts.decimation ?? 4;
  const amp = opts.amplitude ?? 0.35;
  const episodes = opts.episodes ?? 1;
  const rng = Rng.seed(opts.seed ?? 1);
  const model = loadUrdf(opts.urdfPath);
  const q0 = go1DefaultPose(model);
  const rec = await Recorder.open(path, {
    robot: model,
    meta: { task: 'go1-scripted-trot', seed: opts.seed ?? 1, ...opts.meta },
    chunkBytes: opts.chunkBytes,
    encoding: opts.encoding,
    compression: opts.compression,
    overwrite: opts.overwrite,
  });
  const world = await createWorld({ dt, ground: { type: 'plane' }, flavor: 'compat' });
  const robot = world.addRobot(model, { basePosition: [0, 0, 0.36], initialJointPos: q0, kp: 20, kd: 0.5 });
  const names = [...robot.jointNames];
  const linkNames = [...robot.linkNames];
  const nSteps = Math.round(seconds / dt);
  const target = new Float64Array(names.length);
  const action = new Float64Array(names.length);
  const poses = new Float32Array(linkNames.length * 7);
  let time = 0;
  let steps = 0;
  rec.scene(0, { terrain: { type: 'plane' } });
  for (let ep = 0; ep < episodes; ep++) {
    if (ep > 0) robot.resetState(q0, [0, 0, 0.36], [0, 0, 0, 1]);
    const friction = rng.uniform(0.5, 1.25);
    robot.setFriction(friction);
    rec.episode(time, { index: ep, event: 'start', seed: opts.seed ?? 1 });
    rec.domainRandomization(time, { friction }, ep);
    rec.velocityCommand(time, { vx: 0.5, vy: 0, yaw_rate: 0 });
    let ret = 0;
    for (let k = 0; k < nSteps; k++, steps++) {
      const tl = k * dt;
      if (k % decimation === 0) {
        // Trot: diagonal legs in phase (FR+RL, FL+RR), 2 Hz.
        for (let j = 0; j < names.length; j++) {
          const n = names[j]!;
          const phase = n.startsWith('FR') || n.startsWith('RL') ? 0 : Math.PI;
          const s = Math.sin(2 * Math.PI * 2 * tl + phase);
          action[j] = n.includes('thigh') ? s : n.includes('calf') ? -Math.max(0, s) : 0;
          target[j] = q0[j]! + amp * action[j]!;
        }
        robot.setPositionTargets(target);
        rec.action(time, action);
      }
      world.step();
      time += dt;
      rec.jointState(time, { names, position: robot.jointPos, velocity: robot.jointVel, effort: robot.jointEffort });
      rec.command(time, { names, mode: 'position', position: target });
      rec.timing(time, { lateness_us: Math.abs(rng.normal()) * 20, exec_us: 30 + rng.uniform(0, 10), missed: 0 });
      if (k % poseEvery === 0) rec.linkPoses(time, linkNames, robot.linkPoses(poses));
      if (k % decimation === 0) {
        const v = robot.baseLinVel();
        const track = Math.exp(-((v[0] - 0.5) ** 2) / 0.25);
        const z = robot.basePosition()[2];
        const terms = { tracking_lin_vel: track * dt * decimation, lin_vel_z: -2 * v[2] ** 2 * dt * decimation, height: z };
        ret += terms.tracking_lin_vel + terms.lin_vel_z;
        rec.rewardTerms(time, terms, terms.tracking_lin_vel + terms.lin_vel_z);
        rec.contacts(
          time,
          robot.contacts().filter((c) => c.link.endsWith('foot')).map((c) => ({ link: c.link, inContact: c.inContact, force: [0, 0, c.force] })),
        );
      }
      if (k === Math.floor(nSteps / 2)) rec.safety(time, { kind: 'step_change', joint: names[1], detail: 'scripted test event', value: 0.3, limit: 0.25 });
    }
    rec.episode(time, { index: ep, event: 'end', return: ret, length: nSteps, reason: 'truncated' });
    time += dt; // a visible gap between episodes
  }
  await rec.close();
  world.free();
  return { model, steps, linkNames };
}
