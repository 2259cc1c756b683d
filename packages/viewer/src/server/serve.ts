/**
 * serveViewer: the HTTP server behind `s2r view`. Binds to loopback by default and serves only:
 *   /                      the app page             /app.js, /app.css   the bundled app
 *   /api/session           the recordings it was given (ids, names)
 *   /api/rec/<id>/meta     robot, events, series layout (JSON) of the snapshot to start from
 *   /api/rec/<id>/data?v=  pose series (binary, first)            /api/rec/<id>/rest?v=   the other series
 *   /api/rec/<id>/slice/<k>  the rows read in slice k (progressive load: waits until it is read)
 *   /api/rec/<id>/file     the .mcap itself
 *   /mesh/<id>/<n>/<name>  mesh n of that recording's URDF (an allowlist built from the URDF, by index)
 *   /live                  WebSocket: producers stream in, pages watch
 * No route maps a URL path onto the filesystem, and any request whose path contains "..", a backslash or
 * a NUL — raw or percent-encoded — is refused with 400 before routing.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { buildApp, buildStarted } from './bundle.ts';
import { createLiveHub, type LiveHub } from './live-hub.ts';
import { MESH_TYPES } from './robot-json.ts';
import { ProgressiveView, type ProgressiveOptions } from './progressive.ts';
import { notMcapReason } from '@s2r/recording/mcap-magic.ts';

/** When no page asks for a recording, its background read starts this long after it was opened (ms). */
const BACKGROUND_DELAY_MS = 1500;

export interface ServeViewerOptions {
  /** .mcap files and/or run folders (searched for .mcap files, 4 levels deep). May be empty in live mode. */
  paths: string[];
  /** TCP port; 0 picks a free one (default 0). */
  port?: number;
  /** Interface to bind (default 127.0.0.1). Anything else exposes your recordings to the network. */
  host?: string;
  /** Where `package://` meshes are looked for when the description moved since recording. */
  robotDir?: string;
  /** Accept live streams on /live (default true). */
  live?: boolean;
  /** Load the first recording (its first window, see progressive.ts) before returning (default true). */
  preload?: boolean;
  /** Progressive-load tuning (window and slice lengths, a hook before each slice for tests). */
  progressive?: Omit<ProgressiveOptions, 'robotDir'>;
}

export interface ViewerServer {
  url: string;
  port: number;
  host: string;
  recordings: { id: string; name: string; path: string }[];
  /** ws:// URL producers pass to `Recorder.open(..., { live })`. */
  liveUrl: string;
  close(): Promise<void>;
}

export function findRecordings(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory() && depth < 4 && !e.name.startsWith('.') && e.name !== 'node_modules') walk(p, depth + 1);
      else if (e.isFile() && e.name.endsWith('.mcap')) {
        const why = notMcapReason(p);
        if (why) console.warn(`s2r view: skipping ${p}: ${why}`);
        else out.push(p);
      }
    }
  };
  for (const raw of paths) {
    const p = resolve(raw);
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new Error(`s2r view: ${raw}: no such file or folder`);
    }
    if (st.isDirectory()) {
      const before = out.length;
      walk(p, 0);
      if (out.length === before) throw new Error(`s2r view: ${raw}: folder holds no .mcap recordings`);
    } else if (p.endsWith('.mcap')) {
      const why = notMcapReason(p);
      if (why) throw new Error(`s2r view: ${raw}: ${why}`);
      out.push(p);
    } else throw new Error(`s2r view: ${raw}: expected a .mcap file or a run folder`);
  }
  return out;
}

/** True for paths that try to leave their route: "..", backslashes, NUL, after any amount of %-decoding. */
export function isTraversal(rawPath: string): boolean {
  let p = rawPath;
  for (let i = 0; i < 3; i++) {
    if (/\.\.|\\|\0/.test(p)) return true;
    let d: string;
    try {
      d = decodeURIComponent(p);
    } catch {
      return true; // malformed %-encoding
    }
    if (d === p) break;
    p = d;
  }
  return /\.\.|\\|\0/.test(p);
}

