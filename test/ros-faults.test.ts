/**
 * Faults over ROS, end to end: the control loop in its worker thread, RosHardware to a real rosbridge v2 WebSocket
 * server as strict as the real one, and a fake position-controlled robot node on its graph. Each fault asserts the robot stays safe (no command
 * jumps more than the safety layer's max step, nothing non-finite reaches the robot, damping/hold when it must)
 * and that the loop keeps its rate.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startControlLoop } from '@s2r/bridge/loop/run-loop.ts';
import { RosbridgeTestServer } from './helpers/rosbridge-server.ts';
import { FakeRosRobot } from './helpers/ros-robot.ts';
import { MAX_STEP, afterTicks, RATE, defaultPose, expectRateKept, loopOptions, robotJoints, trackStalls, unsafeCommands } from './helpers/ros-loop.ts';
import { waitFor } from './helpers/wait.ts';

let server: RosbridgeTestServer | null = null;
let robot: FakeRosRobot | null = null;
afterEach(async () => {
  robot?.stop();
  await server?.close();
  robot = null;
  server = null;
});

describe('ROS faults through the full control loop', () => {
  it('link dropped mid-run, garbage and stale state: holds safe, reconnects, resumes smoothly, keeps its rate', async () => {
    server = await RosbridgeTestServer.start();
    robot = new FakeRosRobot(server, { joints: robotJoints, initial: [0, 0, 0], rateHz: 250 });
    const logs: string[] = [];
    // Runs until stopped at the end of the scenario (each step waits on conditions, not on a fixed schedule).
    let counts: Record<string, number> = {};
    const h = startControlLoop(loopOptions(server.url, { durationS: 60, onLog: (m) => logs.push(m), onSafety: (_ev, c) => (counts = { ...c }) }));
    await h.started;
    const stalls = trackStalls(h);
    await waitFor(() => h.live().phase === 'running', 'running');
    await waitFor(() => Math.abs(robot!.target[0]! - 0.5) < 1e-3, 'targets reached');
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
    await waitFor(() => Date.now() - tDown >= 300 && h.live().ticks - ticksBefore >= 0.3 * RATE, 'the loop to tick on while the link is down');
    expect(robot.commandsReceived).toBe(cmdsAtDrop); // nothing gets through while down
    expect(['watchdog', 'soft_start', 'running']).toContain(h.live().phase);
    server.refuse = false;
    await waitFor(() => h.live().phase === 'running' && robot!.commandsReceived > cmdsAtDrop + 100, 'reconnect and resume');
    // Item 6: after the reconnect the robot gets at most one hold (at a pose measured on the new link), then the
    // soft start: never a burst of identical holds.
    const afterDrop = robot.commands.slice(cmdsAtDrop);
    const firstRepeat = afterDrop.findIndex((c, k) => k > 0 && c.every((x, i) => x === afterDrop[k - 1]![i]));
    // The first identical pair may only come once the policy holds a constant target (running), far past the hold.
    expect(firstRepeat === -1 || firstRepeat > 20).toBe(true);
    // Item 4: link events reach the log from the control thread.
    for (const re of [/ros: connected to ws:/, /ros: connection to ws:.* lost/, /ros: reconnected to ws:/]) {
      await waitFor(() => logs.some((l) => re.test(l)), `a log line matching ${re}`);
    }

    // 2) garbage on the state topic: malformed JSON and malformed JointStates
    const before = { ...counts };
    for (let i = 0; i < 20; i++) {
      server.sendRaw('{"op":"publish","topic":"/joint_states","msg":{"name":["j0"],"position":[1e9]}}', '/joint_states');
      server.sendRaw('\u0000\u00ff garbage', '/joint_states');
      server.publish('/joint_states', { name: robotJoints, position: [1, 'NaN', 2] });
    }
    await afterTicks(h, 100, 'the garbage processed');
    // Garbage must not trip anything: no limit, bad-state, non-finite or e-stop intervention, and the loop runs. The
    // watchdog may trip on a loaded host, where the state stream (test process → socket → the control thread's I/O
    // slice) stalls past 50 ms; that trip is right, and is not garbage. (The old premise, "the robot's own ticks had
    // no gap over 40 ms, so the phase must be running", left 10 ms for delivery and failed at load 20.)
    await waitFor(() => h.live().phase === 'running', 'running after the garbage');
    // (A watchdog trip resumes through a soft start and the policy's first max-step clamps: those counts may grow.)
    for (const kind of ['nonfinite', 'bad_state', 'position_limit', 'velocity_limit', 'effort_limit', 'estop']) {
      expect(`${kind}: ${counts[kind] ?? 0}`).toBe(`${kind}: ${before[kind] ?? 0}`);
    }

    // 3) stale state: the robot stops publishing → watchdog → the robot keeps its last setpoint.
    // First let the robot settle: under load step 2 may have tripped the watchdog and re-run the soft start, and a
    // robot still moving toward its target is not "where it was held". (The old check compared the hold, i.e. the
    // last pose s2r had *measured*, with the robot's pose when the test noticed the watchdog, a later pose: on a
    // loaded host the robot was still moving then, 0.068 rad away. The test was wrong, and so was the code, which
    // re-sent that stale measured pose every tick.)
    await waitFor(() => h.live().phase === 'running' && robot!.target.every((x, i) => Math.abs(x - robot!.pos[i]!) < 1e-3), 'the robot settled at its target');
    robot.publishing = false;
    await waitFor(() => h.live().phase === 'watchdog', 'watchdog');
    const targetAtTrip = [...robot.target];
    const n3 = robot.commands.length;
    await afterTicks(h, 50, 'stale state');
    // No new motion once the state is stale: whatever arrived after the trip (commands in flight, or one hold at the
    // last measured pose) stays within one max step of the setpoint the robot had, and nothing is repeated.
    for (const c of robot.commands.slice(n3)) c.forEach((x, i) => expect(Math.abs(x - targetAtTrip[i]!)).toBeLessThanOrEqual(MAX_STEP + 1e-9));
    robot.target.forEach((x, i) => expect(Math.abs(x - targetAtTrip[i]!)).toBeLessThanOrEqual(MAX_STEP + 1e-9));
    // A state topic silent for 1 s mid-run is named in the log.
    await waitFor(() => logs.some((l) => /ros: warning: state topic \/joint_states silent for 1\.\d s/.test(l)), 'the silence warning');
    robot.publishing = true;
    await waitFor(() => h.live().phase === 'running', 'resume after stale state');
    await afterTicks(h, 100, 'running after the stale state');
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
    // This test is about NaN and the e-stop, not the watchdog: a 1 s watchdog, so a loaded host that stalls the test
    // process (which publishes the state) does not trip it. A trip resumes through a soft start to the default pose,
    // which moves the target (0.04 rad seen at load 20) and is not what is checked here.
    const safety = { softStartS: 0.2, softStopS: 0.1, maxStep: MAX_STEP, watchdogPeriods: RATE };
    const h = startControlLoop(loopOptions(server.url, { durationS: 60, safety, onSafety: (_ev, counts) => (nonfinite = counts.nonfinite ?? 0) }, { nanFrom: 10 }));
    await h.started;
    const stalls = trackStalls(h);
    await waitFor(() => h.live().phase === 'running', 'running');
    // 10 good policy steps (0.2 s at 50 Hz), then NaN: wait for the safety layer to report it (however long this
    // host takes to run those steps), then for commands already sent to land.
    await waitFor(() => nonfinite > 0, 'the first non-finite action');
    await afterTicks(h, 50, 'commands in flight landing');
    const target = [...robot.target];
    await afterTicks(h, 100, 'the non-finite hold');
    // NaN actions → the last safe command is held.
    robot.target.forEach((x, i) => expect(x).toBeCloseTo(target[i]!, 9));

    h.estop('api');
    await waitFor(() => h.live().phase === 'estop', 'estop');
    const n0 = robot.commands.length;
    await afterTicks(h, 150, 'the e-stop latched');
    expect(h.live().phase).toBe('estop'); // latched
    // In e-stop a position interface gets "hold the measured pose".
    robot.commands.slice(n0).forEach((c) => c.forEach((x, i) => expect(Math.abs(x - robot!.pos[i]!)).toBeLessThan(0.05)));
    h.reset();
    await waitFor(() => ['soft_start', 'running'].includes(h.live().phase), 'reset');
    await afterTicks(h, 150, 'running again after the reset');
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

describe('ROS link through the control loop: a frozen server (issue 17 item 5), the e-stop topic (item 8)', () => {
  it('a frozen rosbridge (socket open, nothing read): s2r stops publishing and damps; on thaw no stale backlog bursts out', async () => {
    server = await RosbridgeTestServer.start();
    robot = new FakeRosRobot(server, { joints: robotJoints, initial: [0, 0, 0], rateHz: 250 });
    const logs: string[] = [];
    const h = startControlLoop(loopOptions(server.url, { durationS: 60, onLog: (m) => logs.push(m) }));
    await h.started;
    await waitFor(() => h.live().phase === 'running' && Math.abs(robot!.target[0]! - 0.5) < 1e-3, 'running at the target');
    const c0 = robot.commands.length;
    server.freeze();
    await waitFor(() => logs.some((l) => /ros: link to ws:.* frozen \(no pong/.test(l)), 'the freeze detected');
    await waitFor(() => h.live().phase === 'watchdog', 'damping'); // no fresh state through a frozen server
    // The link stays frozen a while (a stopped process): 1 s at 500 Hz would be 500 setpoints in the socket.
    await afterTicks(h, 350, 'the frozen link');
    expect(robot.commands.length).toBe(c0); // a frozen server delivers nothing
    server.thaw();
    await waitFor(() => robot!.commands.length > c0, 'the backlog');
    const burstAt = robot.commandAt[c0]!;
    await waitFor(() => h.live().phase === 'running' && robot!.commands.length > c0 + 100, 'resume after the thaw');
    await waitFor(() => logs.some((l) => /ros: link to ws:.* alive again/.test(l)), 'the thaw log line');
    // What was in the socket when the server froze arrives in one burst: only the setpoints written before the
    // watchdog tripped (25 periods; 25 seen at load 2, 33 at load 18: states already in flight when it froze), none
    // of the ~500 the loop computed during the freeze, and no stale holds.
    const burst = robot.commandAt.slice(c0).filter((t) => t - burstAt < 3).length;
    expect(burst).toBeLessThanOrEqual(50);
    h.stop();
    const res = await h.done;
    expect(res.hardware.freezes).toBeGreaterThanOrEqual(1);
    expect(res.interventions.watchdog).toBeGreaterThan(0);
    expect(robot.commands.every((c) => c.every(Number.isFinite))).toBe(true);
    expect(unsafeCommands(robot)).toEqual([]);
  });

  it('--ros-estop-topic: true latches the e-stop (one hold), false does not clear it, the reset topic does', async () => {
    server = await RosbridgeTestServer.start();
    robot = new FakeRosRobot(server, { joints: robotJoints, initial: [0, 0, 0], rateHz: 250 });
    const op = server.node('operator');
    op.advertise('/estop', 'std_msgs/Bool');
    op.advertise('/estop_reset', 'std_msgs/Empty');
    const logs: string[] = [];
    const o = loopOptions(server.url, { durationS: 60, onLog: (m) => logs.push(m) });
    if (o.hardware.kind === 'ros') o.hardware.options.estopTopic = '/estop';
    const h = startControlLoop(o);
    await h.started;
    await waitFor(() => h.live().phase === 'running', 'running');
    op.publish('/estop', { data: true });
    await waitFor(() => h.live().phase === 'estop', 'the e-stop from the topic');
    // Logs come from the control thread by message: they may trail the phase (shared memory) by a moment.
    await waitFor(() => logs.some((l) => /ros: e-stop latched by \/estop/.test(l)), 'the e-stop log line');
    await waitFor(() => robot!.commands.length > 0 && robot!.target.every((x, i) => Math.abs(x - robot!.pos[i]!) < 0.05), 'the hold at the robot');
    const n = robot.commands.length;
    op.publish('/estop', { data: false });
    await afterTicks(h, 150, 'the e-stop still latched');
    expect(h.live().phase).toBe('estop'); // still latched
    expect(robot.commands.length - n).toBeLessThanOrEqual(1); // one hold, not a stream of them
    op.publish('/estop_reset', {});
    await waitFor(() => ['soft_start', 'running'].includes(h.live().phase), 'the reset from the topic');
    await waitFor(() => h.live().phase === 'running', 'running again');
    // Latched again at the end: the summary names the topic as the reason.
    op.publish('/estop', { data: true });
    await waitFor(() => h.live().phase === 'estop', 'the second e-stop');
    h.stop();
    const res = await h.done;
    expect(res.estopReason).toBe('ros e-stop topic');
    expect(res.hardware.estops).toBe(2);
    expect(res.hardware.resets).toBe(1);
    expect(unsafeCommands(robot)).toEqual([]);
  });
});
