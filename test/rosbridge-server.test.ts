/**
 * The test rosbridge is as strict as the real one (REFERENCE.md, "The real rosbridge"): silent rejections, typed
 * messages, ROS 1/ROS 2 spellings, rosapi, throttling, freeze, replay. A raw `ws` client speaks to it here, so what
 * is checked is the server, not s2r's client.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RosbridgeTestServer } from './helpers/rosbridge-server.ts';
import { waitFor } from './helpers/wait.ts';

let server: RosbridgeTestServer | null = null;
let ws: WebSocket | null = null;
afterEach(async () => {
  ws?.terminate();
  ws = null;
  await server?.close();
  server = null;
});

/** A raw client that records every frame it gets. */
async function connect(url: string): Promise<{ ws: WebSocket; frames: Record<string, any>[]; send(m: unknown): void; sync(): Promise<void> }> {
  const w = new WebSocket(url);
  ws = w;
  const frames: Record<string, any>[] = [];
  w.on('message', (d) => frames.push(JSON.parse(String(d))));
  await new Promise((r) => w.once('open', r));
  let n = 0;
  return {
    ws: w,
    frames,
    send: (m) => w.send(JSON.stringify(m)),
    // Frames are handled in order: once the answer to this call arrives, everything sent before was handled.
    async sync() {
      const id = `sync${++n}`;
      w.send(JSON.stringify({ op: 'call_service', id, service: '/rosapi/topics', args: {} }));
      await waitFor(() => frames.some((f) => f.id === id), `the answer to ${id}`);
    },
  };
}

