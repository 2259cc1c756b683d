/**
 * Producer side of live mode: `s2r train` / `s2r deploy` stream the recorder's messages to an open viewer
 * (`s2r view --live`, or any viewer server) over a WebSocket on loopback.
 *
 * Never blocks and never throws into the caller's control loop: messages are queued and sent as one batch
 * frame every `batchMs` (default 50 ms — rosbridge's lesson: many tiny frames turn into bursts anyway).
 * While disconnected, or when the socket's send buffer is over `maxBufferedBytes`, messages are dropped and
 * counted; a live view shows the present, the MCAP file keeps everything.
 *
 * Wire format (text frames, JSON):
 *   {"op":"hello","meta":{...},"urdf":"<robot .../>","urdfPath":"/abs/robot.urdf","robotRoot":"/abs"}
 *   {"op":"batch","msgs":[{"topic":"/joint_states","t":1.234,"data":{...}}, ...]}     t in seconds
 */
import WebSocket from 'ws';

export interface LiveHello {
  meta: Record<string, string>;
  urdf?: string;
  urdfPath?: string;
  robotRoot?: string;
}

export interface LiveSink {
  hello(info: LiveHello): void;
  /** `json` is the already-serialised message body. */
  send(topic: string, ns: bigint, json: string): void;
  /** Send what is queued, then close. */
  close(): Promise<void>;
  readonly stats: { sent: number; dropped: number; connected: boolean; reconnects: number };
}

export interface LiveSinkOptions {
  batchMs?: number;
  maxBufferedBytes?: number;
  /** Retry period while the viewer is not reachable (ms). */
  retryMs?: number;
  /** Messages kept while not connected (the newest win). */
  maxQueue?: number;
}

export function connectLive(url: string, opts: LiveSinkOptions = {}): LiveSink {
  const batchMs = opts.batchMs ?? 50;
  const maxBuffered = opts.maxBufferedBytes ?? 8 * 1024 * 1024;
  const retryMs = opts.retryMs ?? 1000;
  const maxQueue = opts.maxQueue ?? 20_000;
  const target = url.includes('?') ? url : `${url}?role=producer`;
  let ws: WebSocket | null = null;
  let helloFrame: string | null = null;
  let queue: string[] = [];
  let closing = false;
  let retryTimer: NodeJS.Timeout | null = null;
  const stats = { sent: 0, dropped: 0, connected: false, reconnects: 0 };

  const open = (): void => {
    if (closing) return;
    const sock = new WebSocket(target);
    ws = sock;
    sock.on('open', () => {
      stats.connected = true;
      if (helloFrame) sock.send(helloFrame);
    });
    sock.on('error', () => {
      /* reported through 'close'; a missing viewer must not crash training or deployment */
    });
    sock.on('close', () => {
      stats.connected = false;
      if (ws === sock) ws = null;
      if (!closing) {
        stats.reconnects++;
        retryTimer = setTimeout(open, retryMs);
        retryTimer.unref();
      }
    });
  };

  const flush = (): void => {
    if (queue.length === 0) return;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      if (queue.length > maxQueue) {
        stats.dropped += queue.length - maxQueue;
        queue = queue.slice(queue.length - maxQueue);
      }
      return;
    }
    if (ws.bufferedAmount > maxBuffered) {
      stats.dropped += queue.length;
      queue = [];
      return;
    }
    const frame = `{"op":"batch","msgs":[${queue.join(',')}]}`;
    stats.sent += queue.length;
    queue = [];
    ws.send(frame);
  };
  const timer = setInterval(flush, batchMs);
  timer.unref();
  open();

  return {
    stats,
    hello(info) {
      helloFrame = JSON.stringify({ op: 'hello', ...info });
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(helloFrame);
    },
    send(topic, ns, json) {
      queue.push(`{"topic":${JSON.stringify(topic)},"t":${Number(ns) / 1e9},"data":${json}}`);
    },
    async close() {
      // Give a just-opened socket a moment to connect so the tail of a short run is not lost.
      const deadline = Date.now() + 1000;
      while (ws && ws.readyState === WebSocket.CONNECTING && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      flush();
      closing = true;
      clearInterval(timer);
      if (retryTimer) clearTimeout(retryTimer);
      const sock = ws;
      if (sock && sock.readyState === WebSocket.OPEN) {
        await new Promise<void>((resolve) => {
          sock.once('close', () => resolve());
          sock.close(1000, 'done');
          setTimeout(resolve, 500).unref();
        });
      } else sock?.terminate();
    },
  };
}
