/**
 * RosHardware against a real WebSocket rosbridge v2 server on 127.0.0.1 (the strict test server).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RosHardware } from '@s2r/bridge/hardware/ros.ts';
import { makeCommand } from '@s2r/bridge/command.ts';
import { RosbridgeTestServer } from './helpers/rosbridge-server.ts';
import { FakeRosRobot } from './helpers/ros-robot.ts';
import { waitFor } from './helpers/wait.ts';

const joints = ['shoulder', 'elbow', 'wrist'];
let server: RosbridgeTestServer | null = null;
let hw: RosHardware | null = null;
let robot: FakeRosRobot | null = null;

afterEach(async () => {
  robot?.stop();
  robot = null;
  await hw?.deactivate();
  await server?.close();
  hw = null;
  server = null;
});

describe('RosHardware over rosbridge v2', () => {
  it('subscribes to JointState + Imu, maps joints by name, and publishes Float64MultiArray in the controller order', async () => {
    server = await RosbridgeTestServer.start();
    hw = new RosHardware({ url: server.url, jointNames: joints, imuTopic: '/imu/data', commandJointOrder: ['wrist', 'shoulder', 'elbow'], startChecks: false });
    await hw.configure();
    await hw.activate();
    await waitFor(() => server!.subscribers('/joint_states') === 1 && server!.subscribers('/imu/data') === 1, 'subscriptions', { timeoutMs: 8000 });
    // The spec'd subscribe op carries the topic type.
    const sub = server.ops.find((o) => o.op === 'subscribe' && o.topic === '/joint_states')!;
    expect(sub.type).toBe('sensor_msgs/JointState');
    expect(hw.read(0, 0.002)).toBeNull(); // nothing received yet

    // The robot publishes in another order, with an extra joint we do not drive.
    server.publish('/joint_states', { name: ['elbow', 'gripper', 'wrist', 'shoulder'], position: [0.2, 9, 0.3, 0.1], velocity: [2, 9, 3, 1], effort: [0, 0, 0, 0] });
    // 90° about x: gravity (world −z) seen in the base frame is −y... rotated: R(q)ᵀ(0,0,−1) = (0, −1, 0).
    const s = Math.SQRT1_2;
    server.publish('/imu/data', { orientation: { x: s, y: 0, z: 0, w: s }, angular_velocity: { x: 0.5, y: 0, z: 0 } });
    await waitFor(() => hw!.stats().state_msgs === 1 && hw!.stats().imu_msgs === 1, 'state', { timeoutMs: 8000 });
    const st = hw.read(0, 0.002)!;
    expect(Array.from(st.jointPos)).toEqual([0.1, 0.2, 0.3]);
    expect(Array.from(st.jointVel)).toEqual([1, 2, 3]);
    expect(st.imu!.angVel).toEqual([0.5, 0, 0]);
    expect(st.imu!.projectedGravity[1]).toBeCloseTo(-1, 9);
    expect(st.imu!.projectedGravity[2]).toBeCloseTo(0, 9);
    expect(hw.read(0, 0.002)).toBeNull(); // fresh only once

    const got: unknown[] = [];
    server.onPublish((m) => got.push(m));
    const c = makeCommand(3);
    c.position.set([1, 2, 3]);
    expect(hw.write(0, 0.002, c)).toBe(true);
    await waitFor(() => got.length === 1, 'command', { timeoutMs: 8000 });
    expect(got[0]).toMatchObject({ topic: '/joint_group_position_controller/commands', msg: { data: [3, 1, 2] } });
    expect(server.graph.get('/joint_group_position_controller/commands')?.type).toBe('std_msgs/Float64MultiArray');
    expect(server.rejected).toEqual([]);
  });

  // Item 1: ROS 1 reads durations as {secs, nsecs} and drops {sec, nanosec} silently (time_from_start 0); ROS 2
  // reads {sec, nanosec}. The version comes from rosapi (get_ros_version on ROS 2, the types' spelling on ROS 1)
  // or from the option when rosapi is not running.
  for (const [version, rosapi, opt] of [[1, true, 'auto'], [2, true, 'auto'], [1, false, 1], [2, false, 2]] as const) {
    it(`JointTrajectory on ROS ${version} (${opt === 'auto' ? 'detected through rosapi' : 'rosVersion option, no rosapi'}): one point reached in one period, time spelled for the version`, async () => {
      server = await RosbridgeTestServer.start({ rosVersion: version, rosapi });
      robot = new FakeRosRobot(server, { joints, initial: [0, 0, 0], commandTopic: '/arm/joint_trajectory', commandType: 'trajectory_msgs/JointTrajectory', rateHz: 100 });
      hw = new RosHardware({ url: server.url, jointNames: joints, commandTopic: '/arm/joint_trajectory', commandType: 'trajectory_msgs/JointTrajectory', rosVersion: opt, startTimeoutMs: 8000 });
      await hw.configure();
      expect(hw.rosVersion).toBe(version);
      await hw.activate();
      const c = makeCommand(3);
      c.position.set([0.1, 0.2, 0.3]);
      expect(hw.write(0, 0.02, c)).toBe(true);
      await waitFor(() => robot!.trajectories.length === 1, 'the trajectory at the robot');
      const got = robot.trajectories[0] as any;
      expect(got.joint_names).toEqual(joints);
      expect(got.points[0].positions).toEqual([0.1, 0.2, 0.3]);
      expect(got.points[0].time_from_start).toEqual(version === 1 ? { secs: 0, nsecs: 20_000_000 } : { sec: 0, nanosec: 20_000_000 });
      const adv = server.ops.find((o) => o.op === 'advertise')!;
      expect(adv.type).toBe(version === 1 ? 'trajectory_msgs/JointTrajectory' : 'trajectory_msgs/msg/JointTrajectory');
      expect(server.rejected).toEqual([]);
    });
  }

  it('counts and drops malformed messages without throwing or corrupting the state', async () => {
    server = await RosbridgeTestServer.start();
    hw = new RosHardware({ url: server.url, jointNames: joints, startChecks: false });
    await hw.configure();
    await hw.activate();
    await waitFor(() => server!.subscribers('/joint_states') === 1, 'the /joint_states subscription');
    server.publish('/joint_states', { name: joints, position: [0.1, 0.2, 0.3], velocity: [0, 0, 0] });
    await waitFor(() => hw!.stats().state_msgs === 1, 'the first state');
    expect(hw.read(0, 0.002)).not.toBeNull();
    const bad = [
      { name: joints, position: [0.1, 'x', 0.3] }, // wrong type
      { name: joints, position: [0.1, 0.2] }, // length mismatch
      { name: ['shoulder', 'elbow'], position: [1, 2] }, // a joint missing
      { position: [1, 2, 3] }, // no names
      { name: joints, position: [1, null, 3] }, // null (NaN arrives as null over JSON)
    ];
    for (const m of bad) server.publish('/joint_states', m);
    server.sendRaw('{this is not json', '/joint_states');
    server.sendRaw(JSON.stringify({ op: 'publish', topic: '/joint_states', msg: 'nope' }));
    server.publish('/joint_states', { name: joints, position: [0.4, 0.5, 0.6], velocity: [0, 0, 0] });
    await waitFor(() => hw!.stats().state_msgs === 2, 'the good message after the garbage', { timeoutMs: 8000 });
    expect(hw.stats().malformed).toBeGreaterThanOrEqual(bad.length + 1);
    const st = hw.read(0, 0.002)!;
    expect(Array.from(st.jointPos)).toEqual([0.4, 0.5, 0.6]);
    expect(hw.stats().connected).toBe(1);
  });

  it('disconnect: read() is null, write() fails without queueing, and it reconnects with backoff and resubscribes', async () => {
    server = await RosbridgeTestServer.start();
    hw = new RosHardware({ url: server.url, jointNames: joints, reconnectInitialMs: 50, reconnectFactor: 2, reconnectMaxMs: 400, startChecks: false });
    await hw.configure();
    await hw.activate();
    await waitFor(() => server!.subscribers('/joint_states') === 1, 'the /joint_states subscription');
    const attempts0 = hw.stats().reconnect_attempts;
    const tDrop = Date.now();
    server.refuse = true;
    server.dropAll();
    await waitFor(() => !hw!.isConnected, 'disconnect', { timeoutMs: 8000 });
    const c = makeCommand(3);
    const published = server.published.length;
    for (let i = 0; i < 10; i++) expect(hw.write(0, 0.002, c)).toBe(false);
    expect(hw.read(0, 0.002)).toBeNull();
    // Backoff 50, 100, 200, 400 ms (capped at 400): the 4th attempt after the drop comes no sooner than 750 ms
    // after it (700 allows for timer rounding), however fast or slow this host is; without backoff (a fixed 50 ms
    // retry) it would come after ~200 ms. A slow host only makes it later, so the other bound is just "it retries".
    await waitFor(() => hw!.stats().reconnect_attempts - attempts0 >= 4, '4 reconnect attempts', { timeoutMs: 5000 });
    expect(Date.now() - tDrop).toBeGreaterThanOrEqual(700);
    server.refuse = false;
    await waitFor(() => hw!.isConnected && server!.subscribers('/joint_states') === 1, 'reconnect + resubscribe', { timeoutMs: 8000 });
    // Nothing written while down is replayed on reconnect: the first message to arrive after it is the next write
    // (a replay would have been sent, and arrived, before it on the same socket).
    c.position.set([0.7, 0.8, 0.9]);
    expect(hw.write(0, 0.002, c)).toBe(true);
    await waitFor(() => server!.published.length > published, 'the command written after the reconnect', { timeoutMs: 8000 });
    expect(server.published.slice(published).map((p) => p.msg)).toEqual([{ layout: expect.anything(), data: [0.7, 0.8, 0.9] }]);
    expect(hw.stats().disconnects).toBe(1);
  });

  it('a frozen server: once the socket has a send backlog nothing more is handed to it (never queued behind it)', async () => {
    server = await RosbridgeTestServer.start();
    // 300 joints: ~6 kB per command, so the kernel's socket buffers fill after a few hundred writes.
    const many = Array.from({ length: 300 }, (_, i) => `j${i}`);
    hw = new RosHardware({ url: server.url, jointNames: many, startChecks: false });
    await hw.configure();
    await hw.activate();
    await waitFor(() => server!.graph.get('/joint_group_position_controller/commands') !== undefined, 'the advertise', { timeoutMs: 8000 });
    server.freeze();
    const c = makeCommand(many.length);
    c.position.fill(0.123456789);
    let ok = 0;
    // One synchronous burst (no event-loop turn: the liveness timer cannot help here, only the backlog check can).
    for (let i = 0; i < 4000; i++) if (hw.write(0, 0.002, c)) ok++;
    const st = hw.stats();
    expect(st.backlog_drops).toBeGreaterThan(0);
    expect(ok).toBe(st.published);
    expect(ok).toBeLessThan(4000);
    server.thaw();
    // Everything that was handed over arrives (it was in the kernel, not in a queue of ours), and nothing else.
    await waitFor(() => server!.published.length >= ok, 'the backlog at the server', { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 100));
    expect(server.published.length).toBe(ok);
  });

  it('configure() fails with a clear error when no rosbridge is listening', async () => {
    server = await RosbridgeTestServer.start();
    const url = server.url;
    await server.close();
    server = null;
    hw = new RosHardware({ url, jointNames: joints, connectTimeoutMs: 300 });
    await expect(hw.configure()).rejects.toThrow(/no rosbridge at ws:\/\/127\.0\.0\.1/);
  });
});
