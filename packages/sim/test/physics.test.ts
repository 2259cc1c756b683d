import { describe, expect, it } from 'vitest';
import { loadUrdf, parseUrdf, loadRobotConfig, quatRotate, rpyToQuat, Rng, type Quat, type RobotModel, type Vec3 } from '@s2r/core';
import { createWorld, type RapierSimWorld } from '../src/physics/world.ts';
import { standingSpawnHeight } from '../src/physics/spawn.ts';
import type { RapierRobot } from '../src/physics/robot-sim.ts';
import { CARTPOLE, GO1_URDF, go1DefaultPose, S2R_ARM, S2R_GO1, writeZ1WithStlCollisions, Z1_DIR } from '../../../test/helpers/robots.ts';

const DT = 0.005;
const G = 9.81;

/** A single link on a revolute joint about y through its centre of mass: I_axis = iyy. */
function pendulum(opts: { rpy?: string; axis?: string; effort?: number; lower?: number; upper?: number; iyy?: number } = {}): RobotModel {
  const lim = `lower="${opts.lower ?? -3}" upper="${opts.upper ?? 3}" effort="${opts.effort ?? 100}" velocity="50"`;
  return parseUrdf(
    `<robot name="pend"><link name="base"><inertial><mass value="1"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial></link>
     <link name="arm"><collision><origin xyz="0.2 0 0"/><geometry><box size="0.4 0.02 0.02"/></geometry></collision>
       <inertial><mass value="0.5"/><inertia ixx="0.001" iyy="${opts.iyy ?? 0.004}" izz="0.004" ixy="0" ixz="0" iyz="0"/></inertial></link>
     <joint name="j" type="revolute"><parent link="base"/><child link="arm"/><origin xyz="0 0 1" rpy="${opts.rpy ?? '0 0 0'}"/>
       <axis xyz="${opts.axis ?? '0 1 0'}"/><limit ${lim}/></joint></robot>`,
    { source: '/virtual/pendulum.urdf' },
  );
}

async function standGo1(model: RobotModel, q0: ArrayLike<number>, flavor?: 'simd' | 'compat') {
  const world = await createWorld({ dt: DT, flavor });
  const robot = world.addRobot(model, { basePosition: [0, 0, standingSpawnHeight(model, q0)], initialJointPos: q0, kp: 20, kd: 0.5 });
  robot.setPositionTargets(q0);
  for (let i = 0; i < 200; i++) world.step(); // 1 s settle: the robot drops onto its feet and sags
  const start = robot.basePosition();
  let zMin = Infinity, zMax = -Infinity;
  for (let i = 0; i < 2000; i++) {
    world.step();
    const z = robot.basePosition()[2];
    zMin = Math.min(zMin, z);
    zMax = Math.max(zMax, z);
  }
  const end = robot.basePosition();
  return { world, robot, swing: zMax - zMin, drift: Math.hypot(end[0] - start[0], end[1] - start[1]), height: end[2] };
}

