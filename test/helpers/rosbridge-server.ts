/**
 * A rosbridge v2 server for tests, as strict as the real one (rosbridge_suite 0.11.17 on ROS 1, or a ROS 2 one; see
 * REFERENCE.md "The real rosbridge"): a real WebSocket server on 127.0.0.1 (ephemeral port) that plays rosbridge
 * *and* the ROS graph behind it.
 *
 * Like the real one it:
 *  - never sends `status`: a rejected operation (unknown type, type conflict, a field that does not fit the type)
 *    is only written to its own log (`rejected`), and the client sees nothing;
 *  - checks every published message against its type (ros-msgs.ts) and hands the graph the converted message:
 *    defaults filled in, ROS 1 time fields reduced to secs/nsecs (so `{sec, nanosec}` arrives as 0);
 *  - knows type spellings per ROS version (ROS 1 rejects `pkg/msg/Type`);
 *  - type-checks against the whole graph: other nodes (`node()`) and stale master registrations (`registerStale`);
 *  - answers rosapi services over call_service (`/rosapi/topics`, `topic_type`, `subscribers`, `publishers`,
 *    and on ROS 2 `get_ros_version`); an unknown service gets `service_response` with `result: false`;
 *  - honours `throttle_rate` and `queue_length` on subscribe the way rosbridge_library's subscription modifiers do;
 *  - can freeze (stop reading with the socket open, as a stopped process), delay and batch frames, and replay the
 *    last second of a topic to a late subscriber (duplicates, out of order).
 *
 * Test hooks: `published`/`onPublish` (what reached the graph from clients), `publish()` (a raw frame to
 * subscribers, no type check: malformed-data tests), `node()` (a typed ROS node), `dropAll()`, `refuse`.
 */
import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { convert, ConversionError, resolveType, spellType, type RosVersion } from './ros-msgs.ts';

/** The node name rosbridge registers its publishers and subscribers under. */
export const ROSBRIDGE_NODE = '/rosbridge_websocket';

interface Subscription {
  topic: string;
  /** ms between messages (0: none). */
  throttle: number;
  queueLength: number;
  lastSent: number;
  queue: string[];
  timer: NodeJS.Timeout | null;
}

interface Client {
  ws: WebSocket;
  /** topic → subscription id → subscription */
  subs: Map<string, Map<string, Subscription>>;
  /** topic → canonical type this client advertised successfully */
  adverts: Map<string, string>;
  /** Frames waiting for the batch flush. */
  out: string[];
}

interface TopicInfo {
  /** Canonical type (pkg/Type). */
  type: string;
  publishers: Set<string>;
  subscribers: Set<string>;
}

export interface PublishedMessage {
  topic: string;
  /** The message as the graph got it (after conversion). */
  msg: Record<string, unknown>;
  at: number;
}

export interface RosNode {
  readonly name: string;
  advertise(topic: string, type: string): void;
  /** Typed publish: converted like a client's, then delivered to clients and nodes subscribed with that type. */
  publish(topic: string, msg: unknown): void;
  subscribe(topic: string, type: string, cb: (msg: Record<string, unknown>) => void): () => void;
}

export interface RosbridgeServerOptions {
  port?: number;
  /** 1: rosbridge_suite 0.11 on ROS 1 (the default: the stricter one). 2: ROS 2. */
  rosVersion?: RosVersion;
  /** rosapi running next to rosbridge (default true). */
  rosapi?: boolean;
}