export async function serveViewer(opts: ServeViewerOptions): Promise<ViewerServer> {
  const host = opts.host ?? '127.0.0.1';
  const files = findRecordings(opts.paths);
  const recordings = files.map((p, i) => ({ id: String(i), name: files.length > 1 ? relName(p, opts.paths) : basename(p), path: p }));
  const loaded = new Map<string, ProgressiveView>();
  /** Per recording: lets its background read start (its first snapshot was served, or the delay passed). */
  const starters = new Map<string, () => void>();
  // The first window is read at once; the rest of the file follows in the background (progressive.ts).
  const load = (id: string): ProgressiveView | null => {
    const r = recordings.find((x) => x.id === id);
    if (!r) return null;
    let v = loaded.get(id);
    if (!v) {
      let start!: () => void;
      const startWhen = new Promise<void>((res) => (start = res));
      starters.set(id, start);
      // Nobody may open a page (an API user): start anyway after a while (ms).
      setTimeout(start, BACKGROUND_DELAY_MS).unref();
      v = new ProgressiveView(r.path, id, { startWhen, ...opts.progressive, robotDir: opts.robotDir });
      loaded.set(id, v);
    }
    return v;
  };
  const assets = buildApp();
  await buildStarted;
  if ((opts.preload ?? true) && recordings.length > 0) {
    try {
      load('0');
    } catch {
      /* reported to the page when it asks for this recording; the others stay viewable */
    }
  }
  await assets;
  const hub: LiveHub | null = opts.live === false ? null : createLiveHub({ robotDir: opts.robotDir });
  let port = 0;

  const send = (res: ServerResponse, code: number, type: string, body: string | Buffer): void => {
    res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.end(body);
  };
  const json = (res: ServerResponse, v: unknown): void => send(res, 200, 'application/json', JSON.stringify(v));
  // DNS-rebinding guard: a page on another origin that resolves to 127.0.0.1 still sends its own Host.
  const hostOk = (req: IncomingMessage): boolean => {
    const h = req.headers.host;
    if (!h) return false;
    const name = h.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    return name === host || name === 'localhost' || name === '127.0.0.1' || name === '::1' || host === '0.0.0.0' || host === '::';
  };

  const server = createServer(async (req, res) => {
    try {
      const [rawPath = '/', query = ''] = (req.url ?? '/').split('?');
      if (isTraversal(rawPath)) return send(res, 400, 'text/plain', 'bad path\n');
      if (!hostOk(req)) return send(res, 403, 'text/plain', 'unexpected Host header\n');
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'GET only\n');
      const parts = rawPath.split('/').filter(Boolean);
      if (parts.length === 0) return send(res, 200, 'text/html; charset=utf-8', (await assets).html);
      if (rawPath === '/app.js') return send(res, 200, 'text/javascript; charset=utf-8', (await assets).js);
      if (rawPath === '/app.css') return send(res, 200, 'text/css; charset=utf-8', (await assets).css);
      const chunk = parts.length === 1 ? (await assets).chunks.get(parts[0]!) : undefined;
      if (chunk !== undefined) return send(res, 200, 'text/javascript; charset=utf-8', chunk);
      if (rawPath === '/favicon.ico') return send(res, 204, 'text/plain', '');
      if (rawPath === '/api/session')
        return json(res, { recordings: recordings.map(({ id, name }) => ({ id, name })), live: !!hub, liveUrl: `/live` });
      if (parts[0] === 'api' && parts[1] === 'rec' && parts.length === 5 && parts[3] === 'slice') {
        const v = load(parts[2]!);
        const k = Number(parts[4]);
        if (!v || !Number.isInteger(k)) return send(res, 404, 'text/plain', 'no such recording or slice\n');
        return send(res, 200, 'application/octet-stream', await v.slice(k));
      }
      if (parts[0] === 'api' && parts[1] === 'rec' && parts.length === 4) {
        const pv = load(parts[2]!);
        if (!pv) return send(res, 404, 'text/plain', 'no such recording\n');
        // ?v=first asks for the snapshot a meta described, even if the load completed in between.
        const v = new URLSearchParams(query).get('v') === 'first' ? pv.first : pv.current();
        if (parts[3] === 'meta') return json(res, v.meta);
        if (parts[3] === 'data') return send(res, 200, 'application/octet-stream', v.blob);
        if (parts[3] === 'rest') {
          // The page has its first snapshot whole: now the rest of the file may be read.
          res.once('finish', () => starters.get(parts[2]!)?.());
          return send(res, 200, 'application/octet-stream', v.rest);
        }
        if (parts[3] === 'file') {
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-disposition': `attachment; filename="${basename(v.path).replace(/"/g, '')}"` });
          return void createReadStream(v.path).pipe(res);
        }
      }
      if (parts[0] === 'mesh' && parts.length === 4) {
        const table = parts[1] === 'live' ? hub?.meshes : load(parts[1]!)?.first.meshes;
        const i = Number(parts[2]);
        const file = table && Number.isInteger(i) ? table.files[i] : undefined;
        const type = file ? MESH_TYPES[extname(file).toLowerCase()] : undefined;
        if (!file || !type) return send(res, 404, 'text/plain', 'no such mesh\n');
        res.writeHead(200, { 'content-type': type, 'cache-control': 'max-age=3600' });
        return void createReadStream(file).on('error', () => res.destroy()).pipe(res);
      }
      return send(res, 404, 'text/plain', 'not found\n');
    } catch (e) {
      // A broken recording shows as an error on its own request; the server keeps serving the rest.
      send(res, 500, 'text/plain', `${(e as Error).message}\n`);
    }
  });
  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    const origin = req.headers.origin;
    // Producers (Node) send no Origin; pages must come from this server.
    const originOk = !origin || origin === `http://${req.headers.host}`;
    if (!hub || path !== '/live' || !hostOk(req) || !originOk) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    hub.handleUpgrade(req, socket, head);
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new Error(`s2r view: port ${opts.port} on ${host} is already in use (try --port 0 for a free one)`) : e),
    );
    server.listen(opts.port ?? 0, host, () => resolveListen());
  });
  port = (server.address() as { port: number }).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/`,
    port,
    host,
    recordings,
    liveUrl: `ws://${urlHost}:${port}/live`,
    async close() {
      hub?.close();
      for (const v of loaded.values()) v.stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function relName(p: string, roots: string[]): string {
  for (const r of roots) {
    const abs = resolve(r);
    if (p.startsWith(abs + '/')) return p.slice(abs.length + 1);
  }
  return basename(p);
}