describe('Go1 standing under PD (Kp 20, Kd 0.5, dt 0.005) for 10 s', () => {
  it('the real Go1 URDF holds its height within 2 cm, does not drift, and stands on its four feet', async () => {
    const model = loadUrdf(GO1_URDF);
    const q0 = go1DefaultPose(model.actuatedJoints);
    const { world, robot, swing, drift, height } = await standGo1(model, q0);
    try {
      expect(robot.linkNames).toHaveLength(13);
      expect(swing).toBeLessThan(0.02);
      expect(drift).toBeLessThan(0.03);
      // Kp 20 sags the calves (measured ~0.28 m here, as MuJoCo does with the same gains).
      expect(height).toBeGreaterThan(0.22);
      expect(height).toBeLessThan(0.34);
      expect(robot.imu().projectedGravity[2]).toBeLessThan(-0.99);
      expect(Array.from(robot.jointPos).every(Number.isFinite)).toBe(true);
      const contacts = robot.contacts();
      const touching = contacts.filter((c) => c.inContact).map((c) => c.link).sort();
      expect(touching).toEqual(['FL_foot', 'FR_foot', 'RL_foot', 'RR_foot']);
      // The feet carry the weight: Σ contact force ≈ m g (13.1 kg).
      const sum = contacts.reduce((s, c) => s + c.force, 0);
      expect(sum).toBeGreaterThan(0.95 * 13.1 * G);
      expect(sum).toBeLessThan(1.05 * 13.1 * G);
      // Feet are reported apart from the calves they were merged into.
      expect(robot.contactLinkNames).toEqual(expect.arrayContaining(['FR_foot', 'FR_calf', 'FR_thigh', 'trunk']));
      const f = robot.contactForces();
      expect(f[robot.contactIndex('FR_foot')]!).toBeGreaterThan(20);
      expect(f[robot.contactIndex('FR_calf')]!).toBe(0);
      // PD effort: the calves hold the body against gravity, within the URDF effort limits.
      const calf = robot.jointNames.indexOf('FR_calf_joint');
      expect(Math.abs(robot.jointEffort[calf]!)).toBeGreaterThan(1);
      expect(Math.abs(robot.jointEffort[calf]!)).toBeLessThanOrEqual(35.55);
    } finally {
      world.free();
    }
  });

  it("the project's s2r-go1 stands the same way from its s2r.json", async () => {
    const model = loadUrdf(S2R_GO1);
    const cfg = loadRobotConfig(model);
    const { world, robot, swing, drift, height } = await standGo1(model, cfg.defaultJointPos);
    try {
      expect(swing).toBeLessThan(0.02);
      expect(drift).toBeLessThan(0.03);
      expect(height).toBeGreaterThan(0.22);
      expect(robot.contacts().filter((c) => c.inContact).map((c) => c.link).sort()).toEqual(['FL_foot', 'FR_foot', 'RL_foot', 'RR_foot']);
    } finally {
      world.free();
    }
  });
});

