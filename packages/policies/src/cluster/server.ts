/**
 * Start a local `nats-server -js` (Debian package `nats-server`, or NATS_SERVER=/path): for `s2r cluster up`,
 * the tests and the benchmark. It listens on the given interface and port (0 = a free port, found by binding
 * one first) and keeps JetStream data in `storeDir`, so a restart on the same port and folder finds its
 * streams, consumers and KV again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

export interface NatsServerOptions {
  host?: string;
  port?: number;
  storeDir: string;
  /** Require this user/password (the server's own flags; the clients get them from env or --creds). */
  user?: string;
  password?: string;
  /** Seconds to wait for "Server is ready". */
  readyS?: number;
  log?: (line: string) => void;
}

export interface NatsServer {
  url: string;
  host: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function natsServerBinary(): string {
  const env = process.env.NATS_SERVER;
  if (env) return env;
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) if (existsSync(p)) return p;
  throw new Error('nats-server not found (Debian: sudo apt-get install nats-server; or set NATS_SERVER=/path/to/nats-server)');
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, host, () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

export async function startNatsServer(o: NatsServerOptions): Promise<NatsServer> {
  const host = o.host ?? '127.0.0.1';
  const port = o.port || (await freePort(host));
  const args = ['-a', host, '-p', String(port), '-js', '-sd', o.storeDir];
  if (o.user) args.push('--user', o.user, '--pass', o.password ?? '');
  const child = spawn(natsServerBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const readyMs = (o.readyS ?? 20) * 1000;
  let out = '';
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`nats-server on ${host}:${port} not ready within ${readyMs / 1000} s:\n${out.slice(-2000)}`)), readyMs);
    const onData = (b: Buffer) => {
      const s = b.toString();
      out += s;
      for (const line of s.split('\n')) if (line.trim()) o.log?.(line);
      if (/Server is ready/.test(out)) {
        clearTimeout(timer);
        res();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`nats-server exited with code ${code} before it was ready:\n${out.slice(-2000)}`));
    });
  });
  const stop = () =>
    new Promise<void>((res) => {
      if (child.exitCode !== null || child.signalCode !== null) return res();
      child.once('exit', () => res());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
  return { url: `nats://${host}:${port}`, host, port, process: child, stop };
}
