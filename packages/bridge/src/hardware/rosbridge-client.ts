/**
 * A small rosbridge v2 client over `ws`, written for a control loop rather than a web page (roslib queues every op
 * while disconnected and replays it on reconnect, and cannot see the socket):
 *  - publish() never queues: it returns false while the link is down, frozen, or has a send backlog, so a setpoint
 *    is sent now or never (a stale one is never delivered late);
 *  - subscriptions and advertisements are re-sent on every (re)connect, with exponential backoff between attempts;
 *  - liveness: a WebSocket ping every `pingEveryMs`; no pong for `freezeMs`, or a send backlog (`bufferedAmount`)
 *    that stays for `freezeMs`, marks the link frozen (a stopped rosbridge keeps its socket open and shows no
 *    disconnect); a frozen link that stays frozen for `frozenReconnectMs` is dropped and reconnected;
 *  - call() is call_service with an id and a timeout (a real rosbridge answers an unknown service with
 *    `result: false`, but one that is not running rosapi may never answer).
 * rosbridge sends no `status` for a rejected op: nothing here waits for one.
 */
import WebSocket from 'ws';

export interface RosbridgeClientOptions {
  url: string;
  reconnectInitialMs: number;
  reconnectFactor: number;
  reconnectMaxMs: number;
  /** WebSocket handshake must finish within this (ms), or the attempt is dropped and retried. */
  openTimeoutMs: number;
  pingEveryMs: number;
  freezeMs: number;
  frozenReconnectMs: number;
  log: (m: string) => void;
}

export interface SubscribeOptions {
  type: string;
  /** rosbridge throttle_rate (ms between messages). */
  throttleRate: number;
  /** rosbridge queue_length (0: no sender thread on the bridge). */
  queueLength: number;
}

type Msg = Record<string, unknown>;

export class RosbridgeClient {
  connected = false;
  frozen = false;
  readonly counters = { connects: 0, disconnects: 0, reconnect_attempts: 0, freezes: 0, bad_frames: 0, backlog_drops: 0 };
  /** Called on every (re)connect after subscriptions are re-sent, on every close, and on freeze/thaw. */
  onConnect: () => void = () => {};
  onClose: () => void = () => {};
  onFreeze: (frozen: boolean) => void = () => {};
  private ws: WebSocket | null = null;
  private closing = false;
  private delay: number;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private stableTimer: NodeJS.Timeout | null = null;
  private openTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private lastPong = 0;
  private backlogSince = 0;
  private frozenSince = 0;
  private readonly subs = new Map<string, { o: SubscribeOptions; cb: (m: Msg) => void }>();
  private readonly adverts = new Map<string, string>();
  private readonly pending = new Map<string, { resolve: (r: { ok: boolean; values: unknown }) => void; timer: NodeJS.Timeout }>();
  private nextId = 0;

  constructor(private readonly o: RosbridgeClientOptions) {
    this.delay = o.reconnectInitialMs;
  }