describe('actuation', () => {
  it('direct torque: τ / I gives the angular acceleration, and the applied effort reads back', async () => {
    const world = await createWorld({ dt: DT, gravity: [0, 0, 0] });
    const r = world.addRobot(pendulum(), { fixedBase: true });
    r.setTorques([0.02]);
    const steps = 100; // 0.5 s
    for (let i = 0; i < steps; i++) world.step();
    const t = steps * DT;
    const alpha = 0.02 / 0.004;
    expect(r.jointEffort[0]).toBeCloseTo(0.02, 6);
    expect(r.jointVel[0]!).toBeCloseTo(alpha * t, 2);
    expect(r.jointPos[0]!).toBeGreaterThan(0.97 * 0.5 * alpha * t * t);
    expect(r.jointPos[0]!).toBeLessThan(1.03 * 0.5 * alpha * t * t);
    world.free();
  });

  it('PD: effort = strength · (Kp (target − q) − Kd q̇), clamped to the URDF effort limit', async () => {
    const world = await createWorld({ dt: DT, gravity: [0, 0, 0] });
    const r = world.addRobot(pendulum({ effort: 2 }), { fixedBase: true, kp: 10, kd: 0.1 });
    r.setPositionTargets([0.05]);
    world.step();
    expect(r.jointEffort[0]).toBeCloseTo(10 * 0.05, 6); // first step: q = q̇ = 0
    r.setMotorStrength(0.5);
    r.resetState([0]);
    world.step();
    expect(r.jointEffort[0]).toBeCloseTo(0.5 * 10 * 0.05, 6);
    r.setMotorStrength(1);
    r.setGains(1000, 0);
    r.resetState([0]);
    world.step();
    expect(r.jointEffort[0]).toBe(2); // 1000 × 0.05 = 50 N·m, clamped to 2
    r.setPositionTargets([-0.5]);
    r.resetState([0]);
    world.step();
    expect(r.jointEffort[0]).toBe(-2);
    // Bad commands are refused where they enter, naming the joint; the world keeps running.
    expect(() => r.setPositionTargets([NaN])).toThrow(/setPositionTargets: target for joint "j" is NaN/);
    expect(() => r.setTorques([Infinity])).toThrow(/setTorques: torque for joint "j" is Infinity/);
    expect(() => r.setPositionTargets([1, 2])).toThrow(/got 2 values, the robot has 1 joints/);
    world.step();
    expect(Number.isFinite(r.jointPos[0]!)).toBe(true);
    world.free();
  });

  it('PD tracks a target on the arm (s2r-arm, implicit motor), with gravity sag = effort / Kp', async () => {
    const model = loadUrdf(S2R_ARM);
    const cfg = loadRobotConfig(model);
    const target = [0.4, 1.3, -0.9, 0.3, -0.4, 0.6];
    for (const gravity of [[0, 0, 0], [0, 0, -G]] as Vec3[]) {
      const world = await createWorld({ dt: DT, gravity });
      const r = world.addRobot(model, { fixedBase: true, kp: cfg.kp, kd: cfg.kd, actuator: cfg.actuator, initialJointPos: cfg.defaultJointPos });
      r.setPositionTargets(target);
      for (let i = 0; i < 1000; i++) world.step();
      // The shoulder (joint2) carries the arm: gravity makes it sag by effort / Kp.
      if (gravity[2] !== 0) expect(Math.abs(r.jointPos[1]! - target[1]!)).toBeGreaterThan(0.02);
      for (let j = 0; j < 6; j++) {
        if (gravity[2] === 0) expect(Math.abs(r.jointPos[j]! - target[j]!)).toBeLessThan(0.01);
        else {
          expect(Math.abs(r.jointPos[j]! - target[j]!)).toBeLessThan(0.3);
          expect(r.jointEffort[j]!).toBeCloseTo(cfg.kp[j]! * (target[j]! - r.jointPos[j]!) - cfg.kd[j]! * r.jointVel[j]!, 4);
        }
        expect(Math.abs(r.jointVel[j]!)).toBeLessThan(0.01);
      }
      world.free();
    }
  });

  it('the real Z1 with its STL collision meshes (convex hulls) tracks a target', async () => {
    const model = loadUrdf(writeZ1WithStlCollisions(), { packageDirs: { z1_description: Z1_DIR } });
    const world = await createWorld({ dt: DT, gravity: [0, 0, 0] });
    const r = world.addRobot(model, { kp: 60, kd: 2, actuator: 'motor', initialJointPos: [0, 1, -1, 0, 0, 0] });
    expect(r.fixedBase).toBe(true); // from the URDF's world link
    const shapes = (world.world as unknown as { forEachCollider(f: (c: { shape: { type: number } }) => void): void });
    let hulls = 0;
    shapes.forEachCollider((c) => {
      if (c.shape.type === world.rapier.ShapeType.ConvexPolyhedron) hulls++;
    });
    expect(hulls).toBe(7);
    const target = [0.5, 1.2, -0.8, 0.2, 0.3, 0.4];
    r.setPositionTargets(target);
    for (let i = 0; i < 600; i++) world.step();
    for (let j = 0; j < 6; j++) expect(Math.abs(r.jointPos[j]! - target[j]!)).toBeLessThan(0.01);
    world.free();
  });

  it('joint frames with rotated origins: JS PD and the motor agree on the joint angle; limits hold', async () => {
    for (const [rpy, axis] of [['0.3 -0.7 1.2', '0 1 0'], ['2.5 1 0.3', '0 0 -1']]) {
      for (const actuator of ['pd', 'motor'] as const) {
        const world = await createWorld({ dt: DT, gravity: [0, 0, 0] });
        const r = world.addRobot(pendulum({ rpy, axis, lower: -0.5, upper: 0.7 }), { fixedBase: true, kp: 2, kd: 0.05, actuator });
        r.setPositionTargets([0.4]);
        for (let i = 0; i < 400; i++) world.step();
        expect(r.jointPos[0]!).toBeCloseTo(0.4, 2);
        // Drive far past the upper limit: the joint stops at 0.7 rad.
        r.setGains(0, 0);
        r.setTorques([0.5]);
        for (let i = 0; i < 400; i++) world.step();
        expect(r.jointPos[0]!).toBeGreaterThan(0.68);
        expect(r.jointPos[0]!).toBeLessThan(0.72);
        world.free();
      }
    }
  });
});

