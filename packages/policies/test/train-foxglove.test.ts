/**
 * `s2r train --foxglove`: the periodic evaluation episodes stream to Foxglove WebSocket clients as they are
 * recorded. The client is the protocol's own (@foxglove/ws-protocol); the training is real (cartpole PPO).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import wsProtocol, { type MessageData } from '@foxglove/ws-protocol';
import protobuf from 'protobufjs';
import 'protobufjs/ext/descriptor.js';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';

const { FoxgloveClient } = wsProtocol;
const REPO = resolve(import.meta.dirname, '../../..');

describe('s2r train --foxglove', () => {
  it('serves evaluation episodes live to a ws-protocol client', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 's2r-train-fox-')), 'run');
    const train = spawn(process.execPath, [join(REPO, 'packages/cli/bin/s2r.mjs'), 'train', 'cartpole', '--steps', '200000', '--record-every', '1',
      '--progress', 'none', '--out', out, '--foxglove', '--foxglove-port', '0'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => train.once('exit', (code) => r(code)));
    let stderr = '';
    const url = await new Promise<string>((res, rej) => {
      train.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /Foxglove WebSocket server on (ws:\/\/[^\s:]+:\d+)/.exec(stderr);
        if (m) res(m[1]!);
      });
      train.once('exit', (code) => rej(new Error(`train exited (${code}) before serving Foxglove:\n${stderr}`)));
    });
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const client = new FoxgloveClient({ ws: new WebSocket(url, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]) as never });
    const positions: number[][] = [];
    const times: bigint[] = [];
    await new Promise<void>((res) => {
      let decode: ((d: Uint8Array) => { position: number[] }) | undefined;
      client.on('advertise', (channels) => {
        const js = channels.find((c) => c.topic === '/joint_states');
        if (!js || decode) return;
        const type = ((protobuf.Root as any).fromDescriptor(Buffer.from(js.schema, 'base64'), { keepCase: true }) as protobuf.Root).lookupType(js.schemaName);
        decode = (d) => type.toObject(type.decode(d), { defaults: true }) as { position: number[] };
        client.subscribe(js.id);
      });
      client.on('message', (m: MessageData) => {
        positions.push(decode!(new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength)).position);
        times.push(m.timestamp);
        if (positions.length >= 50) res();
      });
    });
    client.close();
    train.kill('SIGINT'); // saves a checkpoint and exits 130
    expect(await exited).toBe(130);
    // Cartpole's two joints (slider, hinge), finite values, time never running backwards.
    for (const p of positions) {
      expect(p).toHaveLength(2);
      expect(p.every((q) => Number.isFinite(q))).toBe(true);
    }
    for (let i = 1; i < times.length; i++) expect(times[i]! >= times[i - 1]!).toBe(true);
  }, 180_000);
});
