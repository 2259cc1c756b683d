/**
 * Live in Foxglove: a Foxglove WebSocket protocol server (`@foxglove/ws-protocol`, subprotocol
 * foxglove.websocket.v1) that `s2r deploy --foxglove` and `s2r train --foxglove` feed through the Recorder, so
 * Foxglove (Open connection → Foxglove WebSocket → ws://localhost:8765) sees the recording's topics, live,
 * in the recording's own encodings (protobuf with FileDescriptorSet schemas, JSON with JSON Schemas).
 *
 * Binds loopback by default, like the viewer: anything else exposes the robot's state to the network.
 * Never blocks the caller: a message is encoded and sent only when some client subscribed to its channel, and
 * dropped (counted) while a client's socket has more than `maxBufferedBytes` queued (a stalled Foxglove must not
 * grow this process's memory). Message timestamps are the recording's log times (ns since its start).
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
// A CommonJS package whose named exports Node's ESM loader can't see: take them from the default export.
import wsProtocol from '@foxglove/ws-protocol';

const { FoxgloveServer } = wsProtocol;

export interface FoxgloveLiveOptions {
  /** TCP port (default 8765, Foxglove's default; 0 = any free port). */
  port?: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Server name shown in Foxglove (default "s2r"). */
  name?: string;
  /** Per-client send-queue limit before messages are dropped (bytes, default 8 MiB). */
  maxBufferedBytes?: number;
}

export interface FoxgloveLive {
  readonly url: string;
  readonly port: number;
  readonly stats: { clients: number; sent: number; dropped: number };
  /**
   * Advertise a channel (idempotent per topic + schema: a new Recorder on the same server, e.g. the next
   * evaluation episode of `s2r train`, reuses it). `schema` is the FileDescriptorSet for protobuf, JSON text otherwise.
   */
  channel(topic: string, encoding: 'protobuf' | 'json', schemaName: string, schema: Uint8Array | string): number;
  /** True when at least one client is subscribed to the channel. */
  wants(channel: number): boolean;
  send(channel: number, logTimeNs: bigint, data: Uint8Array): void;
  /**
   * Where the next recording's time 0 goes on this server's clock (ns): 0 at first, then 1 s after the last
   * message sent, so successive recordings (train's evaluation episodes) never make time run backwards.
   */
  nextEpoch(): bigint;
  close(): Promise<void>;
}

/** Foxglove's default WebSocket port. */
export const FOXGLOVE_PORT = 8765;

/**
 * The CLI flags `--foxglove` and `--foxglove-port N` → the port to serve on, or null when neither is given
 * (a port alone implies --foxglove). Throws a RangeError naming the flag for anything but 0..65535.
 */
export function foxglovePortFromFlags(foxglove: boolean, port: string | undefined): number | null {
  if (port === undefined) return foxglove ? FOXGLOVE_PORT : null;
  const n = Number(port);
  if (!/^\d+$/.test(port.trim()) || n > 65535) throw new RangeError(`--foxglove-port must be a TCP port 0..65535, got "${port}"`);
  return n;
}

export async function serveFoxglove(opts: FoxgloveLiveOptions = {}): Promise<FoxgloveLive> {
  const host = opts.host ?? '127.0.0.1';
  const requestedPort = opts.port ?? FOXGLOVE_PORT;
  const maxBuffered = opts.maxBufferedBytes ?? 8 * 1024 * 1024;
  const server = new FoxgloveServer({ name: opts.name ?? 's2r' });
  const wss = new WebSocketServer({ host, port: requestedPort, handleProtocols: (protocols) => server.handleProtocols(protocols) });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(`Foxglove server on ${host}:${requestedPort}: ${e.code === 'EADDRINUSE' ? 'port in use (choose another with --foxglove-port N)' : e.message}`)),
    );
  });
  const sockets = new Set<WebSocket>();
  const subscribers = new Map<number, number>();
  const channels = new Map<string, number>();
  const stats = { clients: 0, sent: 0, dropped: 0 };
  let lastNs = -1n;
  wss.on('connection', (ws, req) => {
    sockets.add(ws);
    stats.clients = sockets.size;
    ws.on('close', () => {
      sockets.delete(ws);
      stats.clients = sockets.size;
    });
    ws.on('error', () => {
      /* a client that vanishes must not take the deployment down; 'close' follows */
    });
    server.handleConnection(ws, `${req.socket.remoteAddress}:${req.socket.remotePort}`);
  });
  server.on('subscribe', (id) => subscribers.set(id, (subscribers.get(id) ?? 0) + 1));
  server.on('unsubscribe', (id) => subscribers.set(id, Math.max(0, (subscribers.get(id) ?? 0) - 1)));
  server.on('error', () => {
    /* protocol errors from a client (bad request) are that client's problem */
  });
  const port = (wss.address() as AddressInfo).port;
  return {
    url: `ws://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    stats,
    channel(topic, encoding, schemaName, schema) {
      const key = `${topic}\n${encoding}\n${schemaName}`;
      let id = channels.get(key);
      if (id === undefined) {
        const isProto = encoding === 'protobuf';
        id = server.addChannel({
          topic,
          encoding,
          schemaName,
          schema: isProto ? Buffer.from(schema as Uint8Array).toString('base64') : (schema as string),
          schemaEncoding: isProto ? 'protobuf' : 'jsonschema',
        });
        channels.set(key, id);
      }
      return id;
    },
    wants(id) {
      return (subscribers.get(id) ?? 0) > 0;
    },
    send(id, logTimeNs, data) {
      for (const ws of sockets)
        if (ws.bufferedAmount > maxBuffered) {
          stats.dropped++;
          return;
        }
      server.sendMessage(id, logTimeNs, data as Uint8Array<ArrayBuffer>);
      if (logTimeNs > lastNs) lastNs = logTimeNs;
      stats.sent++;
    },
    nextEpoch() {
      return lastNs < 0n ? 0n : lastNs + 1_000_000_000n;
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