export class RosbridgeTestServer {
  readonly url: string;
  readonly port: number;
  readonly rosVersion: RosVersion;
  rosapi: boolean;
  /** Every op received, for protocol assertions. */
  readonly ops: Record<string, unknown>[] = [];
  /** Every client publish that reached the graph, in arrival order. */
  readonly published: PublishedMessage[] = [];
  /** rosbridge's own log of what it rejected (the client is never told). */
  readonly rejected: { op: string; topic?: string; reason: string }[] = [];
  /** The graph: topic → type and who publishes/subscribes. */
  readonly graph = new Map<string, TopicInfo>();
  connections = 0;
  /** While true, new connections are refused in the handshake (rosbridge down). */
  refuse = false;
  /** Extra one-way delay on every frame, both ways (ms). */
  delayMs = 0;
  /** Outgoing frames are held and sent together every batchMs (Nagle, a loaded Python process). 0: at once. */
  batchMs = 0;
  /** A subscriber that arrives late gets the topic's last second replayed first: duplicates, newest first. */
  replayLateSubscribers = false;
  private frozen = false;
  private readonly clients = new Set<Client>();
  private readonly listeners: ((m: PublishedMessage) => void)[] = [];
  private readonly nodeSubs = new Map<string, { node: string; type: string; cb: (m: Record<string, unknown>) => void }[]>();
  private readonly history = new Map<string, { at: number; frame: string }[]>();
  private batchTimer: NodeJS.Timeout | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(private readonly wss: WebSocketServer, o: RosbridgeServerOptions) {
    this.port = (wss.address() as AddressInfo).port;
    this.url = `ws://127.0.0.1:${this.port}`;
    this.rosVersion = o.rosVersion ?? 1;
    this.rosapi = o.rosapi ?? true;
    wss.on('connection', (ws) => this.onConnection(ws));
  }

  static async start(o: RosbridgeServerOptions | number = {}): Promise<RosbridgeTestServer> {
    const opts = typeof o === 'number' ? { port: o } : o;
    let self: RosbridgeTestServer | null = null;
    // Refusing in the handshake (HTTP 503) looks to the client like a server that is down: no 'open' ever fires.
    const wss = new WebSocketServer({ host: '127.0.0.1', port: opts.port ?? 0, verifyClient: (_info, cb) => cb(!self?.refuse, 503) });
    await new Promise<void>((res, rej) => {
      wss.once('listening', () => res());
      wss.once('error', rej);
    });
    self = new RosbridgeTestServer(wss, opts);
    return self;
  }

  private onConnection(ws: WebSocket): void {
    this.connections++;
    const c: Client = { ws, subs: new Map(), adverts: new Map(), out: [] };
    this.clients.add(c);
    if (this.frozen) ws.pause();
    ws.on('message', (data, isBinary) => {
      const raw = isBinary ? String(data) : data.toString();
      this.later(() => this.onFrame(c, raw));
    });
    const gone = () => this.removeClient(c);
    ws.on('close', gone);
    ws.on('error', gone);
  }

  private removeClient(c: Client): void {
    if (!this.clients.delete(c)) return;
    for (const subs of c.subs.values()) for (const s of subs.values()) if (s.timer) clearTimeout(s.timer);
    // rosbridge unregisters what this client held (stale registrations are another matter: registerStale).
    for (const t of c.adverts.keys()) this.graph.get(t)?.publishers.delete(`${ROSBRIDGE_NODE}#${this.idOf(c)}`);
    for (const t of c.subs.keys()) this.graph.get(t)?.subscribers.delete(`${ROSBRIDGE_NODE}#${this.idOf(c)}`);
  }

  private readonly ids = new WeakMap<Client, number>();
  private nextId = 1;
  private idOf(c: Client): number {
    let id = this.ids.get(c);
    if (!id) this.ids.set(c, (id = this.nextId++));
    return id;
  }

  private later(f: () => void): void {
    if (this.delayMs <= 0) return f();
    const t = setTimeout(() => {
      this.timers.delete(t);
      f();
    }, this.delayMs);
    this.timers.add(t);
  }

  private reject(op: string, reason: string, topic?: string): void {
    this.rejected.push({ op, topic, reason });
  }

