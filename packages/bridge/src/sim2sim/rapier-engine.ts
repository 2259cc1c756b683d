/** Rapier as a sim2sim engine: the training simulator's world (same flavor, solver iterations, JS PD). */
import { loadUrdf } from '@s2r/core/robot/load.ts';
import { createWorld } from '@s2r/sim/physics/world.ts';
import type { RapierFlavor, RobotSim, SimWorld } from '@s2r/sim/physics/types.ts';
import type { RobotCommand, RobotState } from '../types.ts';
import type { Engine, EngineOptions } from './engine.ts';

export interface RapierEngineOptions extends EngineOptions {
  flavor?: RapierFlavor;
  solverIterations?: number | null;
  internalPgsIterations?: number | null;
}

export async function createRapierEngine(o: RapierEngineOptions): Promise<Engine> {
  const model = loadUrdf(o.urdf);
  const world: SimWorld = await createWorld({
    dt: o.dt, flavor: o.flavor ?? 'simd',
    ...(o.solverIterations != null ? { solverIterations: o.solverIterations } : {}),
    ...(o.internalPgsIterations != null ? { internalPgsIterations: o.internalPgsIterations } : {}),
  });
  const n = model.actuatedJoints.length;
  const robot: RobotSim = world.addRobot(model, { basePosition: [0, 0, o.baseHeight], initialJointPos: new Float64Array(n), kp: 0, kd: 0, actuator: 'pd' });
  const tau = new Float64Array(n);
  return {
    name: 'rapier',
    jointNames: robot.jointNames,
    reset(q, yaw) {
      robot.resetState(q, [0, 0, o.baseHeight], [0, 0, Math.sin(yaw / 2), Math.cos(yaw / 2)]);
      robot.setPositionTargets(q);
    },
    apply(c: RobotCommand) {
      robot.setPositionTargets(c.position);
      for (let i = 0; i < n; i++) tau[i] = c.mode === 'position' ? c.effort[i]! : 0;
      robot.setTorques(tau);
      robot.setGains(c.mode === 'position' ? c.kp : 0, c.mode === 'zero_torque' ? 0 : c.kd);
    },
    step: () => world.step(),
    read(s: RobotState) {
      const q = robot.jointPos, qd = robot.jointVel, e = robot.jointEffort;
      for (let i = 0; i < n; i++) {
        s.jointPos[i] = q[i]!;
        s.jointVel[i] = qd[i]!;
        s.jointEffort[i] = e[i]!;
      }
      const imu = robot.imu();
      const bq = robot.baseQuat();
      s.imu = { angVel: imu.angVel, projectedGravity: imu.projectedGravity, quat: bq };
      s.baseLinVel = robot.baseLinVel();
      s.basePosition = robot.basePosition();
    },
    dispose: () => world.free(),
  };
}