describe('test rosbridge: as strict as the real one', () => {
  it('ROS 1: rejects pkg/msg/Type, type conflicts (with nodes and stale registrations) and unknown fields, all silently', async () => {
    server = await RosbridgeTestServer.start({ rosVersion: 1 });
    const node = server.node('controller');
    const got: unknown[] = [];
    node.subscribe('/cmd', 'std_msgs/Float64MultiArray', (m) => got.push(m));
    server.registerStale('/old', 'sensor_msgs/Imu');
    const c = await connect(server.url);
    c.send({ op: 'advertise', topic: '/a', type: 'std_msgs/msg/Float64MultiArray' }); // ROS 2 spelling
    c.send({ op: 'advertise', topic: '/cmd', type: 'trajectory_msgs/JointTrajectory' }); // conflicts with the node
    c.send({ op: 'subscribe', topic: '/old', type: 'sensor_msgs/JointState' }); // conflicts with a stale registration
    c.send({ op: 'bogus_op', topic: '/x' });
    c.ws.send('not json');
    c.send({ op: 'advertise', topic: '/cmd', type: 'std_msgs/Float64MultiArray' });
    c.send({ op: 'publish', topic: '/cmd', msg: { data: [1, 2], extra: 1 } }); // unknown field
    c.send({ op: 'publish', topic: '/cmd', msg: { data: [1, null] } }); // NaN arrives as null: not a float64
    c.send({ op: 'publish', topic: '/cmd', msg: { data: [1, 2] } });
    await c.sync();
    await waitFor(() => got.length === 1, 'the good message');
    expect(got).toEqual([{ layout: { dim: [], data_offset: 0 }, data: [1, 2] }]); // defaults filled in
    expect(c.frames.filter((f) => f.op === 'status')).toEqual([]);
    expect(server.rejected.map((r) => r.reason)).toEqual([
      expect.stringMatching(/std_msgs\/msg\/Float64MultiArray is not a valid type string on ROS 1/),
      expect.stringMatching(/TypeConflictException: \/cmd already has type std_msgs\/Float64MultiArray/),
      expect.stringMatching(/TypeConflictException: \/old already has type sensor_msgs\/Imu/),
      expect.stringMatching(/Unknown or unsupported op: bogus_op/),
      expect.stringMatching(/Unable to load JSON/),
      expect.stringMatching(/extra: no such field/),
      expect.stringMatching(/data\[1\]: expected float64, got null/),
    ]);
  });

  it('time fields: ROS 1 keeps secs/nsecs only ({sec, nanosec} arrives as 0); ROS 2 reads both spellings', async () => {
    for (const version of [1, 2] as const) {
      server = await RosbridgeTestServer.start({ rosVersion: version });
      const got: any[] = [];
      server.node('arm').subscribe('/traj', 'trajectory_msgs/JointTrajectory', (m) => got.push(m));
      const c = await connect(server.url);
      c.send({ op: 'advertise', topic: '/traj', type: 'trajectory_msgs/JointTrajectory' });
      for (const t of [{ sec: 0, nanosec: 20_000_000 }, { secs: 0, nsecs: 20_000_000 }]) {
        c.send({ op: 'publish', topic: '/traj', msg: { joint_names: ['a'], points: [{ positions: [1], time_from_start: t }] } });
      }
      await waitFor(() => got.length === 2, 'both trajectories');
      const times = got.map((m) => m.points[0].time_from_start);
      expect(times).toEqual(version === 1 ? [{ secs: 0, nsecs: 0 }, { secs: 0, nsecs: 20_000_000 }] : [{ sec: 0, nanosec: 20_000_000 }, { sec: 0, nanosec: 20_000_000 }]);
      ws!.terminate();
      await server.close();
      server = null;
    }
  });

  it('rosapi: topics, topic_type, subscribers, publishers; get_ros_version only on ROS 2; unknown service → result false', async () => {
    for (const version of [1, 2] as const) {
      server = await RosbridgeTestServer.start({ rosVersion: version });
      const node = server.node('robot');
      node.advertise('/joint_states', 'sensor_msgs/JointState');
      node.subscribe('/cmd', 'std_msgs/Float64MultiArray', () => {});
      const c = await connect(server.url);
      const call = async (service: string, args = {}) => {
        const id = `${service}:${Math.random()}`;
        c.send({ op: 'call_service', id, service, args });
        await waitFor(() => c.frames.some((f) => f.id === id), service);
        return c.frames.find((f) => f.id === id)!;
      };
      const js = version === 1 ? 'sensor_msgs/JointState' : 'sensor_msgs/msg/JointState';
      expect((await call('/rosapi/topics')).values.types).toContain(js);
      expect((await call('/rosapi/topic_type', { topic: '/joint_states' })).values).toEqual({ type: js });
      expect((await call('/rosapi/topic_type', { topic: '/nope' })).values).toEqual({ type: '' });
      expect((await call('/rosapi/subscribers', { topic: '/cmd' })).values).toEqual({ subscribers: ['/robot'] });
      expect((await call('/rosapi/publishers', { topic: '/joint_states' })).values).toEqual({ publishers: ['/robot'] });
      const v = await call('/rosapi/get_ros_version');
      expect(v.result).toBe(version === 2);
      expect((await call('/no/such/service')).result).toBe(false);
      ws!.terminate();
      await server.close();
      server = null;
    }
  });

  it('throttle_rate and queue_length as rosbridge_library applies them; a late subscriber gets the last second replayed', async () => {
    server = await RosbridgeTestServer.start();
    const node = server.node('robot');
    node.advertise('/s', 'std_msgs/Bool');
    const c = await connect(server.url);
    c.send({ op: 'subscribe', id: 'throttled', topic: '/s', type: 'std_msgs/Bool', throttle_rate: 1000, queue_length: 0 });
    await c.sync();
    for (let i = 0; i < 20; i++) node.publish('/s', { data: i % 2 === 0 });
    await c.sync();
    expect(c.frames.filter((f) => f.op === 'publish').length).toBe(1); // the rest came within the 1 s window
    ws!.terminate();
    // A late subscriber: the last second again, newest first (duplicates, out of order).
    server.replayLateSubscribers = true;
    for (let i = 0; i < 5; i++) node.publish('/s', { data: true });
    const late = await connect(server.url);
    late.send({ op: 'subscribe', topic: '/s', type: 'std_msgs/Bool' });
    await late.sync();
    expect(late.frames.filter((f) => f.op === 'publish').length).toBe(5);
  });

  it('freeze: reads nothing and answers no ping while frozen; thaw delivers the backlog in one burst', async () => {
    server = await RosbridgeTestServer.start();
    const got: number[] = [];
    server.node('robot').subscribe('/cmd', 'std_msgs/Float64MultiArray', (m) => got.push((m.data as number[])[0]!));
    const c = await connect(server.url);
    c.send({ op: 'advertise', topic: '/cmd', type: 'std_msgs/Float64MultiArray' });
    await c.sync();
    server.freeze();
    let pongs = 0;
    c.ws.on('pong', () => pongs++);
    for (let i = 0; i < 10; i++) c.send({ op: 'publish', topic: '/cmd', msg: { data: [i] } });
    c.ws.ping();
    await new Promise((r) => setTimeout(r, 150));
    expect(got).toEqual([]);
    expect(pongs).toBe(0);
    server.thaw();
    await waitFor(() => got.length === 10 && pongs === 1, 'the backlog and the pong');
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('delay and batch: frames to the client wait delayMs and leave together every batchMs', async () => {
    server = await RosbridgeTestServer.start();
    server.delayMs = 30;
    server.batchMs = 40;
    const node = server.node('robot');
    node.advertise('/s', 'std_msgs/Bool');
    const c = await connect(server.url);
    const at: number[] = [];
    c.ws.on('message', () => at.push(performance.now()));
    c.send({ op: 'subscribe', topic: '/s', type: 'std_msgs/Bool' });
    await waitFor(() => server!.subscribers('/s') === 1, 'the subscription (itself delayed)');
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) node.publish('/s', { data: true });
    await waitFor(() => at.length === 3, 'the batch');
    expect(at[0]! - t0).toBeGreaterThanOrEqual(28); // timers are ms-grained
    expect(at[2]! - at[0]!).toBeLessThan(5); // one batch
  });
});