describe('explicit PD stability check', () => {
  it('computes each joint subtree inertia about its axis and warns when Kd·dt/I is near the limit', async () => {
    const model = loadUrdf(GO1_URDF);
    const world = await createWorld({ dt: DT });
    const ok = world.addRobot(model, { initialJointPos: go1DefaultPose(model.actuatedJoints), kp: 20, kd: 0.75 });
    // Calf + foot about the knee: (0.0011004 + 0.135862·(0.006197² + 0.116695²)) + (9.6e-6 + 0.06·0.213²) kg·m².
    const calf = ok.jointNames.indexOf('FR_calf_joint');
    const expected = 0.0011004 + 0.135862 * (0.006197 ** 2 + 0.116695 ** 2) + 9.6e-6 + 0.06 * 0.213 ** 2;
    expect(ok.axisInertia![calf]!).toBeCloseTo(expected, 6);
    expect(ok.warnings.filter((w) => w.includes('stability'))).toEqual([]);
    // Kd 1 makes the Go1 fall over with explicit PD at dt 0.005 (REFERENCE); the four calves are flagged.
    const stiff = world.addRobot(model, { initialJointPos: go1DefaultPose(model.actuatedJoints), kp: 20, kd: 1, basePosition: [2, 0, 0.4] });
    expect(stiff.warnings.filter((w) => w.includes('stability')).map((w) => w.split('"')[1])).toEqual([
      'FR_calf_joint', 'FL_calf_joint', 'RR_calf_joint', 'RL_calf_joint',
    ]);
    world.free();
  });
});

describe('URDF joint dynamics', () => {
  it('Coulomb friction holds below its bound; above it, viscous damping sets the terminal velocity', async () => {
    const model = parseUrdf(
      `<robot name="p"><link name="base"/><link name="arm"><inertial><mass value="0.5"/>
       <inertia ixx="0.001" iyy="0.004" izz="0.004" ixy="0" ixz="0" iyz="0"/></inertial></link>
       <joint name="j" type="revolute"><parent link="base"/><child link="arm"/><origin xyz="0 0 1"/><axis xyz="0 1 0"/>
       <limit lower="-30" upper="30" effort="50" velocity="10"/><dynamics friction="0.5" damping="0.1"/></joint></robot>`,
      { source: '/virtual/friction.urdf' },
    );
    const end: number[][] = [];
    for (const tau of [0.3, 0.8]) {
      const world = await createWorld({ dt: DT, gravity: [0, 0, 0] });
      const r = world.addRobot(model, { fixedBase: true });
      r.setTorques([tau]);
      for (let i = 0; i < 200; i++) world.step();
      end.push([r.jointPos[0]!, r.jointVel[0]!]);
      world.free();
    }
    expect(Math.abs(end[0]![0]!)).toBeLessThan(1e-3); // 0.3 N·m < 0.5 N·m of friction: it sticks
    expect(end[1]![1]!).toBeCloseTo((0.8 - 0.5) / 0.1, 2); // terminal velocity (τ − f) / c = 3 rad/s
  });
});

