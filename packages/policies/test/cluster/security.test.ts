import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectCluster, KV_BUCKET, resolveAuth, SEGMENT_STREAM, segmentSubject } from '../../src/cluster/connect.ts';
import { fetchPolicy, PolicyRefused, publishPolicy, readAnnouncement, type PolicyVersion } from '../../src/cluster/policy-store.ts';
import { freePort } from '../../src/cluster/server.ts';
import { resolvePpoConfig } from '../../src/ppo/config.ts';
import type { ClusterJob } from '../../src/cluster/job.ts';
import { useNats, spawnWorker, type WorkerProc } from './nats-fixture.ts';
import { waitFor } from '../../../../test/helpers/wait.ts';

const S2R = join(import.meta.dirname, '../../../cli/bin/s2r.mjs');
const PASSWORD = 'pw-Zq8-never-in-files';
const fx = useNats({ user: 'learner', password: PASSWORD });
const procs = fx.procs;

const envAuth = { S2R_NATS_USER: 'learner', S2R_NATS_PASSWORD: PASSWORD };
const quiet = () => {};

/** A tiny cartpole-shaped policy (4 obs, 1 action), enough for a worker to load and act with. */
function tinyPolicy(runId: string, version: number): PolicyVersion {
  const layer = (i: number, o: number) => ({ in: i, out: o, w: new Float32Array(i * o).fill(0.01), b: new Float32Array(o) });
  const norm = { mean: [0, 0, 0, 0], var: [1, 1, 1, 1], count: 1, clip: 5, eps: 1e-8 };
  return { runId, incarnation: 1, version, actor: [layer(4, 32), layer(32, 32), layer(32, 1)], critic: [layer(4, 32), layer(32, 32), layer(32, 1)], logStd: new Float32Array(1), obsNorm: norm, criticNorm: null };
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((res) => {
    const p = spawn(process.execPath, [S2R, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b) => (out += b));
    p.stderr.on('data', (b) => (out += b));
    p.once('exit', (code) => res({ code, out, ms: performance.now() - t0 }));
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? filesUnder(join(dir, f)) : [join(dir, f)]));
}