  /** Bytes written but not yet taken by the kernel (a growing backlog: the far end stopped reading). */
  get bufferedAmount(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  start(): void {
    this.closing = false;
    this.connect();
    this.pingTimer = setInterval(() => this.watch(), this.o.pingEveryMs);
  }

  subscribe(topic: string, o: SubscribeOptions, cb: (m: Msg) => void): void {
    this.subs.set(topic, { o, cb });
    if (this.connected) this.sendSubscribe(topic);
  }

  advertise(topic: string, type: string): void {
    this.adverts.set(topic, type);
    if (this.connected) this.raw({ op: 'advertise', topic, type });
  }

  /**
   * Send now or not at all: false while down, frozen, or behind a send backlog. A backlog is more than two of these
   * messages plus 1 KiB not yet taken by the kernel: a write still in flight on a loaded host (a few hundred bytes,
   * gone within a millisecond) does not count, seconds of stale setpoints never build up.
   */
  publish(topic: string, msg: unknown): boolean {
    if (!this.connected || this.frozen || !this.ws) return false;
    const text = JSON.stringify({ op: 'publish', topic, msg });
    if (this.ws.bufferedAmount > 2 * text.length + 1024) {
      this.counters.backlog_drops++;
      return false;
    }
    try {
      this.ws.send(text);
      return true;
    } catch {
      return false;
    }
  }

  call(service: string, args: Msg, timeoutMs: number): Promise<{ ok: boolean; values: unknown }> {
    return new Promise((resolve) => {
      if (!this.connected) return resolve({ ok: false, values: 'not connected' });
      const id = `s2r:call:${service}:${++this.nextId}`;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, values: `no answer in ${timeoutMs} ms` });
      }, timeoutMs);
      this.pending.set(id, { resolve, timer });
      this.raw({ op: 'call_service', id, service, args });
    });
  }

  close(): void {
    this.closing = true;
    for (const t of [this.reconnectTimer, this.stableTimer, this.openTimer]) if (t) clearTimeout(t);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.reconnectTimer = this.stableTimer = this.openTimer = this.pingTimer = null;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ ok: false, values: 'closed' });
      this.pending.delete(id);
    }
    if (this.ws && this.connected) {
      for (const t of this.subs.keys()) this.raw({ op: 'unsubscribe', topic: t, id: subId(t) });
      for (const t of this.adverts.keys()) this.raw({ op: 'unadvertise', topic: t });
    }
    this.ws?.close();
    this.ws?.removeAllListeners();
    this.ws?.on('error', () => {});
    this.ws = null;
    this.connected = false;
  }

  private raw(m: Msg): boolean {
    try {
      this.ws!.send(JSON.stringify(m));
      return true;
    } catch {
      return false;
    }
  }

  private sendSubscribe(topic: string): void {
    const s = this.subs.get(topic)!;
    this.raw({ op: 'subscribe', id: subId(topic), topic, type: s.o.type, throttle_rate: s.o.throttleRate, queue_length: s.o.queueLength });
  }

  private connect(): void {
    if (this.closing) return;
    this.counters.reconnect_attempts++;
    const ws = new WebSocket(this.o.url, { perMessageDeflate: false });
    this.ws = ws;
    // A server that accepts TCP but never finishes the handshake (a stopped process) must not hang the attempt.
    this.openTimer = setTimeout(() => ws.terminate(), this.o.openTimeoutMs);
    ws.on('open', () => {
      if (this.openTimer) clearTimeout(this.openTimer);
      this.openTimer = null;
      this.connected = true;
      this.frozen = false;
      this.lastPong = performance.now();
      this.backlogSince = 0;
      this.counters.connects++;
      // Reset the backoff only once the link has stayed up a while, so a server that accepts and drops at once
      // still sees exponentially spaced attempts.
      if (this.stableTimer) clearTimeout(this.stableTimer);
      this.stableTimer = setTimeout(() => {
        this.stableTimer = null;
        if (this.connected) this.delay = this.o.reconnectInitialMs;
      }, 1000);
      for (const [t, type] of this.adverts) this.raw({ op: 'advertise', topic: t, type });
      for (const t of this.subs.keys()) this.sendSubscribe(t);
      this.onConnect();
    });
    ws.on('pong', () => {
      this.lastPong = performance.now();
    });
    ws.on('message', (data) => this.onMessage(String(data)));
    ws.on('error', () => {}); // the close that follows does the work
    ws.on('close', () => {
      if (this.ws !== ws) return;
      if (this.openTimer) clearTimeout(this.openTimer);
      if (this.stableTimer) clearTimeout(this.stableTimer);
      this.openTimer = this.stableTimer = null;
      const was = this.connected;
      this.connected = false;
      this.frozen = false;
      this.ws = null;
      if (was) {
        this.counters.disconnects++;
        this.onClose();
      }
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.closing || this.reconnectTimer) return;
    const d = this.delay;
    this.delay = Math.min(this.o.reconnectMaxMs, this.delay * this.o.reconnectFactor);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, d);
  }

  private onMessage(text: string): void {
    let m: Msg;
    try {
      m = JSON.parse(text) as Msg;
    } catch {
      this.counters.bad_frames++;
      return;
    }
    if (!m || typeof m !== 'object') return void this.counters.bad_frames++;
    if (m.op === 'publish' && typeof m.topic === 'string') {
      const s = this.subs.get(m.topic);
      if (s) s.cb(m.msg as Msg);
    } else if (m.op === 'service_response' && typeof m.id === 'string') {
      const p = this.pending.get(m.id);
      if (!p) return;
      clearTimeout(p.timer);
      this.pending.delete(m.id);
      p.resolve({ ok: m.result !== false, values: m.values });
    }
  }

  /** Liveness, every pingEveryMs. */
  private watch(): void {
    const ws = this.ws;
    if (!ws || !this.connected) return;
    const now = performance.now();
    const backlog = ws.bufferedAmount;
    if (backlog > 0 && !this.backlogSince) this.backlogSince = now;
    if (backlog === 0) this.backlogSince = 0;
    const silentMs = now - this.lastPong;
    if (!this.frozen) {
      const reason = silentMs >= this.o.freezeMs ? `no pong for ${Math.round(silentMs)} ms`
        : this.backlogSince && now - this.backlogSince >= this.o.freezeMs ? `a send backlog of ${backlog} bytes for ${Math.round(now - this.backlogSince)} ms` : '';
      if (reason) {
        this.frozen = true;
        this.frozenSince = now;
        this.counters.freezes++;
        this.o.log(`ros: link to ${this.o.url} frozen (${reason}): not publishing, holding safe`);
        this.onFreeze(true);
      }
    } else if (silentMs < this.o.pingEveryMs * 2 && backlog === 0) {
      this.frozen = false;
      this.o.log(`ros: link to ${this.o.url} alive again after ${Math.round(now - this.frozenSince)} ms`);
      this.onFreeze(false);
    } else if (now - this.frozenSince >= this.o.frozenReconnectMs) {
      this.o.log(`ros: link to ${this.o.url} frozen for ${Math.round(now - this.frozenSince)} ms: dropping it and reconnecting`);
      ws.terminate();
      return;
    }
    try {
      ws.ping();
    } catch {
      // closing
    }
  }
}

const subId = (topic: string) => `s2r:sub:${topic}`;