describe('state read-back', () => {
  it('joint velocity matches the finite difference of joint position, including past ±π on a continuous joint', async () => {
    // Zero gravity so a small hinge torque spins the pole through turns (≈1.5 rad/s² on a 1 m, 0.1 kg pole).
    const world = await createWorld({ dt: DT, gravity: [0, 0, 0] });
    const model = loadUrdf(CARTPOLE);
    const r = world.addRobot(model, { basePosition: [0, 0, 1.2], fixedBase: true });
    r.resetState([0, 3.0]);
    r.setTorques([0, 0.05]);
    let prev = Float64Array.from(r.jointPos);
    let worst = 0;
    for (let i = 0; i < 800; i++) {
      world.step();
      for (let j = 0; j < 2; j++) {
        const fd = (r.jointPos[j]! - prev[j]!) / DT;
        worst = Math.max(worst, Math.abs(fd - r.jointVel[j]!) / (1 + Math.abs(r.jointVel[j]!)));
      }
      prev = Float64Array.from(r.jointPos);
    }
    expect(worst).toBeLessThan(0.05);
    expect(r.jointPos[1]!).toBeGreaterThan(3 * Math.PI); // unwrapped, not stuck in (−π, π]
    world.free();
  });

  it('prismatic: a cart force gives a = F / (m_cart + m_pole/4) at first; the rail limit holds', async () => {
    const world = await createWorld({ dt: DT, gravity: [0, 0, 0] });
    const r = world.addRobot(loadUrdf(CARTPOLE), { basePosition: [0, 0, 1.2], fixedBase: true });
    r.setTorques([1, 0]);
    for (let i = 0; i < 40; i++) world.step(); // 0.2 s
    const a = 1 / (1 + 0.1 / 4); // the hinged pole's effective mass at the hinge is m/4 (uniform rod about its end)
    expect(r.jointVel[0]!).toBeCloseTo(a * 0.2, 2);
    expect(r.jointPos[0]!).toBeCloseTo(0.5 * a * 0.04, 3);
    r.setTorques([30, 0]);
    for (let i = 0; i < 400; i++) world.step();
    expect(r.jointPos[0]!).toBeGreaterThan(2.35);
    expect(r.jointPos[0]!).toBeLessThan(2.45);
    world.free();
  });

  it('resetState places the robot at q with velocity q̇; base pose, IMU and link poses agree', async () => {
    const model = loadUrdf(GO1_URDF);
    const world = await createWorld({ dt: DT, gravity: [0, 0, 0], ground: { type: 'none' } });
    const r = world.addRobot(model, { basePosition: [0, 0, 1] });
    const q = go1DefaultPose(r.jointNames);
    const qd = Float64Array.from(r.jointNames, (_, i) => 0.2 * ((i % 3) - 1));
    const quat = rpyToQuat([0.3, -0.2, 0.5]);
    r.resetState(q, [1, 2, 3], quat, qd);
    expect(Array.from(r.jointPos)).toEqual(Array.from(Float32Array.from(q)));
    expect(r.basePosition().map((v) => Number(v.toFixed(5)))).toEqual([1, 2, 3]);
    world.step();
    for (let i = 0; i < 12; i++) {
      expect(r.jointVel[i]!).toBeCloseTo(qd[i]!, 1);
      expect(r.jointPos[i]!).toBeCloseTo(q[i]! + qd[i]! * DT, 3);
    }
    // IMU: gravity direction and angular velocity in the base frame.
    r.setBaseVelocity([0, 0, 0], [0.1, 0.2, 0.3]);
    const imu = r.imu();
    const bq = r.baseQuat();
    const inv: Quat = [-bq[0], -bq[1], -bq[2], bq[3]];
    const gExpected = quatRotate(inv, [0, 0, -1]);
    const wExpected = quatRotate(inv, [0.1, 0.2, 0.3]);
    for (let k = 0; k < 3; k++) {
      expect(imu.projectedGravity[k]!).toBeCloseTo(gExpected[k]!, 5);
      expect(imu.angVel[k]!).toBeCloseTo(wExpected[k]!, 5);
    }
    expect(Math.abs(imu.projectedGravity[0]!)).toBeGreaterThan(0.1); // tilted, so not trivially (0, 0, −1)
    const poses = r.linkPoses();
    expect(poses.length).toBe(7 * 13);
    const p = r.basePosition();
    expect(poses[0]).toBeCloseTo(p[0], 5);
    expect(poses[2]).toBeCloseTo(p[2], 5);
    world.free();
  });
});

describe('domain randomization setters', () => {
  it('link mass scale and base payload change the simulated masses', async () => {
    const model = loadUrdf(GO1_URDF);
    const world = await createWorld({ dt: DT });
    const r = world.addRobot(model, { basePosition: [0, 0, 0.4] });
    world.step();
    const bodies = r.rigidBodies();
    const calf = r.linkNames.indexOf('FR_calf');
    const m0 = bodies[calf]!.mass();
    r.setLinkMassScale('FR_foot', 2); // a merged link name addresses its body
    world.step();
    expect(bodies[calf]!.mass()).toBeCloseTo(2 * m0, 4);
    const base0 = bodies[0]!.mass();
    r.setBasePayload(1.5, [0.05, 0, 0]);
    world.step();
    expect(bodies[0]!.mass()).toBeCloseTo(base0 + 1.5, 3);
    expect(bodies[0]!.localCom().x).toBeCloseTo((r as unknown as { nominalMassProps: { com: Vec3 }[] }).nominalMassProps[0]!.com[0] + 0.05, 4);
    expect(r.totalMass()).toBeCloseTo(13.1 + m0 + 1.5, 1);
    expect(() => r.setLinkMassScale('nope', 1)).toThrow(/unknown link "nope"/);
    world.free();
  });

  it('friction decides whether the Go1 holds on a tilted gravity (setGravity + setFriction)', async () => {
    const model = loadUrdf(GO1_URDF);
    const q0 = go1DefaultPose(model.actuatedJoints);
    const slide: Record<string, number> = {};
    for (const mu of [1.0, 0.05]) {
      const world = await createWorld({ dt: DT });
      const r = world.addRobot(model, { basePosition: [0, 0, standingSpawnHeight(model, q0)], initialJointPos: q0, kp: 20, kd: 0.5 });
      r.setPositionTargets(q0);
      for (let i = 0; i < 200; i++) world.step();
      r.setFriction(mu);
      const tilt = 0.12; // rad: like standing on a 7° slope (tan 0.12 > 0.05, < 1)
      world.setGravity([G * Math.sin(tilt), 0, -G * Math.cos(tilt)]);
      expect(world.gravity()[0]).toBeCloseTo(G * Math.sin(tilt), 9);
      for (let i = 0; i < 100; i++) world.step(); // the body leans into the new gravity first
      const x0 = r.basePosition()[0];
      for (let i = 0; i < 300; i++) world.step();
      slide[mu] = r.basePosition()[0] - x0;
      world.free();
    }
    expect(Math.abs(slide[1]!)).toBeLessThan(0.04);
    expect(slide[0.05]!).toBeGreaterThan(0.2);
  });
});

