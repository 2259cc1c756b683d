// The Foxglove WebSocket server the Recorder feeds, with the protocol's own client, in one process.
import wsProtocol, { type Channel, type MessageData } from '@foxglove/ws-protocol';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { Recorder, foxglovePortFromFlags, serveFoxglove } from '../src/index.ts';
import { protoDecoder } from '../src/proto.ts';

const { FoxgloveClient } = wsProtocol;

describe('serveFoxglove', () => {
  it('reads --foxglove / --foxglove-port', () => {
    expect(foxglovePortFromFlags(false, undefined)).toBeNull();
    expect(foxglovePortFromFlags(true, undefined)).toBe(8765);
    expect(foxglovePortFromFlags(false, '9000')).toBe(9000); // a port alone implies --foxglove
    for (const bad of ['-1', '70000', 'abc', '1.5', '']) expect(() => foxglovePortFromFlags(true, bad)).toThrow(/--foxglove-port must be a TCP port 0\.\.65535/);
  });

  it('a busy port is an error that says which flag to change', async () => {
    const a = await serveFoxglove({ port: 0 });
    try {
      await expect(serveFoxglove({ port: a.port })).rejects.toThrow(new RegExp(`127\\.0\\.0\\.1:${a.port}: port in use \\(choose another with --foxglove-port N\\)`));
    } finally {
      await a.close();
    }
  });

  it('sends a Recorder\'s messages to subscribed clients only, protobuf and JSON channels alike', async () => {
    const fox = await serveFoxglove({ port: 0 });
    expect(fox.url).toBe(`ws://127.0.0.1:${fox.port}`);
    const rec = await Recorder.open(null, { foxglove: fox, robot: { name: 'toy', urdf: '<robot name="toy"/>', actuatedJoints: ['a', 'b'] } });
    const client = new FoxgloveClient({ ws: new WebSocket(fox.url, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]) as never });
    const channels = new Map<string, Channel>();
    const got: { topic: string; t: bigint; data: Uint8Array }[] = [];
    const subs = new Map<number, string>();
    client.on('advertise', (cs) => cs.forEach((c) => channels.set(c.topic, c)));
    client.on('message', (m: MessageData) => got.push({ topic: subs.get(m.subscriptionId)!, t: m.timestamp, data: new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength).slice() }));
    await new Promise<void>((r) => client.on('open', () => r()));
    // Channels are advertised when first written; subscribe to the joint states and reward terms, not to /command.
    rec.jointState(0, { position: [0.5, -0.25] });
    rec.rewardTerms(0, { a: 1 });
    rec.command(0, { position: [1, 2] });
    while (channels.size < 3) await new Promise((r) => setTimeout(r, 10));
    subs.set(client.subscribe(channels.get('/joint_states')!.id), '/joint_states');
    subs.set(client.subscribe(channels.get('/reward_terms')!.id), '/reward_terms');
    while (!fox.wants(channels.get('/joint_states')!.id) || !fox.wants(channels.get('/reward_terms')!.id)) await new Promise((r) => setTimeout(r, 10));
    for (let i = 1; i <= 20; i++) {
      rec.jointState(i * 0.002, { position: [i, -i] });
      rec.command(i * 0.002, { position: [i, i] });
      if (i % 10 === 0) rec.rewardTerms(i * 0.002, { a: i });
    }
    while (got.length < 22) await new Promise((r) => setTimeout(r, 10));
    // One socket keeps order: a /command message sent between these would have arrived among them.
    expect(got.map((g) => g.topic).filter((t) => t === '/command')).toHaveLength(0);
    const js = channels.get('/joint_states')!;
    expect(js).toMatchObject({ encoding: 'protobuf', schemaName: 's2r.JointState', schemaEncoding: 'protobuf' });
    const decode = protoDecoder(js.schemaName, Buffer.from(js.schema, 'base64'));
    const states = got.filter((g) => g.topic === '/joint_states');
    expect(states.map((g) => (decode(g.data) as { position: number[] }).position)).toEqual(Array.from({ length: 20 }, (_, k) => [k + 1, -(k + 1)]));
    expect(states.map((g) => g.t)).toEqual(Array.from({ length: 20 }, (_, k) => BigInt((k + 1) * 2_000_000)));
    expect(channels.get('/reward_terms')).toMatchObject({ encoding: 'json', schemaEncoding: 'jsonschema' });
    expect(got.filter((g) => g.topic === '/reward_terms').map((g) => JSON.parse(new TextDecoder().decode(g.data)))).toEqual([{ terms: { a: 10 } }, { terms: { a: 20 } }]);
    client.close();
    await rec.close();
    await fox.close();
  });
});
