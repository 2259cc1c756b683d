/**
 * `s2r deploy --foxglove`: a Foxglove WebSocket protocol client (the protocol's own, from @foxglove/ws-protocol)
 * connects to a live deploy on the sim hardware, subscribes to /joint_states and decodes what arrives with the
 * FileDescriptorSet the server advertised, as Foxglove does.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wsProtocol, { type Channel, type MessageData } from '@foxglove/ws-protocol';
import protobuf from 'protobufjs';
import 'protobufjs/ext/descriptor.js';
import WebSocket from 'ws';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeGo1Artifact } from './helpers/artifact.ts';

const { FoxgloveClient } = wsProtocol;
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const ROBOT = join(ROOT, 'hardware/robots/s2r-go1/s2r-go1.urdf');
const dir = mkdtempSync(join(tmpdir(), 's2r-deploy-fox-'));
const artifact = join(dir, 'go1.json');

beforeAll(async () => {
  await writeGo1Artifact(artifact);
});

describe('s2r deploy --foxglove', () => {
  it('a ws-protocol client subscribes to a live deploy and receives joint states', async () => {
    // Port 0: the server takes a free port and the log line says which; no --record: Foxglove alone is enough.
    const deploy = spawn('node', [join(ROOT, 'packages/cli/bin/s2r.mjs'), 'deploy', '--policy', artifact, '--robot', ROBOT, '--hardware', 'sim',
      '--rate', '500', '--policy-rate', '50', '--soft-start', '0.3', '--duration', '120', '--foxglove', '--foxglove-port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => deploy.once('exit', (code) => resolve(code)));
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      deploy.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /Foxglove WebSocket server on (ws:\/\/[^\s]+)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      deploy.once('exit', (code) => reject(new Error(`deploy exited (${code}) before serving Foxglove:\n${stderr}`)));
    });
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/); // loopback by default

    const client = new FoxgloveClient({ ws: new WebSocket(url, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]) as never });
    const received: { t: bigint; position: number[]; velocity: number[] }[] = [];
    let channel: Channel | undefined;
    let decode: ((d: Uint8Array) => any) | undefined;
    const enough = new Promise<void>((resolve) => {
      client.on('advertise', (channels) => {
        const js = channels.find((c) => c.topic === '/joint_states');
        if (!js || channel) return;
        channel = js;
        const root = (protobuf.Root as any).fromDescriptor(Buffer.from(js.schema, 'base64'), { keepCase: true }) as protobuf.Root;
        const type = root.lookupType(js.schemaName);
        decode = (d) => type.toObject(type.decode(d), { defaults: true });
        client.subscribe(js.id);
      });
      client.on('message', (m: MessageData) => {
        const msg = decode!(new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength));
        received.push({ t: m.timestamp, position: msg.position, velocity: msg.velocity });
        if (received.length >= 200) resolve();
      });
    });
    await enough;
    client.close();
    deploy.kill('SIGINT');
    expect([0, 3]).toContain(await exited); // Ctrl-C: today that latches the e-stop (3); the run still ends normally

    expect(channel).toMatchObject({ encoding: 'protobuf', schemaName: 's2r.JointState', schemaEncoding: 'protobuf' });
    for (const r of received) {
      expect(r.position).toHaveLength(12);
      expect(r.velocity).toHaveLength(12);
      // A tick whose state did not arrive (sim hardware under load) is recorded as all-NaN, as in the MCAP file.
      const finite = r.position.filter((q) => Number.isFinite(q)).length;
      expect([0, 12]).toContain(finite);
    }
    expect(received.filter((r) => Number.isFinite(r.position[0])).length).toBeGreaterThan(100);
    // Live and in order: log times strictly increase, 2 ms apart at 500 Hz (a skipped tick makes a longer gap).
    for (let i = 1; i < received.length; i++) expect(received[i]!.t > received[i - 1]!.t).toBe(true);
    const gaps = received.slice(1).map((r, i) => Number(r.t - received[i]!.t) / 1e6);
    expect(Math.min(...gaps)).toBeCloseTo(2, 3);
    // A standing Go1: calf joints bent (the s2r-go1 default pose has calves near -1.5 rad).
    expect(received.filter((r) => Number.isFinite(r.position[0])).at(-1)!.position.some((q) => q < -1)).toBe(true);
  });
});
