/**
 * Core's one forward kinematics against Rapier: for the real Go1 (shared unitree description, 12 revolute joints,
 * fixed feet merged into the calves), the link poses FK computes from the joint angles and base pose Rapier
 * reports are the poses of Rapier's bodies, at random joint configurations reached by simulation (not set by FK).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { kinematicChain, linkPoses, loadUrdf, quatMul, quatConj, Rng } from '@s2r/core';
import { createWorld } from '../src/physics/world.ts';
import { GO1_URDF } from '../../../test/helpers/robots.ts';

const worlds: { free(): void }[] = [];
afterAll(() => worlds.forEach((w) => w.free()));

describe('forward kinematics (core) vs Rapier bodies', () => {
  it('real Go1: every body pose matches FK within 1 mm / 2 mrad at 4 random configurations', async () => {
    const model = loadUrdf(GO1_URDF);
    const chain = kinematicChain(model);
    const rng = Rng.seed(7);
    for (let trial = 0; trial < 4; trial++) {
      // No gravity and a stiff PD: the robot floats where it was spawned and drives its joints to random targets
      // inside 80% of their range; Rapier's joint constraints, not FK, place the bodies.
      const world = await createWorld({ dt: 0.002, gravity: [0, 0, 0], flavor: 'compat' });
      worlds.push(world);
      const J = model.actuatedJoints.length;
      const target = model.actuatedJoints.map((n) => {
        const l = model.joints.find((j) => j.name === n)!.limits;
        const mid = (l.lower + l.upper) / 2, half = (0.8 * (l.upper - l.lower)) / 2;
        return rng.uniform(mid - half, mid + half);
      });
      const yaw = rng.uniform(-Math.PI, Math.PI), roll = rng.uniform(-0.5, 0.5);
      const qYaw: [number, number, number, number] = [0, 0, Math.sin(yaw / 2), Math.cos(yaw / 2)];
      const qRoll: [number, number, number, number] = [Math.sin(roll / 2), 0, 0, Math.cos(roll / 2)];
      const robot = world.addRobot(model, { basePosition: [0, 0, 1], baseQuat: quatMul(qYaw, qRoll), kp: 30, kd: 0.8 });
      robot.setPositionTargets(target);
      for (let i = 0; i < 400; i++) world.step();
      // The joints moved well away from the zero pose it spawned in.
      expect(Math.max(...target.map((t, i) => Math.abs(robot.jointPos[i]!)))).toBeGreaterThan(0.3);

      const poses = linkPoses(chain, robot.jointPos, { p: robot.basePosition(), q: robot.baseQuat() });
      const rapier = robot.linkPoses();
      expect(robot.linkNames.length).toBeGreaterThan(J);
      let worstP = 0, worstR = 0;
      robot.linkNames.forEach((name, b) => {
        const f = poses[chain.index.get(name)!]!;
        const o = 7 * b;
        worstP = Math.max(worstP, Math.hypot(rapier[o]! - f.p[0], rapier[o + 1]! - f.p[1], rapier[o + 2]! - f.p[2]));
        const d = quatMul(quatConj(f.q), [rapier[o + 3]!, rapier[o + 4]!, rapier[o + 5]!, rapier[o + 6]!]);
        worstR = Math.max(worstR, 2 * Math.asin(Math.min(1, Math.hypot(d[0], d[1], d[2]))));
      });
      expect(worstP).toBeLessThan(1e-3); // m
      expect(worstR).toBeLessThan(2e-3); // rad
    }
  });
});