  private onFrame(c: Client, raw: string): void {
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(raw);
    } catch {
      return this.reject('?', 'Unable to load JSON message');
    }
    if (!m || typeof m !== 'object' || typeof m.op !== 'string') return this.reject('?', 'Received a message without an op');
    this.ops.push(m);
    const op = m.op;
    if (op === 'call_service') return this.callService(c, m);
    const topic = m.topic;
    if (typeof topic !== 'string') return this.reject(op, 'missing "topic"');
    switch (op) {
      case 'advertise': {
        const canon = this.acceptType(op, topic, m.type);
        if (!canon) return;
        c.adverts.set(topic, canon);
        this.topic(topic, canon).publishers.add(`${ROSBRIDGE_NODE}#${this.idOf(c)}`);
        return;
      }
      case 'unadvertise':
        c.adverts.delete(topic);
        this.graph.get(topic)?.publishers.delete(`${ROSBRIDGE_NODE}#${this.idOf(c)}`);
        return;
      case 'subscribe': {
        // Without a type, rosbridge looks the topic up in the graph; unknown topic → rejected.
        const canon = m.type === undefined ? (this.graph.get(topic)?.type ?? null) : this.acceptType(op, topic, m.type);
        if (!canon) {
          if (m.type === undefined) this.reject(op, 'cannot infer topic type', topic);
          return;
        }
        this.topic(topic, canon).subscribers.add(`${ROSBRIDGE_NODE}#${this.idOf(c)}`);
        const id = typeof m.id === 'string' ? m.id : `anon:${topic}`;
        const subs = c.subs.get(topic) ?? new Map<string, Subscription>();
        const throttle = typeof m.throttle_rate === 'number' && m.throttle_rate > 0 ? m.throttle_rate : 0;
        const queueLength = typeof m.queue_length === 'number' && m.queue_length > 0 ? m.queue_length : 0;
        subs.set(id, { topic, throttle, queueLength, lastSent: -Infinity, queue: [], timer: null });
        c.subs.set(topic, subs);
        if (this.replayLateSubscribers) {
          const now = performance.now();
          const h = (this.history.get(topic) ?? []).filter((x) => now - x.at <= 1000);
          for (let i = h.length - 1; i >= 0; i--) this.send(c, h[i]!.frame);
        }
        return;
      }
      case 'unsubscribe': {
        const subs = c.subs.get(topic);
        if (!subs) return;
        // Spec: with an id, drop that subscription; without, drop all of this client's on the topic.
        if (typeof m.id === 'string') subs.delete(m.id);
        else subs.clear();
        if (!subs.size) {
          c.subs.delete(topic);
          this.graph.get(topic)?.subscribers.delete(`${ROSBRIDGE_NODE}#${this.idOf(c)}`);
        }
        return;
      }
      case 'publish': {
        // Without a successful advertise rosbridge publishes with the graph's type, if the topic has one.
        const canon = c.adverts.get(topic) ?? this.graph.get(topic)?.type;
        if (!canon) return this.reject(op, 'cannot infer topic type', topic);
        let msg: Record<string, unknown>;
        try {
          msg = convert(canon, m.msg, this.rosVersion);
        } catch (e) {
          if (e instanceof ConversionError) return this.reject(op, e.message, topic);
          throw e;
        }
        const p = { topic, msg, at: performance.now() };
        this.published.push(p);
        for (const l of [...this.listeners]) l(p);
        this.deliver(topic, canon, msg, `${ROSBRIDGE_NODE}#${this.idOf(c)}`, c);
        return;
      }
      default:
        return this.reject(op, `Unknown or unsupported op: ${op}`);
    }
  }

  /** rosbridge's type checks: a spelling this ROS version knows, and no conflict with the graph. */
  private acceptType(op: string, topic: string, type: unknown): string | null {
    if (typeof type !== 'string') {
      this.reject(op, 'missing "type"', topic);
      return null;
    }
    const canon = resolveType(type, this.rosVersion);
    if (!canon) {
      this.reject(op, `InvalidTypeStringException: ${type} is not a valid type string on ROS ${this.rosVersion}`, topic);
      return null;
    }
    const known = this.graph.get(topic)?.type;
    if (known && known !== canon) {
      this.reject(op, `TypeConflictException: ${topic} already has type ${spellType(known, this.rosVersion)}, cannot use ${type}`, topic);
      return null;
    }
    return canon;
  }

  private topic(topic: string, canon: string): TopicInfo {
    let t = this.graph.get(topic);
    if (!t) this.graph.set(topic, (t = { type: canon, publishers: new Set(), subscribers: new Set() }));
    return t;
  }

  private callService(c: Client, m: Record<string, unknown>): void {
    const service = m.service;
    const args = (m.args ?? {}) as Record<string, unknown>;
    const reply = (values: unknown, result = true) => {
      this.send(c, JSON.stringify({ op: 'service_response', service, ...(typeof m.id === 'string' ? { id: m.id } : {}), values, result }));
    };
    const topicArg = typeof args.topic === 'string' ? args.topic : '';
    const info = this.graph.get(topicArg);
    const strip = (s: Set<string>) => [...new Set([...s].map((n) => n.split('#')[0]!))];
    if (!this.rosapi || typeof service !== 'string') return reply(`Service ${String(service)} does not exist`, false);
    switch (service.replace(/^\//, '')) {
      case 'rosapi/topics': {
        const topics = [...this.graph.keys()];
        return reply({ topics, types: topics.map((t) => spellType(this.graph.get(t)!.type, this.rosVersion)) });
      }
      case 'rosapi/topic_type':
        return reply({ type: info ? spellType(info.type, this.rosVersion) : '' });
      case 'rosapi/subscribers':
        return reply({ subscribers: info ? strip(info.subscribers) : [] });
      case 'rosapi/publishers':
        return reply({ publishers: info ? strip(info.publishers) : [] });
      case 'rosapi/get_ros_version':
        if (this.rosVersion === 2) return reply({ version: 2, distro: 'humble' });
        return reply('Service /rosapi/get_ros_version does not exist', false);
      default:
        return reply(`Service ${service} does not exist`, false);
    }
  }

  /** Send a converted message to clients (throttled/queued per subscription) and to nodes subscribed with its type. */
  private deliver(topic: string, canon: string, msg: Record<string, unknown>, from: string, except?: Client): void {
    const frame = JSON.stringify({ op: 'publish', topic, msg });
    const now = performance.now();
    if (this.replayLateSubscribers) {
      const h = this.history.get(topic) ?? [];
      h.push({ at: now, frame });
      while (h.length && now - h[0]!.at > 1000) h.shift();
      this.history.set(topic, h);
    }
    for (const c of this.clients) {
      if (c === except) continue;
      const subs = c.subs.get(topic);
      if (subs) for (const s of subs.values()) this.offer(c, s, frame);
    }
    for (const s of this.nodeSubs.get(topic) ?? []) {
      // ROS 1: a subscriber of another type never connects (md5sum mismatch); so does a node hearing itself.
      if (s.type === canon && s.node !== from) s.cb(msg);
    }
  }

  /** rosbridge_library's subscription modifiers: queue_length > 0 → a sender thread with a bounded deque (newest
   *  kept) that sends at most one message per throttle_rate; else throttle_rate > 0 → drop what comes sooner. */
  private offer(c: Client, s: Subscription, frame: string): void {
    const now = performance.now();
    if (s.queueLength > 0) {
      s.queue.push(frame);
      while (s.queue.length > s.queueLength) s.queue.shift();
      if (!s.timer) {
        const wait = Math.max(0, s.lastSent + s.throttle - now);
        s.timer = setTimeout(() => {
          s.timer = null;
          const f = s.queue.shift();
          if (f !== undefined) {
            s.lastSent = performance.now();
            this.send(c, f);
          }
          if (s.queue.length) this.offer(c, s, s.queue.pop()!);
        }, wait);
      }
      return;
    }
    if (s.throttle > 0 && now - s.lastSent < s.throttle) return;
    s.lastSent = now;
    this.send(c, frame);
  }

  private send(c: Client, frame: string): void {
    if (this.frozen) return; // a stopped process sends nothing
    this.later(() => {
      if (this.batchMs > 0) {
        c.out.push(frame);
        if (!this.batchTimer) this.batchTimer = setTimeout(() => this.flush(), this.batchMs);
        return;
      }
      if (c.ws.readyState === c.ws.OPEN) c.ws.send(frame);
    });
  }

  private flush(): void {
    this.batchTimer = null;
    for (const c of this.clients) {
      if (c.ws.readyState === c.ws.OPEN) for (const f of c.out) c.ws.send(f);
      c.out.length = 0;
    }
  }

  /** A ROS node on the graph. */
  node(name: string): RosNode {
    const self = this;
    const nodeName = name.startsWith('/') ? name : `/${name}`;
    const typeOf = (topic: string, type: string) => {
      const canon = resolveType(type, self.rosVersion);
      if (!canon) throw new Error(`node ${nodeName}: ${type} is not a type on ROS ${self.rosVersion}`);
      const known = self.graph.get(topic)?.type;
      if (known && known !== canon) throw new Error(`node ${nodeName}: ${topic} already has type ${known}`);
      return canon;
    };
    return {
      name: nodeName,
      advertise(topic, type) {
        self.topic(topic, typeOf(topic, type)).publishers.add(nodeName);
      },
      publish(topic, msg) {
        const info = self.graph.get(topic);
        if (!info || !info.publishers.has(nodeName)) throw new Error(`node ${nodeName}: advertise ${topic} first`);
        self.deliver(topic, info.type, convert(info.type, msg, self.rosVersion), nodeName);
      },
      subscribe(topic, type, cb) {
        const canon = typeOf(topic, type);
        self.topic(topic, canon).subscribers.add(nodeName);
        const entry = { node: nodeName, type: canon, cb };
        self.nodeSubs.set(topic, [...(self.nodeSubs.get(topic) ?? []), entry]);
        return () => {
          self.nodeSubs.set(topic, (self.nodeSubs.get(topic) ?? []).filter((e) => e !== entry));
          self.graph.get(topic)?.subscribers.delete(nodeName);
        };
      },
    };
  }

  /** A registration the master still holds for a node that is gone: its type still wins type checks. */
  registerStale(topic: string, type: string): void {
    const canon = resolveType(type, this.rosVersion);
    if (!canon) throw new Error(`${type} is not a type on ROS ${this.rosVersion}`);
    this.topic(topic, canon);
  }

  /** Publish a raw message on a topic to subscribed clients: no type check (malformed-data tests, NaN as null). */
  publish(topic: string, msg: unknown): void {
    const frame = JSON.stringify({ op: 'publish', topic, msg });
    for (const c of this.clients) {
      const subs = c.subs.get(topic);
      if (subs) for (const s of subs.values()) this.offer(c, s, frame);
    }
  }

  /** Send a raw text frame to every client subscribed to `topic` (or all clients), for malformed-data tests. */
  sendRaw(text: string, topic?: string): void {
    for (const c of this.clients) if (!topic || c.subs.has(topic)) this.send(c, text);
  }

  /** Clients subscribed to a topic. */
  subscribers(topic: string): number {
    let n = 0;
    for (const c of this.clients) if (c.subs.has(topic)) n++;
    return n;
  }

  onPublish(fn: (m: PublishedMessage) => void): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /**
   * The rosbridge process stops (SIGSTOP) with its sockets open: it reads nothing (the kernel buffers, then the
   * client's send backlog grows), answers no pings, and sends nothing. thaw() resumes: the buffered frames burst in.
   */
  freeze(): void {
    this.frozen = true;
    for (const c of this.clients) c.ws.pause();
  }

  thaw(): void {
    this.frozen = false;
    for (const c of this.clients) c.ws.resume();
  }

  get isFrozen(): boolean {
    return this.frozen;
  }

  /** Kill every connection abruptly (link dropped). */
  dropAll(): void {
    for (const c of [...this.clients]) {
      c.ws.terminate();
      this.removeClient(c);
    }
  }

  get clientCount(): number {
    return this.clients.size;
  }

  async close(): Promise<void> {
    this.frozen = false;
    this.dropAll();
    if (this.batchTimer) clearTimeout(this.batchTimer);
    for (const t of this.timers) clearTimeout(t);
    await new Promise<void>((r) => this.wss.close(() => r()));
  }
}