describe('cluster security and connection errors (real nats-server with a password)', () => {
  it('a worker refuses a policy version whose bytes do not match the announced sha256, then takes the next good one', async () => {
    const nc = await connectCluster(fx.nats().url, { auth: resolveAuth(undefined, envAuth), name: 'test', log: quiet });
    try {
      const kv = await new Kvm(nc).create(KV_BUCKET, { history: 1 });
      const runId = 'tamper-test';
      const jsm = await jetstreamManager(nc);
      if (!(await jsm.streams.info(SEGMENT_STREAM).catch(() => null))) await jsm.streams.add({ name: SEGMENT_STREAM, subjects: ['s2r.seg.>'] });
      await jsm.consumers.add(SEGMENT_STREAM, { durable_name: `learner-${runId}`, filter_subject: segmentSubject(runId), ack_policy: 'explicit' as never });
      const ppo = resolvePpoConfig('cartpole', { asymmetricCritic: false, rolloutInference: 'js' });
      const job: ClusterJob = { runId, incarnation: 1, task: 'cartpole', status: 'running', ppo, dims: { obs: 4, priv: 0, act: 1 }, segmentEnvs: 4, segmentsPerUpdate: 1, perWorker: 1, deterministic: true, queueLimit: 2, subject: segmentSubject(runId), consumer: `learner-${runId}` };
      await kv.put('job', JSON.stringify(job));
      const ann = await publishPolicy(kv, tinyPolicy(runId, 0), 1 << 20, 4);
      // Tamper: flip one weight byte in the stored blob; the announcement keeps the learner's hash.
      const blob = (await kv.get(`blob.1.0.0`))!.value.slice();
      blob[blob.length - 10] ^= 0xff;
      await kv.put('blob.1.0.0', blob);
      await expect(fetchPolicy(kv, (await readAnnouncement(kv))!)).rejects.toThrow(PolicyRefused);
      await expect(fetchPolicy(kv, ann)).rejects.toThrow(/refused.*sha256.*tampered or corrupted/);

      const w = await spawnWorker(fx.nats().url, [], envAuth);
      procs.push(w);
      await waitFor(() => /policy version 0 of run tamper-test: refused/.test(w.out()), 'the worker to refuse version 0', { timeoutMs: 120 * 1000, stepMs: 50 });
      const pending = async () => (await jsm.consumers.info(SEGMENT_STREAM, job.consumer)).num_pending;
      expect(await pending()).toBe(0); // nothing was collected with the refused version
      await publishPolicy(kv, tinyPolicy(runId, 1), 1 << 20, 4);
      await waitFor(async () => (await pending()) >= 1, 'a segment collected with version 1', { timeoutMs: 120 * 1000, stepMs: 50 });
      const c = await (await import('@nats-io/jetstream')).jetstream(nc).consumers.get(SEGMENT_STREAM, job.consumer);
      const m = await c.next({ expires: 5000 });
      const header = JSON.parse(new TextDecoder().decode(m!.data.subarray(4, 4 + new DataView(m!.data.buffer, m!.data.byteOffset).getUint32(0, true))));
      expect(header.version).toBe(1);
      m!.ack();
      await kv.put('job', JSON.stringify({ ...job, status: 'done' }));
      expect(await w.exited, w.out()).toBe(0);
      expect(w.out()).toMatch(/"refused":1/);
    } finally {
      await nc.close();
    }
  }, 120_000);

  it('credentials from env and --creds never reach the run folder, command.txt or the output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 's2r-cl-creds-'));
    const creds = join(dir, 'worker.creds');
    writeFileSync(creds, `learner:${PASSWORD}\n`);
    const w = await spawnWorker(fx.nats().url, ['--creds', creds]);
    procs.push(w);
    const out = join(dir, 'run');
    const r = await run(['train', 'cartpole', '--cluster', fx.nats().url, '--steps', '1024', '--out', out, '--progress', 'lines', '--wait', '90'], envAuth);
    expect(r.code, r.out).toBe(0);
    expect(await w.exited, w.out()).toBe(0);
    expect(r.out).toMatch(/credentials: env S2R_NATS_USER \(learner\)/);
    expect(w.out()).toMatch(/credentials: creds file .*worker\.creds \(user learner\)/);
    const files = filesUnder(out);
    expect(files.map((f) => f.slice(out.length + 1))).toEqual(expect.arrayContaining(['config.json', 'command.txt', 'metrics.jsonl', 'policy.json']));
    for (const f of files) expect(readFileSync(f, 'utf8').includes(PASSWORD), f).toBe(false);
    expect(r.out.includes(PASSWORD)).toBe(false);
    expect(w.out().includes(PASSWORD)).toBe(false);
  }, 180_000);

  it('a wrong password, an unreachable server, a bad URL and credentials in the URL each fail with one clear line naming the URL', async () => {
    const bad = await run(['worker', '--cluster', fx.nats().url, '--wait', '5'], { S2R_NATS_USER: 'learner', S2R_NATS_PASSWORD: 'wrong' });
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(new RegExp(`cannot connect to the NATS server at ${fx.nats().url}: .*[Aa]uthorization.*S2R_NATS_USER`));
    expect(bad.out.includes('wrong')).toBe(false);

    // Timed in-process: process start-up under CI load is not what the 5 s bound is about.
    const dead = `nats://127.0.0.1:${await freePort()}`;
    for (const url of [dead, 'nats://no-such-host.invalid:4222']) {
      const t0 = performance.now();
      await expect(connectCluster(url, { auth: { source: 'none' }, name: 'test', log: quiet })).rejects.toThrow(`cannot connect to the NATS server at ${url}`);
      expect(performance.now() - t0).toBeLessThan(5000);
    }
    const cli = await run(['worker', '--cluster', dead], {});
    expect(cli.code).toBe(1);
    expect(cli.out).toContain(`s2r worker: cannot connect to the NATS server at ${dead}`);

    const scheme = await run(['worker', '--cluster', 'http://localhost:4222'], {});
    expect(scheme.code).toBe(2);
    expect(scheme.out).toMatch(/--cluster "http:\/\/localhost:4222": expected a nats:\/\/ or tls:\/\/ URL/);
    const inUrl = await run(['train', 'cartpole', '--cluster', `nats://learner:${PASSWORD}@127.0.0.1:${fx.nats().port}`], {});
    expect(inUrl.code).toBe(2);
    expect(inUrl.out).toMatch(/credentials in the URL would be written to command\.txt/);
  }, 120_000);
});
