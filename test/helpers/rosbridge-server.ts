/**
 * A small rosbridge v2 protocol server for tests: a real WebSocket server on 127.0.0.1 (ephemeral port) that speaks
 * the JSON ops of the rosbridge v2 spec that topic traffic uses — advertise, unadvertise, publish, subscribe,
 * unsubscribe — and answers anything else (or anything malformed) with a `status` error, as rosbridge does.
 *
 * It plays the ROS graph too: tests publish on topics as if a ROS node did (`publish`), see what clients publish
 * (`messages`, `onPublish`), and inject faults: drop every connection, send garbage frames, refuse connections.
 */
import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';

interface Client {
  ws: WebSocket;
  /** topic → subscription ids */
  subs: Map<string, Set<string>>;
  /** topic → type advertised by this client */
  adverts: Map<string, string>;
}

export interface PublishedMessage {
  topic: string;
  msg: unknown;
  at: number;
}

export class RosbridgeTestServer {
  readonly url: string;
  readonly port: number;
  /** Every op received, for protocol assertions. */
  readonly ops: Record<string, unknown>[] = [];
  /** Every publish from a client, in arrival order. */
  readonly published: PublishedMessage[] = [];
  /** Topic types declared by advertise/subscribe (rosbridge refuses a second, different type). */
  readonly topicTypes = new Map<string, string>();
  connections = 0;
  /** While true, new connections are closed immediately (rosbridge down). */
  refuse = false;
  private readonly clients = new Set<Client>();
  private readonly listeners: ((m: PublishedMessage) => void)[] = [];

  private constructor(private readonly wss: WebSocketServer) {
    this.port = (wss.address() as AddressInfo).port;
    this.url = `ws://127.0.0.1:${this.port}`;
    wss.on('connection', (ws) => this.onConnection(ws));
  }

  static async start(port = 0): Promise<RosbridgeTestServer> {
    let self: RosbridgeTestServer | null = null;
    // Refusing in the handshake (HTTP 503) looks to the client like a server that is down: no 'open' ever fires.
    const wss = new WebSocketServer({ host: '127.0.0.1', port, verifyClient: (_info, cb) => cb(!self?.refuse, 503) });
    await new Promise<void>((res, rej) => {
      wss.once('listening', () => res());
      wss.once('error', rej);
    });
    self = new RosbridgeTestServer(wss);
    return self;
  }

  private onConnection(ws: WebSocket): void {
    this.connections++;
    const c: Client = { ws, subs: new Map(), adverts: new Map() };
    this.clients.add(c);
    ws.on('message', (data, isBinary) => this.onFrame(c, isBinary ? data : data.toString()));
    ws.on('close', () => this.clients.delete(c));
    ws.on('error', () => this.clients.delete(c));
  }

  private status(c: Client, level: 'error' | 'warning', msg: string, id?: unknown): void {
    this.send(c.ws, { op: 'status', level, msg, ...(typeof id === 'string' ? { id } : {}) });
  }

  private onFrame(c: Client, raw: unknown): void {
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(typeof raw === 'string' ? raw : String(raw));
    } catch {
      return this.status(c, 'error', 'Unable to load JSON message');
    }
    if (!m || typeof m !== 'object' || typeof m.op !== 'string') return this.status(c, 'error', 'Received a message without an op');
    this.ops.push(m);
    const topic = m.topic;
    if (m.op !== 'status' && m.op !== 'set_level' && typeof topic !== 'string') return this.status(c, 'error', `${m.op}: missing "topic"`, m.id);
    switch (m.op) {
      case 'advertise': {
        if (typeof m.type !== 'string') return this.status(c, 'error', `advertise ${topic}: missing "type"`, m.id);
        if (!this.checkType(c, topic as string, m.type, m.id)) return;
        c.adverts.set(topic as string, m.type);
        return;
      }
      case 'unadvertise':
        c.adverts.delete(topic as string);
        return;
      case 'subscribe': {
        if (typeof m.type === 'string' && !this.checkType(c, topic as string, m.type, m.id)) return;
        const id = typeof m.id === 'string' ? m.id : `anon:${topic}`;
        const set = c.subs.get(topic as string) ?? new Set();
        set.add(id);
        c.subs.set(topic as string, set);
        return;
      }
      case 'unsubscribe': {
        const set = c.subs.get(topic as string);
        if (!set) return;
        // Spec: with an id, drop that subscription; without, drop all of this client's on the topic.
        if (typeof m.id === 'string') set.delete(m.id);
        else set.clear();
        if (!set.size) c.subs.delete(topic as string);
        return;
      }
      case 'publish': {
        if (!('msg' in m) || typeof m.msg !== 'object') return this.status(c, 'error', `publish ${topic}: missing "msg"`, m.id);
        if (!c.adverts.has(topic as string) && !this.topicTypes.has(topic as string)) {
          // rosbridge v2 requires a type before publishing; roslib always advertises first.
          return this.status(c, 'error', `publish ${topic}: topic not advertised`, m.id);
        }
        const p = { topic: topic as string, msg: m.msg, at: performance.now() };
        this.published.push(p);
        for (const l of this.listeners) l(p);
        this.deliver(topic as string, m.msg, c);
        return;
      }
      default:
        return this.status(c, 'error', `Unknown or unsupported op: ${m.op}`, m.id);
    }
  }

  private checkType(c: Client, topic: string, type: string, id: unknown): boolean {
    const norm = (t: string) => t.replace('/msg/', '/');
    const known = this.topicTypes.get(topic);
    if (known && norm(known) !== norm(type)) {
      this.status(c, 'error', `${topic} already has type ${known}, cannot use ${type}`, id);
      return false;
    }
    this.topicTypes.set(topic, type);
    return true;
  }

  private deliver(topic: string, msg: unknown, except?: Client): void {
    const frame = JSON.stringify({ op: 'publish', topic, msg });
    for (const c of this.clients) if (c !== except && c.subs.has(topic)) c.ws.send(frame);
  }

  private send(ws: WebSocket, m: unknown): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
  }

  /** Publish on a topic as a ROS node would (delivered to subscribed clients). */
  publish(topic: string, msg: unknown): void {
    this.deliver(topic, msg);
  }

  /** Send a raw text frame to every client subscribed to `topic` (or all clients), for malformed-data tests. */
  sendRaw(text: string, topic?: string): void {
    for (const c of this.clients) if (!topic || c.subs.has(topic)) c.ws.send(text);
  }

  subscribers(topic: string): number {
    let n = 0;
    for (const c of this.clients) if (c.subs.has(topic)) n++;
    return n;
  }

  onPublish(fn: (m: PublishedMessage) => void): () => void {
    this.listeners.push(fn);
    return () => this.listeners.splice(this.listeners.indexOf(fn), 1);
  }

  /** Kill every connection abruptly (link dropped). */
  dropAll(): void {
    for (const c of this.clients) c.ws.terminate();
    this.clients.clear();
  }

  get clientCount(): number {
    return this.clients.size;
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }
}
