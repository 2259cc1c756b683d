/**
 * MuJoCo WASM (mujoco-js) as a sim2sim engine, on the same URDF: visuals stripped, a `floating` joint from a world
 * link (MuJoCo makes it a free joint), fusestatic, a ground plane, no self-collision (as in Rapier), and the PD in
 * JS on qfrc_applied every physics step. Contacts use an elliptic friction cone with impratio 10: MuJoCo's default
 * pyramidal cone lets standing feet slide outward (about 24 mm in 3 s), which Rapier's contacts do not.
 * Pitfalls handled here: quaternions are w-first in qpos[3:7]; the free joint's linear velocity qvel[0:3] is in the
 * world frame and its angular velocity qvel[3:6] in the body frame.
 */
import { readFileSync } from 'node:fs';
import loadMujoco from 'mujoco-js';
import { loadUrdf } from '@s2r/core/robot/load.ts';
import type { RobotCommand, RobotState } from '../types.ts';
import { rotateInv, type Engine, type EngineOptions } from './engine.ts';

let mjModule: any = null;
let files = 0;

export interface MujocoEngineOptions extends EngineOptions {
  /** 'elliptic' (default, impratio 10) or MuJoCo's default 'pyramidal' (to see the difference). */
  cone?: 'elliptic' | 'pyramidal';
}

export async function createMujocoEngine(o: MujocoEngineOptions): Promise<Engine> {
  const mj = (mjModule ??= await loadMujoco());
  const model = loadUrdf(o.urdf);
  let text = readFileSync(o.urdf, 'utf8').replace(/<visual>[\s\S]*?<\/visual>/g, '');
  text = text.replace(
    /<robot([^>]*)>/,
    `<robot$1>\n<mujoco><compiler discardvisual="true" fusestatic="true" balanceinertia="true"/></mujoco>\n` +
      `<link name="s2r_world"/><joint name="s2r_free" type="floating"><parent link="s2r_world"/><child link="${model.rootLink}"/></joint>`,
  );
  const dir = `/s2r-sim2sim-${files++}`;
  mj.FS.mkdir(dir);
  mj.FS.writeFile(`${dir}/robot.urdf`, text);
  let m: any;
  try {
    const fromUrdf = mj.MjModel.loadFromXML(`${dir}/robot.urdf`);
    mj.mj_saveLastXML(`${dir}/robot.xml`, fromUrdf);
    fromUrdf.delete();
  } catch (e) {
    throw new Error(`mujoco: cannot load ${o.urdf} (${(e as Error)?.message ?? e})`);
  }
  const cone = o.cone === 'pyramidal' ? '' : ' cone="elliptic" impratio="10"';
  const xml = (mj.FS.readFile(`${dir}/robot.xml`, { encoding: 'utf8' }) as string)
    .replace('<worldbody>', '<default><geom contype="1" conaffinity="0"/></default>\n<worldbody>\n<geom name="ground" type="plane" size="0 0 1" contype="1" conaffinity="1"/>')
    .replace(/<compiler([^>]*)\/>/, `<compiler$1/>\n<option timestep="${o.dt}"${cone}/>`);
  mj.FS.writeFile(`${dir}/robot.xml`, xml);
  m = mj.MjModel.loadFromXML(`${dir}/robot.xml`);
  const d = new mj.MjData(m);
  const names = model.actuatedJoints;
  const n = names.length;
  const qadr: number[] = [];
  const vadr: number[] = [];
  const JOINT = mj.mjtObj.mjOBJ_JOINT.value ?? mj.mjtObj.mjOBJ_JOINT;
  for (const j of names) {
    const id = mj.mj_name2id(m, JOINT, j);
    if (id < 0) throw new Error(`mujoco: joint "${j}" of ${o.urdf} is missing from the compiled model`);
    qadr.push(m.jnt_qposadr[id]);
    vadr.push(m.jnt_dofadr[id]);
  }
  const effort = Float64Array.from(names, (j) => model.joints.find((x) => x.name === j)!.limits.effort);
  const target = new Float64Array(n);
  const vtarget = new Float64Array(n);
  const ff = new Float64Array(n);
  const kp = new Float64Array(n);
  const kd = new Float64Array(n);
  const tau = new Float64Array(n);
  const g = [0, 0, 0];
  const w = [0, 0, 0];
  // Views into WASM memory; re-taken if memory growth detached them (length 0).
  let qpos = d.qpos as Float64Array, qvel = d.qvel as Float64Array, qfrc = d.qfrc_applied as Float64Array;
  const views = () => {
    if (qpos.length === 0) {
      qpos = d.qpos;
      qvel = d.qvel;
      qfrc = d.qfrc_applied;
    }
  };
  return {
    name: 'mujoco',
    jointNames: names,
    reset(q, yaw) {
      mj.mj_resetData(m, d);
      views();
      qpos[0] = 0;
      qpos[1] = 0;
      qpos[2] = o.baseHeight;
      qpos[3] = Math.cos(yaw / 2); // w first
      qpos[4] = 0;
      qpos[5] = 0;
      qpos[6] = Math.sin(yaw / 2);
      for (let i = 0; i < n; i++) {
        qpos[qadr[i]!] = q[i]!;
        target[i] = q[i]!;
      }
      kp.fill(0);
      kd.fill(0);
      mj.mj_forward(m, d);
    },
    apply(c: RobotCommand) {
      for (let i = 0; i < n; i++) {
        target[i] = c.position[i]!;
        vtarget[i] = c.velocity[i]!;
        ff[i] = c.mode === 'position' ? c.effort[i]! : 0;
        kp[i] = c.mode === 'position' ? c.kp[i]! : 0;
        kd[i] = c.mode === 'zero_torque' ? 0 : c.kd[i]!;
      }
    },
    step() {
      views();
      for (let i = 0; i < n; i++) {
        const t = kp[i]! * (target[i]! - qpos[qadr[i]!]!) + kd[i]! * (vtarget[i]! - qvel[vadr[i]!]!) + ff[i]!;
        tau[i] = t > effort[i]! ? effort[i]! : t < -effort[i]! ? -effort[i]! : t;
        qfrc[vadr[i]!] = tau[i]!;
      }
      mj.mj_step(m, d);
    },
    read(s: RobotState) {
      views();
      for (let i = 0; i < n; i++) {
        s.jointPos[i] = qpos[qadr[i]!]!;
        s.jointVel[i] = qvel[vadr[i]!]!;
        s.jointEffort[i] = tau[i]!;
      }
      const quat: [number, number, number, number] = [qpos[4]!, qpos[5]!, qpos[6]!, qpos[3]!]; // → [x, y, z, w]
      rotateInv(quat, [0, 0, -1], g);
      w[0] = qvel[3]!; // body frame already
      w[1] = qvel[4]!;
      w[2] = qvel[5]!;
      s.imu = { angVel: [w[0]!, w[1]!, w[2]!], projectedGravity: [g[0]!, g[1]!, g[2]!], quat };
      s.baseLinVel = [qvel[0]!, qvel[1]!, qvel[2]!];
      s.basePosition = [qpos[0]!, qpos[1]!, qpos[2]!];
    },
    dispose() {
      d.delete();
      m.delete();
    },
  };
}
