/**
 * Live mode on the viewer server: producers (`s2r train`, `s2r deploy`, any Recorder with `live`) connect to
 * ws://HOST:PORT/live?role=producer; pages connect with role=viewer. The hub parses the producer's URDF once
 * (meshes then join the server's allowlist under /mesh/live/...), keeps a bounded history so a page opened
 * late still sees the episode from its start, and fans batches out unchanged.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { meshTable, parseRecordedRobot, robotToJson, type MeshTable, type RobotJson } from './robot-json.ts';

export interface LiveHub {
  meshes: MeshTable;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  readonly stats: { producers: number; viewers: number; messages: number };
  close(): void;
}

export function createLiveHub(opts: { robotDir?: string; maxHistoryMessages?: number } = {}): LiveHub {
  const maxHistory = opts.maxHistoryMessages ?? 500_000;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  let meshes = meshTable();
  let robotFrame: string | null = null;
  let history: { frame: string; count: number }[] = [];
  let historyCount = 0;
  const viewers = new Set<WebSocket>();
  const stats = { producers: 0, viewers: 0, messages: 0 };

  const broadcast = (frame: string): void => {
    for (const v of viewers) if (v.readyState === v.OPEN) v.send(frame);
  };

  const onProducerFrame = (raw: string): void => {
    let msg: { op?: string; urdf?: string; urdfPath?: string; robotRoot?: string; meta?: Record<string, string>; msgs?: unknown[] };
    try {
      msg = JSON.parse(raw);
    } catch {
      return; // a malformed frame from a producer is dropped, never fatal
    }
    if (msg.op === 'hello') {
      let robot: RobotJson | null = null;
      let robotError: string | undefined;
      const table = meshTable();
      if (msg.urdf) {
        try {
          robot = robotToJson(parseRecordedRobot(msg.urdf, { urdfPath: msg.urdfPath, robotDir: opts.robotDir }), table, '/mesh/live');
        } catch (e) {
          robotError = (e as Error).message;
        }
      }
      meshes.files.splice(0, meshes.files.length, ...table.files);
      // A new hello starts a new live session: forget the previous one's history.
      history = [];
      historyCount = 0;
      robotFrame = JSON.stringify({ op: 'robot', robot, robotError, meta: msg.meta ?? {}, jointNames: msg.meta?.joint_names ? JSON.parse(msg.meta.joint_names) : [] });
      broadcast(robotFrame);
    } else if (msg.op === 'batch' && Array.isArray(msg.msgs)) {
      const n = msg.msgs.length;
      stats.messages += n;
      history.push({ frame: raw, count: n });
      historyCount += n;
      while (historyCount > maxHistory && history.length > 1) historyCount -= history.shift()!.count;
      broadcast(raw);
    }
  };

  return {
    get meshes() {
      return meshes;
    },
    stats,
    handleUpgrade(req, socket, head) {
      const role = new URL(req.url ?? '/', 'http://x').searchParams.get('role');
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (role === 'producer') {
          stats.producers++;
          ws.on('message', (d) => onProducerFrame(d.toString()));
          ws.on('close', () => stats.producers--);
        } else {
          stats.viewers++;
          viewers.add(ws);
          if (robotFrame) ws.send(robotFrame);
          for (const h of history) ws.send(h.frame);
          ws.on('close', () => {
            viewers.delete(ws);
            stats.viewers--;
          });
        }
        ws.on('error', () => ws.terminate());
      });
    },
    close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      meshes = meshTable();
    },
  };
}