describe('more setters', () => {
  it('restitution makes a dropped body bounce (combined with the ground by max)', async () => {
    const ball = parseUrdf(
      `<robot name="ball"><link name="b"><collision><geometry><sphere radius="0.05"/></geometry></collision>
       <inertial><mass value="0.2"/><inertia ixx="0.0002" iyy="0.0002" izz="0.0002" ixy="0" ixz="0" iyz="0"/></inertial></link></robot>`,
      { source: '/virtual/ball.urdf' },
    );
    const peak: number[] = [];
    for (const e of [0, 0.8]) {
      const world = await createWorld({ dt: DT });
      const r = world.addRobot(ball, { basePosition: [0, 0, 0.55] });
      r.setRestitution(e);
      let bounced = 0, falling = true;
      for (let i = 0; i < 200; i++) {
        world.step();
        const vz = r.baseLinVel()[2];
        if (falling && vz > 0) falling = false;
        if (!falling) bounced = Math.max(bounced, r.basePosition()[2] - 0.05);
      }
      peak.push(bounced);
      world.free();
    }
    expect(peak[0]!).toBeLessThan(0.02);
    // e = 0.8 from 0.5 m: back up to about e² · 0.5 = 0.32 m.
    expect(peak[1]!).toBeGreaterThan(0.25);
    expect(peak[1]!).toBeLessThan(0.4);
  });

  it('motor strength scales the implicit motor too: half strength, twice the sag', async () => {
    const sag: number[] = [];
    for (const s of [1, 0.5]) {
      // 4 internal PGS iterations bring the ForceBased motor to ~95% of its nominal stiffness (70% with 1).
      const world = await createWorld({ dt: DT, internalPgsIterations: 4 });
      // Arm along +x from a y-axis hinge: gravity pulls it down with 0.5 kg · 9.81 · 0.2 m ≈ 0.98 N·m.
      const model = parseUrdf(
        `<robot name="p"><link name="base"/><link name="arm"><inertial><origin xyz="0.2 0 0"/><mass value="0.5"/>
         <inertia ixx="0.0001" iyy="0.002" izz="0.002" ixy="0" ixz="0" iyz="0"/></inertial></link>
         <joint name="j" type="revolute"><parent link="base"/><child link="arm"/><origin xyz="0 0 1"/><axis xyz="0 1 0"/>
         <limit lower="-2" upper="2" effort="50" velocity="10"/></joint></robot>`,
        { source: '/virtual/p.urdf' },
      );
      const r = world.addRobot(model, { fixedBase: true, kp: 50, kd: 2, actuator: 'motor' });
      r.setMotorStrength(s);
      for (let i = 0; i < 600; i++) world.step();
      sag.push(r.jointPos[0]!);
      world.free();
    }
    // Positive rotation about +y tips +x downward; static sag = m g l / Kp within 10%.
    expect(sag[0]! / ((0.5 * G * 0.2) / 50)).toBeGreaterThan(0.95);
    expect(sag[0]! / ((0.5 * G * 0.2) / 50)).toBeLessThan(1.1);
    expect(sag[1]! / sag[0]!).toBeGreaterThan(1.8);
    expect(sag[1]! / sag[0]!).toBeLessThan(2.2);
  });
});

