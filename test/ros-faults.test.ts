/**
 * Faults over ROS, end to end: the control loop in its worker thread, RosHardware (roslib) to a real rosbridge v2
 * WebSocket server, and a fake position-controlled robot node. Each fault asserts the robot stays safe (no command
 * jumps more than the safety layer's max step, nothing non-finite reaches the robot, damping/hold when it must)
 * and that the loop keeps its rate.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startControlLoop, type StartLoopOptions } from '@s2r/bridge/loop/run-loop.ts';
import { RosbridgeTestServer } from './helpers/rosbridge-server.ts';
import { FakeRosRobot } from './helpers/ros-robot.ts';

const POLICIES = fileURLToPath(new URL('../packages/bridge/test/helpers/policies.ts', import.meta.url));
const loopJoints = ['j0', 'j1', 'j2'];
const robotJoints = ['j2', 'j0', 'j1']; // the robot's own order: everything is mapped by name
const defaultPose = [0.2, -0.3, 0.4]; // loop order
const MAX_STEP = 0.02; // rad per tick
const RATE = 500;
const limits = { names: loopJoints, lower: [-2, -2, -2], upper: [2, 2, 2], velocity: [20, 20, 20], effort: [100, 100, 100] };

let server: RosbridgeTestServer | null = null;
let robot: FakeRosRobot | null = null;
afterEach(async () => {
  robot?.stop();
  await server?.close();
  robot = null;
  server = null;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function loopOptions(url: string, extra: Partial<StartLoopOptions> = {}, policy: Record<string, unknown> = {}): StartLoopOptions {
  return {
    hardware: { kind: 'ros', options: { url, jointNames: loopJoints, commandJointOrder: robotJoints, reconnectInitialMs: 50, reconnectMaxMs: 200 } },
    policy: { module: POLICIES, export: 'constantPolicy', options: { joints: loopJoints, defaultPose, action: 0.4, ...policy } },
    robotName: 'ros-arm',
    robotLimits: limits,
    rateHz: RATE,
    policyRateHz: 50,
    safety: { softStartS: 0.2, softStopS: 0.1, maxStep: MAX_STEP, watchdogPeriods: 25 },
    ...extra,
  };
}

/** Largest per-joint change between consecutive commands the robot received. */
function maxJump(cmds: number[][]): number {
  let m = 0;
  for (let k = 1; k < cmds.length; k++) for (let i = 0; i < cmds[k]!.length; i++) m = Math.max(m, Math.abs(cmds[k]![i]! - cmds[k - 1]![i]!));
  return m;
}

function expectRateKept(res: { ticks: number; skipped: number; durationS: number; lateness: { p50_us: number } }) {
  // Absolute deadlines: ticks ≈ duration × rate, minus skipped cycles. Timing on this shared 2-core machine is
  // noisy, so the bound is loose; a loop that blocked on the link would lose hundreds of ticks.
  const expected = res.durationS * RATE;
  expect(res.ticks + res.skipped).toBeGreaterThan(expected * 0.97);
  expect(res.skipped).toBeLessThan(expected * 0.05);
  expect(res.lateness.p50_us).toBeLessThan(500);
}

