/**
 * Issue 15: external inputs over ROS. A policy that observes a tracked object's pose and a goal (z1-push's
 * blockPose and goal) gets them from geometry_msgs/PoseStamped topics (--ros-object-topic, --ros-goal-topic) on a
 * rosbridge v2 server as strict as the real one; a tracker that stops makes the state stale (the safety layer damps,
 * as for stale joints) and the run resumes when it comes back. Without a source the deploy refuses, naming the input.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startControlLoop } from '@s2r/bridge/loop/run-loop.ts';
import { F } from '@s2r/bridge/loop/tick-ring.ts';
import { PHASES } from '@s2r/bridge/loop/shared.ts';
import { RosbridgeTestServer } from './helpers/rosbridge-server.ts';
import { FakeRosRobot } from './helpers/ros-robot.ts';
import { POLICIES, afterTicks, defaultPose, loopJoints, loopOptions, robotJoints } from './helpers/ros-loop.ts';
import { waitFor } from './helpers/wait.ts';

let server: RosbridgeTestServer | null = null;
let robot: FakeRosRobot | null = null;
let tracker: NodeJS.Timeout | null = null;
afterEach(async () => {
  if (tracker) clearInterval(tracker);
  robot?.stop();
  await server?.close();
  robot = null;
  server = null;
  tracker = null;
});

const echo = { module: POLICIES, export: 'inputEchoPolicy', options: { joints: loopJoints, defaultPose } };
const INPUTS = [{ name: 'blockPose', topic: '/block_pose', size: 7 }, { name: 'goal', topic: '/goal', size: 2 }];

describe('external inputs over ROS (geometry_msgs/PoseStamped)', () => {
  it('feeds the object pose and goal to the policy; a silent tracker trips the watchdog, its return resumes', async () => {
    server = await RosbridgeTestServer.start();
    robot = new FakeRosRobot(server, { joints: robotJoints, initial: defaultPose.map((_, i) => defaultPose[(i + 2) % 3]!), rateHz: 250 });
    const node = server.node('tracker');
    node.advertise('/block_pose', 'geometry_msgs/PoseStamped');
    node.advertise('/goal', 'geometry_msgs/PoseStamped');
    let publishing = true;
    const block = { x: 0.48, y: -0.12, z: 0.025 };
    const stamp = server.rosVersion === 1 ? { secs: 0, nsecs: 0 } : { sec: 0, nanosec: 0 };
    tracker = setInterval(() => {
      if (!publishing) return;
      node.publish('/block_pose', { header: { stamp, frame_id: 'base' }, pose: { position: block, orientation: { x: 0, y: 0, z: 0.1, w: 0.995 } } });
      node.publish('/goal', { header: { stamp, frame_id: 'base' }, pose: { position: { x: 0.6, y: 0.2, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } } });
    }, 10);
    const opts = loopOptions(server.url, { durationS: 60, inputTimeoutS: 0.1 });
    if (opts.hardware.kind !== 'ros') throw new Error('expected ROS hardware');
    opts.hardware.options.inputTopics = INPUTS;
    const h = startControlLoop({ ...opts, policy: echo });
    await h.started;
    await waitFor(() => h.live().phase === 'running', 'running');
    // Actions: j0 ← block x, j1 ← block y, j2 ← goal x; target = default + 0.25 · action (robot order j2, j0, j1).
    const want = [defaultPose[2]! + 0.25 * 0.6, defaultPose[0]! + 0.25 * 0.48, defaultPose[1]! + 0.25 * -0.12];
    await waitFor(() => want.every((w, i) => Math.abs(robot!.target[i]! - w) < 1e-3), 'targets from the tracked pose and goal');

    // The tracker stops: its pose ages past 0.1 s and the state counts as stale → watchdog (damping).
    publishing = false;
    await waitFor(() => h.live().phase === 'watchdog', 'the watchdog on a stale object pose');
    await afterTicks(h, 50, 'watchdog held');
    expect(h.live().phase).toBe('watchdog');
    // It comes back, elsewhere: the loop resumes and follows the new pose.
    block.x = 0.4;
    publishing = true;
    const want2 = [want[0]!, defaultPose[0]! + 0.25 * 0.4, want[2]!];
    await waitFor(() => h.live().phase === 'running' && want2.every((w, i) => Math.abs(robot!.target[i]! - w) < 1e-3), 'resumed on the new pose', { timeoutMs: 15_000 });
    h.stop();
    const res = await h.done;
    expect(res.controller.stale_input_ticks as number).toBeGreaterThan(50);
    expect(res.controller.inputs).toEqual(['blockPose', 'goal']);
    expect(res.hardware.input_msgs).toBeGreaterThan(0);
    expect(res.interventions.watchdog).toBeGreaterThan(0);
  });

  it('waits for each input topic at the start and fails naming the silent one', async () => {
    server = await RosbridgeTestServer.start();
    robot = new FakeRosRobot(server, { joints: robotJoints, initial: [0, 0, 0], rateHz: 250 });
    const opts = loopOptions(server.url, { durationS: 60 });
    if (opts.hardware.kind !== 'ros') throw new Error('expected ROS hardware');
    opts.hardware.options.inputTopics = INPUTS;
    opts.hardware.options.startTimeoutMs = 1000;
    const h = startControlLoop({ ...opts, policy: echo });
    await expect(h.done).rejects.toThrow(/no geometry_msgs\/PoseStamped within 1\.0 s on \/block_pose \(input blockPose\), \/goal \(input goal\)/);
  });

  it('refuses hardware that does not provide an input, naming it and its sources', async () => {
    const h = startControlLoop({
      hardware: { kind: 'mock', jointNames: loopJoints, initialPos: defaultPose }, policy: echo, robotName: 'arm',
      robotLimits: { names: loopJoints, lower: [-2, -2, -2], upper: [2, 2, 2], velocity: [20, 20, 20], effort: [100, 100, 100] }, rateHz: 500, policyRateHz: 50,
    });
    await expect(h.done).rejects.toThrow(/observes inputs hardware "mock" does not provide: blockPose \[7\] \(m, quaternion xyzw; block pose\); goal \[2\].*--ros-object-topic/);
  });
});

describe('external inputs from a hardware module', () => {
  it('takes them from RobotState.inputs; when they stop, the watchdog damps', { timeout: 60_000 }, async () => {
    const HW = new URL('../packages/bridge/test/helpers/input-hardware.ts', import.meta.url).pathname;
    const h = startControlLoop({
      hardware: { kind: 'module', module: HW, export: 'trackedMock', needsEventLoop: false, options: { jointNames: loopJoints, initialPos: defaultPose, block: [0.3, -0.2, 0.02, 0, 0, 0, 1], goal: [0.5, 0.1], trackerStopsAfterS: 1.5 } },
      policy: echo, robotName: 'arm', rateHz: 500, policyRateHz: 50, durationS: 60, inputTimeoutS: 0.1,
      robotLimits: { names: loopJoints, lower: [-2, -2, -2], upper: [2, 2, 2], velocity: [20, 20, 20], effort: [100, 100, 100] },
      safety: { softStartS: 0.2, softStopS: 0.1, watchdogPeriods: 25 },
    });
    await h.started;
    // The commanded targets reach default + 0.25 · (block x, block y, goal x): the module's inputs reached observe().
    const want = [defaultPose[0]! + 0.25 * 0.3, defaultPose[1]! + 0.25 * -0.2, defaultPose[2]! + 0.25 * 0.5];
    let reached = false;
    const RUNNING = PHASES.indexOf('running');
    await waitFor(() => {
      h.drain((r) => {
        if (r.f[F.phase] === RUNNING && want.every((w, i) => Math.abs(r.cmdPos[i]! - w) < 1e-6)) reached = true;
      });
      return reached;
    }, 'targets from the module\'s block pose and goal', { timeoutMs: 20_000 });
    // The tracker stops 1.5 s into the run: its inputs age past 0.1 s and the loop goes to the watchdog.
    await waitFor(() => h.live().phase === 'watchdog', 'the watchdog once the tracker stopped', { timeoutMs: 20_000 });
    h.stop();
    const res = await h.done;
    expect(res.controller.inputs).toEqual(['blockPose', 'goal']);
    expect(res.controller.policy_steps as number).toBeGreaterThan(0);
    expect(res.controller.stale_input_ticks as number).toBeGreaterThan(25);
    expect(res.interventions.watchdog).toBeGreaterThan(0);
  });
});
