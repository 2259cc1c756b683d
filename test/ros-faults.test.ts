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
import { F } from '@s2r/bridge/loop/tick-ring.ts';
import { PHASES } from '@s2r/bridge/loop/shared.ts';

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
/** Wait for a condition (the machine is shared and slow at times: no fixed sleeps for state changes). */
async function until(cond: () => boolean, what: string, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

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

/**
 * Safe command stream: every command either moves each joint by at most the max step from the previous command, or
 * is a "hold where you are" (within `holdTol` of where the robot was when it arrived: damping on a position
 * interface, or the first point of a soft start). Returns the offending command indexes.
 */
function unsafeCommands(r: FakeRosRobot, holdTol = 0.1): number[] {
  const bad: number[] = [];
  const c = r.commands;
  for (let k = 0; k < c.length; k++) {
    const smooth = k > 0 && c[k]!.every((x, i) => Math.abs(x - c[k - 1]![i]!) <= MAX_STEP + 1e-9);
    const hold = c[k]!.every((x, i) => Math.abs(x - r.posAtCommand[k]![i]!) <= holdTol);
    if (!smooth && !hold) bad.push(k);
  }
  return bad;
}

/**
 * Longest stall in the tick stream once the policy first took control: the most cycles skipped at once. (The first
 * second of a process on this loaded machine sees JIT/GC start-up stalls that have nothing to do with the link.)
 */
function trackStalls(h: { drain(fn: (r: { f: Float64Array }) => void): number }): { stop(): number } {
  let worst = 0;
  let armed = false;
  const RUNNING = PHASES.indexOf('running');
  const take = () =>
    h.drain((r) => {
      if (r.f[F.phase] === RUNNING) armed = true;
      if (armed) worst = Math.max(worst, r.f[F.missed]!);
    });
  const timer = setInterval(take, 20);
  return {
    stop() {
      clearInterval(timer);
      take();
      return worst;
    },
  };
}

function expectRateKept(res: { ticks: number; skipped: number; durationS: number; lateness: { p50_us: number } }, worstStall: number) {
  // Absolute deadlines: ticks + skipped cycles ≈ duration × rate. The link faults last 100–300 ms: a loop that waited
  // on the link would skip up to 150 cycles in one go (the 300 ms outage). On this shared 2-core machine other jobs
  // stall the process for up to ~60 ms at times, so the bounds are: no stall longer than 75 cycles (150 ms), and at
  // most 15% of cycles skipped overall.
  const expected = res.durationS * RATE;
  expect(res.ticks + res.skipped).toBeGreaterThan(expected * 0.97);
  expect(worstStall).toBeLessThanOrEqual(75);
  expect(res.skipped).toBeLessThan(expected * 0.15);
  expect(res.lateness.p50_us).toBeLessThan(500);
}

describe('ROS faults through the full control loop', () => {
  it('link dropped mid-run, garbage and stale state: holds safe, reconnects, resumes smoothly, keeps its rate', async () => {
    server = await RosbridgeTestServer.start();
    robot = new FakeRosRobot(server, { joints: robotJoints, initial: [0, 0, 0], rateHz: 250 });
    const logs: string[] = [];
    // Runs until stopped at the end of the scenario (each step waits on conditions, not on a fixed schedule).
    const h = startControlLoop(loopOptions(server.url, { durationS: 60, onLog: (m) => logs.push(m) }));
    await h.started;
    const stalls = trackStalls(h);
    await until(() => h.live().phase === 'running', 'running');
    await until(() => Math.abs(robot!.target[0]! - 0.5) < 1e-3, 'targets reached');
    // Robot reached default + 0.25 × 0.4 (mapped to its own order: j2, j0, j1).
    expect(robot.target[0]).toBeCloseTo(0.5, 3);
    expect(robot.target[1]).toBeCloseTo(0.3, 3);

    // 1) link dropped for 300 ms
    const ticksBefore = h.live().ticks;
    server.refuse = true;
    server.dropAll();
    const cmdsAtDrop = robot.commandsReceived;
    // The loop keeps ticking while the link is down, not blocked on it: the link stays down for at least 300 ms and
    // until the loop has ticked 300 ms worth (150 ticks) since the drop. (A condition, not "≥ N ticks in 300 ms":
    // on a loaded host the loop thread skips cycles it was descheduled through.) A loop blocked on the link would
    // never get there.
    const tDown = Date.now();
    await until(() => Date.now() - tDown >= 300 && h.live().ticks - ticksBefore >= 0.3 * RATE, 'the loop to tick on while the link is down');
    expect(robot.commandsReceived).toBe(cmdsAtDrop); // nothing gets through while down
    expect(['watchdog', 'soft_start', 'running']).toContain(h.live().phase);
    server.refuse = false;
    await until(() => h.live().phase === 'running' && robot!.commandsReceived > cmdsAtDrop + 100, 'reconnect and resume');

    // 2) garbage on the state topic: malformed JSON and malformed JointStates
    robot.resetGap();
    for (let i = 0; i < 20; i++) {
      server.sendRaw('{"op":"publish","topic":"/joint_states","msg":{"name":["j0"],"position":[1e9]}}', '/joint_states');
      server.sendRaw('\u0000\u00ff garbage', '/joint_states');
      server.publish('/joint_states', { name: robotJoints, position: [1, 'NaN', 2] });
    }
    await sleep(200);
    // Garbage must not trip anything: the good states keep the loop running. Only if this test process (which runs
    // the fake robot) was itself descheduled for longer than the watchdog time (25 periods = 50 ms) did the state
    // really go stale; then the watchdog trip is right, and the loop must come back to running.
    if (robot.maxGapMs < 40) expect(h.live().phase).toBe('running');
    else await until(() => h.live().phase === 'running', `running again after a ${robot.maxGapMs.toFixed(0)} ms stall of the test process`);

    // 3) stale state: the robot stops publishing → watchdog → hold the measured pose
    robot.publishing = false;
    await until(() => h.live().phase === 'watchdog', 'watchdog');
    const heldAt = [...robot.pos];
    await sleep(100);
    robot.commands.slice(-5).forEach((c) => c.forEach((x, i) => expect(Math.abs(x - heldAt[i]!)).toBeLessThan(0.02)));
    robot.publishing = true;
    await until(() => h.live().phase === 'running', 'resume after stale state');
    await sleep(200);
    h.stop();

    const res = await h.done;
    const hwStats = res.hardware;
    expect(hwStats.disconnects).toBeGreaterThanOrEqual(1);
    expect(hwStats.connects).toBeGreaterThanOrEqual(2);
    expect(hwStats.malformed).toBeGreaterThanOrEqual(20);
    expect(res.interventions.watchdog).toBeGreaterThan(0);
    // Safe throughout: every command the robot got is finite, and each is a max-step move or a hold in place.
    expect(robot.commands.every((c) => c.every(Number.isFinite))).toBe(true);
    expect(unsafeCommands(robot)).toEqual([]);
    expectRateKept(res, stalls.stop());
  });

  it('policy emitting NaN and the e-stop: the robot only ever sees finite, held commands; only reset() clears the latch', async () => {
    server = await RosbridgeTestServer.start();
    robot = new FakeRosRobot(server, { joints: robotJoints, initial: [0.2, 0.2, -0.3], rateHz: 250 });
    let nonfinite = 0;
    const h = startControlLoop(loopOptions(server.url, { durationS: 60, onSafety: (_ev, counts) => (nonfinite = counts.nonfinite ?? 0) }, { nanFrom: 10 }));
    await h.started;
    const stalls = trackStalls(h);
    await until(() => h.live().phase === 'running', 'running');
    // 10 good policy steps (0.2 s at 50 Hz), then NaN: wait for the safety layer to report it (however long this
    // host takes to run those steps), then for commands already sent to land.
    await until(() => nonfinite > 0, 'the first non-finite action');
    await sleep(100);
    const target = [...robot.target];
    await sleep(200);
    // NaN actions → the last safe command is held.
    robot.target.forEach((x, i) => expect(x).toBeCloseTo(target[i]!, 9));

    h.estop('api');
    await until(() => h.live().phase === 'estop', 'estop');
    const n0 = robot.commands.length;
    await sleep(300);
    expect(h.live().phase).toBe('estop'); // latched
    // In e-stop a position interface gets "hold the measured pose".
    robot.commands.slice(n0).forEach((c) => c.forEach((x, i) => expect(Math.abs(x - robot!.pos[i]!)).toBeLessThan(0.05)));
    h.reset();
    await until(() => ['soft_start', 'running'].includes(h.live().phase), 'reset');
    await sleep(300);
    h.stop();
    const res = await h.done;
    expect(res.interventions.nonfinite).toBeGreaterThan(0);
    expect(res.interventions.estop).toBeGreaterThan(0);
    expect(res.estopReason).toBe('');
    expect(robot.commands.every((c) => c.every(Number.isFinite))).toBe(true);
    expect(unsafeCommands(robot)).toEqual([]);
    expectRateKept(res, stalls.stop());
  });
});