describe('self-collision', () => {
  it('off by default; on, a folding link stops against a non-adjacent one (adjacent pairs never collide)', async () => {
    const I = '<inertia ixx="0.001" iyy="0.001" izz="0.001" ixy="0" ixz="0" iyz="0"/>';
    // l2 hinges at l1's tip, 3 cm above it, and folds back over l1 (adjacent: no contact) into the base box.
    const m = parseUrdf(
      `<robot name="fold">
       <link name="base"><collision><geometry><box size="0.1 0.1 0.1"/></geometry></collision><inertial><mass value="1"/>${I}</inertial></link>
       <link name="l1"><collision><origin xyz="0.2 0 0"/><geometry><box size="0.2 0.02 0.02"/></geometry></collision><inertial><origin xyz="0.15 0 0"/><mass value="0.2"/>${I}</inertial></link>
       <link name="l2"><collision><origin xyz="0.25 0 0"/><geometry><box size="0.4 0.02 0.02"/></geometry></collision><inertial><origin xyz="0.2 0 0"/><mass value="0.2"/>${I}</inertial></link>
       <joint name="j1" type="revolute"><parent link="base"/><child link="l1"/><origin xyz="0.05 0 0"/><axis xyz="0 0 1"/><limit lower="-1" upper="1" effort="50" velocity="9"/></joint>
       <joint name="j2" type="revolute"><parent link="l1"/><child link="l2"/><origin xyz="0.35 0 0.03"/><axis xyz="0 0 1"/><limit lower="-3.1" upper="3.1" effort="50" velocity="9"/></joint>
       </robot>`,
      { source: '/virtual/fold.urdf' },
    );
    const end: Record<string, { q: number; touching: string[] }> = {};
    for (const self of [false, true]) {
      const world = await createWorld({ dt: DT, gravity: [0, 0, 0] });
      const r = world.addRobot(m, { fixedBase: true, basePosition: [0, 0, 1], kp: 5, kd: 0.2, selfCollision: self });
      r.setPositionTargets([0, -3.0]);
      for (let i = 0; i < 600; i++) world.step();
      end[String(self)] = { q: r.jointPos[1]!, touching: r.contacts().filter((c) => c.inContact).map((c) => c.link).sort() };
      world.free();
    }
    expect(end.false!.q).toBeCloseTo(-3.0, 2);
    expect(end.false!.touching).toEqual([]);
    expect(end.true!.q).toBeGreaterThan(-2.99);
    expect(end.true!.touching).toEqual(['base', 'l2']);
  });
});

describe('collision subset', () => {
  it('collisionLinks keeps only the named links\' shapes (the Go1 still stands on its feet)', async () => {
    const model = loadUrdf(GO1_URDF);
    const q0 = go1DefaultPose(model.actuatedJoints);
    const links = model.links.map((l) => l.name).filter((n) => /^(trunk|.._thigh|.._calf|.._foot)$/.test(n));
    const world = await createWorld({ dt: DT });
    const r = world.addRobot(model, { basePosition: [0, 0, standingSpawnHeight(model, q0)], initialJointPos: q0, kp: 20, kd: 0.5, collisionLinks: links });
    expect([...r.contactLinkNames].sort()).toEqual([...links].sort());
    let colliders = 0;
    (world.world as unknown as { forEachCollider(f: () => void): void }).forEachCollider(() => colliders++);
    expect(colliders).toBe(1 + 13); // ground + trunk + 4 × (thigh, calf, foot)
    r.setPositionTargets(q0);
    for (let i = 0; i < 400; i++) world.step();
    expect(r.basePosition()[2]).toBeGreaterThan(0.22);
    expect(r.contacts().filter((c) => c.inContact).map((c) => c.link).sort()).toEqual(['FL_foot', 'FR_foot', 'RL_foot', 'RR_foot']);
    expect(() => world.addRobot(model, { collisionLinks: ['FR_knee'] })).toThrow(/collisionLinks: go1 has no link "FR_knee"/);
    world.free();
  });
});