describe('ROS faults through the full control loop', () => {
  it('link dropped mid-run, garbage and stale state: holds safe, reconnects, resumes smoothly, keeps its rate', async () => {
    server = await RosbridgeTestServer.start();
    robot = new FakeRosRobot(server, { joints: robotJoints, initial: [0, 0, 0], rateHz: 250 });
    const logs: string[] = [];
    const h = startControlLoop(loopOptions(server.url, { durationS: 3, onLog: (m) => logs.push(m) }));
    await h.started;
    await sleep(800);
    expect(h.live().phase).toBe('running');
    // Robot reached default + 0.25 × 0.4 (mapped to its own order: j2, j0, j1).
    expect(robot.target[0]).toBeCloseTo(0.5, 3);
    expect(robot.target[1]).toBeCloseTo(0.3, 3);

    // 1) link dropped for 300 ms
    const ticksBefore = h.live().ticks;
    server.refuse = true;
    server.dropAll();
    const cmdsAtDrop = robot.commandsReceived;
    await sleep(300);
    expect(robot.commandsReceived).toBe(cmdsAtDrop); // nothing gets through while down
    expect(h.live().ticks - ticksBefore).toBeGreaterThan(0.3 * RATE * 0.9); // the loop kept ticking
    expect(['watchdog', 'soft_start', 'running']).toContain(h.live().phase);
    server.refuse = false;
    await sleep(600);
    expect(h.live().phase).toBe('running');
    expect(robot.commandsReceived).toBeGreaterThan(cmdsAtDrop + 100);

    // 2) garbage on the state topic: malformed JSON and malformed JointStates
    for (let i = 0; i < 20; i++) {
      server.sendRaw('{"op":"publish","topic":"/joint_states","msg":{"name":["j0"],"position":[1e9]}}', '/joint_states');
      server.sendRaw('\u0000\u00ff garbage', '/joint_states');
      server.publish('/joint_states', { name: robotJoints, position: [1, 'NaN', 2] });
    }
    await sleep(200);
    expect(h.live().phase).toBe('running');

    // 3) stale state: the robot stops publishing → watchdog → hold the measured pose
    robot.publishing = false;
    await sleep(250);
    expect(h.live().phase).toBe('watchdog');
    const heldAt = [...robot.pos];
    await sleep(100);
    robot.commands.slice(-5).forEach((c) => c.forEach((x, i) => expect(Math.abs(x - heldAt[i]!)).toBeLessThan(0.02)));
    robot.publishing = true;

    const res = await h.done;
    const hwStats = res.hardware;
    expect(hwStats.disconnects).toBeGreaterThanOrEqual(1);
    expect(hwStats.connects).toBeGreaterThanOrEqual(2);
    expect(hwStats.malformed).toBeGreaterThanOrEqual(20);
    expect(res.interventions.watchdog).toBeGreaterThan(0);
    // Safe throughout: every command the robot got is finite, and none jumps more than the max step.
    expect(robot.commands.every((c) => c.every(Number.isFinite))).toBe(true);
    expect(maxJump(robot.commands)).toBeLessThanOrEqual(MAX_STEP + 1e-9);
    expectRateKept(res);
  });

  it('policy emitting NaN and the e-stop: the robot only ever sees finite, held commands; only reset() clears the latch', async () => {
    server = await RosbridgeTestServer.start();
    robot = new FakeRosRobot(server, { joints: robotJoints, initial: [0.2, 0.2, -0.3], rateHz: 250 });
    const h = startControlLoop(loopOptions(server.url, { durationS: 2.2 }, { nanFrom: 10 }));
    await h.started;
    await sleep(700); // soft start 0.2 s, then 10 good policy steps (0.2 s), then NaN
    expect(h.live().phase).toBe('running');
    const target = [...robot.target];
    await sleep(200);
    // NaN actions → the last safe command is held.
    robot.target.forEach((x, i) => expect(x).toBeCloseTo(target[i]!, 9));

    h.estop('api');
    await sleep(100);
    expect(h.live().phase).toBe('estop');
    const n0 = robot.commands.length;
    await sleep(300);
    expect(h.live().phase).toBe('estop'); // latched
    // In e-stop a position interface gets "hold the measured pose".
    robot.commands.slice(n0).forEach((c) => c.forEach((x, i) => expect(Math.abs(x - robot!.pos[i]!)).toBeLessThan(0.05)));
    h.reset();
    await sleep(100);
    expect(['soft_start', 'running']).toContain(h.live().phase);
    const res = await h.done;
    expect(res.interventions.nonfinite).toBeGreaterThan(10);
    expect(res.interventions.estop).toBeGreaterThan(50);
    expect(res.estopReason).toBe('');
    expect(robot.commands.every((c) => c.every(Number.isFinite))).toBe(true);
    expect(maxJump(robot.commands)).toBeLessThanOrEqual(MAX_STEP + 1e-9);
    expectRateKept(res);
  });
});
