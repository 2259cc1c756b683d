/** A real nats-server for the cluster tests: loopback, a free port, its own JetStream folder; restartable. */
import { mkdtempSync, rmSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer, type NatsServer } from '../../src/cluster/server.ts';

export interface NatsFixture {
  url: string;
  port: number;
  server: NatsServer;
  /** Stop the server and start it again on the same port and store (streams, consumers and KV survive). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function natsFixture(o: { user?: string; password?: string } = {}): Promise<NatsFixture> {
  const dir = mkdtempSync(join(tmpdir(), 's2r-nats-'));
  let server = await startNatsServer({ storeDir: join(dir, 'js'), ...o });
  const f: NatsFixture = {
    url: server.url,
    port: server.port,
    server,
    async restart() {
      await server.stop();
      server = await startNatsServer({ storeDir: join(dir, 'js'), port: f.port, ...o });
      f.server = server;
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return f;
}

export interface WorkerProc {
  proc: import('node:child_process').ChildProcess;
  out(): string;
  exited: Promise<number | null>;
}

const S2R_BIN = join(import.meta.dirname, '../../../cli/bin/s2r.mjs');

/** `s2r worker` as its own process (one tfjs per process, as on a real machine). */
export async function spawnWorker(url: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<WorkerProc> {
  const { spawn } = await import('node:child_process');
  const proc = spawn(process.execPath, [S2R_BIN, 'worker', '--cluster', url, '--threads', '0', '--wait', '120', ...extra], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  proc.stdout!.on('data', (b) => (buf += b));
  proc.stderr!.on('data', (b) => (buf += b));
  const exited = new Promise<number | null>((res) => proc.once('exit', (c) => res(c)));
  return { proc, out: () => buf, exited };
}

/**
 * One server for a test file (started before its tests, stopped after) and the worker processes it spawned
 * (killed after, if a failed test left them running). `nats()` is the fixture once started.
 */
export function useNats(o: { user?: string; password?: string } = {}): { nats(): NatsFixture; procs: WorkerProc[] } {
  let f: NatsFixture | null = null;
  const procs: WorkerProc[] = [];
  beforeAll(async () => {
    f = await natsFixture(o);
  });
  afterAll(async () => {
    for (const p of procs) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
    await f?.stop();
  });
  return { nats: () => f!, procs };
}