describe('ground', () => {
  it('a heightfield puts the ground where GroundSpec says (rows along +x, columns along +y)', async () => {
    // A gentle tilted plane (slopes 0.04 along x, −0.06 along y) so resting boxes stay where they land; an axis
    // swap or a flipped column order would put the ground several centimetres off at these points.
    const rows = 21, cols = 11, spacing = 0.1;
    const heights = new Float32Array(rows * cols);
    const field = (x: number, y: number) => 0.004 * (x / spacing + (rows - 1) / 2) - 0.006 * (y / spacing + (cols - 1) / 2) + 0.2;
    for (let rI = 0; rI < rows; rI++) for (let c = 0; c < cols; c++) heights[rI * cols + c] = field((rI - (rows - 1) / 2) * spacing, (c - (cols - 1) / 2) * spacing);
    const world = await createWorld({ dt: DT, ground: { type: 'heightfield', heights, rows, cols, spacing } });
    const R = world.rapier;
    const pts: [number, number][] = [[0, 0], [0.5, 0.2], [-0.73, -0.31], [0.85, 0.35], [-0.9, 0.37]];
    const boxes = pts.map(([x, y]) => {
      const b = world.world.createRigidBody(R.RigidBodyDesc.dynamic().setTranslation(x, y, 0.5).setCanSleep(false));
      world.world.createCollider(R.ColliderDesc.cuboid(0.01, 0.01, 0.01).setFriction(1), b);
      return b;
    });
    for (let i = 0; i < 300; i++) world.step();
    boxes.forEach((b) => {
      const t = b.translation();
      expect(t.z - 0.01).toBeCloseTo(field(t.x, t.y), 2);
      expect(world.groundHeight(t.x, t.y)).toBeCloseTo(field(t.x, t.y), 5);
    });
    // Where each box landed is where it was dropped: the ground really is that gentle plane.
    boxes.forEach((b, k) => expect(Math.hypot(b.translation().x - pts[k]![0], b.translation().y - pts[k]![1])).toBeLessThan(0.05));
    world.free();
  });

  it('bad heightfields are rejected with what is wrong', async () => {
    await expect(createWorld({ dt: DT, ground: { type: 'heightfield', heights: new Float32Array(5), rows: 2, cols: 2, spacing: 0.1 } })).rejects.toThrow(
      /rows×cols heights \(got rows 2, cols 2, spacing 0.1, 5 heights\)/,
    );
  });
});

describe('worlds', () => {
  it('results do not depend on which other robots share the process, and the deterministic build is bitwise repeatable', async () => {
    const model = loadUrdf(GO1_URDF);
    const run = async (flavor: 'simd' | 'deterministic', extraWorld: boolean) => {
      const other = extraWorld ? await createWorld({ dt: DT, flavor }) : null;
      if (other) other.addRobot(model, { basePosition: [0, 0, 0.5] });
      const world = await createWorld({ dt: DT, flavor });
      const r = world.addRobot(model, { basePosition: [0, 0, 0.4], initialJointPos: go1DefaultPose(model.actuatedJoints), kp: 20, kd: 0.5 });
      const rng = Rng.seed(7);
      const tgt = new Float64Array(12);
      for (let i = 0; i < 300; i++) {
        if (i % 4 === 0) for (let j = 0; j < 12; j++) tgt[j] = go1DefaultPose(model.actuatedJoints)[j]! + 0.5 * (rng.float() * 2 - 1);
        r.setPositionTargets(tgt);
        world.step();
        other?.step();
      }
      const out = Float32Array.from([...r.jointPos, ...r.basePosition()]);
      world.free();
      other?.free();
      return out;
    };
    const a = await run('deterministic', false);
    const b = await run('deterministic', true);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(a.every(Number.isFinite)).toBe(true);
    const c = await run('simd', false);
    const d = await run('simd', true);
    expect(Array.from(d)).toEqual(Array.from(c));
  });

  it('creating and freeing worlds does not leak', async () => {
    const model = loadUrdf(GO1_URDF);
    const cycle = async () => {
      const w: RapierSimWorld = await createWorld({ dt: DT });
      const r: RapierRobot = w.addRobot(model, { basePosition: [0, 0, 0.4] });
      for (let i = 0; i < 5; i++) w.step();
      r.contacts();
      w.free();
    };
    // WASM memory shows up in process.memoryUsage().external. Measured here: 200 Go1 worlds that are not freed
    // add ~29 MB; freed, it stays flat after the allocator's first growth.
    for (let i = 0; i < 100; i++) await cycle();
    const before = process.memoryUsage().external;
    for (let i = 0; i < 200; i++) await cycle();
    const grown = (process.memoryUsage().external - before) / 1e6;
    expect(grown).toBeLessThan(5);
    const w = await createWorld({ dt: DT });
    w.free();
    expect(() => w.step()).toThrow(/after free/);
  });
});
