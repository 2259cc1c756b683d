/**
 * `npm run bench:cluster`: training throughput over NATS JetStream against a local run, on one machine.
 *
 *   local_1w    s2r train (PPO, one env worker thread)                        — the reference
 *   cluster_1w  local nats-server + learner (this process) + 1 worker process (--threads 1)
 *   cluster_2w  the same with 2 worker processes, each with half the envs (segments of numEnvs/2)
 *
 * env_steps_per_s is samples trained on per wall-clock second in the steady state (collection and update
 * included; from the 3rd iteration on, so process and worker start-up are not counted). overhead_pct = 100·(1 − cluster_1w/local_1w): negative means the cluster run was faster (a worker
 * collects the next segment while the learner updates, which a local run does not). bytes_per_sample is
 * segment bytes on the wire per env step. staleness_p99 is over the segments of both cluster phases.
 * lost_segments = published by workers − trained on − dropped − still queued at the end (must be 0).
 * Also printed, for the N-machine model: the learner's update ms per iteration and ingest (decode + place) µs
 * per sample, a worker's collection rate (env steps/s while collecting) and publish cost (encode + JetStream
 * ack) µs per sample. On a 2-core machine shared with other work, read the figures with load_avg_1m beside them.
 *
 * Options: --task T (default cartpole), --steps N per phase (default 40960), --envs N (default 16), --seed N.
 * Last line: {"bench":"cluster","env_steps_per_s":{…},"overhead_pct":…,"bytes_per_sample":…,"staleness_p99":…,"lost_segments":…,"load_avg_1m":…}
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from '@s2r/core';
import { trainPpo } from '../src/ppo/train.ts';
import { trainCluster } from '../src/cluster/learner.ts';
import { startNatsServer } from '../src/cluster/server.ts';

const args = parseArgs(process.argv.slice(2), { values: ['task', 'steps', 'envs', 'seed'] });
const task = args.str('task', 'cartpole');
const steps = args.num('steps', 40960);
const envs = args.num('envs', 16);
const seed = args.num('seed', 1);
const S2R = resolve(import.meta.dirname, '../../cli/bin/s2r.mjs');
const dir = mkdtempSync(join(tmpdir(), 's2r-bench-cluster-'));
const layers = [{ totalSteps: steps, numEnvs: envs, workers: 1, seed, checkpointEvery: 1_000_000 }];
const quiet = () => {};
const err = (s: string) => process.stderr.write(`${s}\n`);

err(`local_1w: ${task}, ${envs} envs, 1 env thread, ${steps} steps`);
const local = await trainPpo({ task, overrides: layers, outDir: join(dir, 'local'), progress: 'none', log: quiet });
const localSps = steady(local.runDir);

const nats = await startNatsServer({ storeDir: join(dir, 'js') });
const staleness: Record<string, number> = {};
let lost = 0;
let bytes = 0;
let samples = 0;
const costs = { updateMs: [] as number[], waitMs: [] as number[], ingestMs: 0, collectMs: 0, publishMs: 0, published: 0 };

/** Env steps per second between the end of iteration 2 and the last iteration (metrics.jsonl). */
function steady(runDir: string): number {
  const l = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((x) => JSON.parse(x) as { envSteps: number; wallS: number });
  const a = l[1]!;
  const b = l[l.length - 1]!;
  return (b.envSteps - a.envSteps) / (b.wallS - a.wallS);
}

async function clusterPhase(workers: number): Promise<number> {
  const procs = Array.from({ length: workers }, () => {
    const p = spawn(process.execPath, [S2R, 'worker', '--cluster', nats.url, '--threads', '1', '--wait', '300'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (b) => (out += b));
    return { exited: new Promise<number | null>((res) => p.once('exit', res)), out: () => out };
  });
  err(`cluster_${workers}w: learner + ${workers} worker process(es), segments of ${envs / workers} envs`);
  const r = await trainCluster({
    task, overrides: layers, outDir: join(dir, `cluster-${workers}w`), progress: 'none', log: quiet, auth: { source: 'none' },
    cluster: { url: nats.url, segmentEnvs: envs / workers, maxStaleness: 1, deterministic: false, queueLimit: 0, waitS: 300 },
  });
  const reports = await Promise.all(procs.map(async (p) => ((await p.exited) === 0 ? JSON.parse(p.out().trim().split('\n').pop()!) : { segments: NaN, collect_ms: NaN, publish_ms: NaN })));
  const published = reports.reduce((a, w) => a + w.segments, 0);
  costs.collectMs += reports.reduce((a, w) => a + w.collect_ms, 0);
  costs.publishMs += reports.reduce((a, w) => a + w.publish_ms, 0);
  costs.published += published * (envs / workers) * r.config.stepsPerEnv;
  const lines = readFileSync(join(r.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const used = lines.reduce((a, l) => a + l.cluster.segments.length, 0);
  const dropped = lines.reduce((a, l) => a + l.cluster.dropped, 0);
  for (const l of lines) {
    for (const [k, v] of Object.entries(l.cluster.staleness as Record<string, number>)) staleness[k] = (staleness[k] ?? 0) + v;
    bytes += l.cluster.bytes;
    samples += l.cluster.segments.length * (envs / workers) * r.config.stepsPerEnv;
    costs.updateMs.push(l.update.updateMs);
    costs.waitMs.push(l.cluster.waitMs);
    costs.ingestMs += l.cluster.ingestMs;
  }
  // Segments published after the learner's last pull stay queued in the work-queue stream: not lost.
  const queued = await pendingOf(r.cluster.runId);
  lost += published - used - dropped - queued;
  const sps = steady(r.runDir);
  err(`  ${sps.toFixed(0)} steps/s; published ${published}, trained on ${used}, dropped ${dropped}, still queued ${queued}`);
  return sps;
}

async function pendingOf(runId: string): Promise<number> {
  const { connectCluster, SEGMENT_STREAM } = await import('../src/cluster/connect.ts');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connectCluster(nats.url, { auth: { source: 'none' }, name: 'bench', log: quiet });
  try {
    const i = await (await jetstreamManager(nc)).consumers.info(SEGMENT_STREAM, `learner-${runId}`);
    return i.num_pending + i.num_ack_pending;
  } finally {
    await nc.close();
  }
}

let c1 = NaN;
let c2 = NaN;
try {
  c1 = await clusterPhase(1);
  c2 = await clusterPhase(2);
} finally {
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
}
const hist = Object.entries(staleness).map(([k, v]) => [Number(k), v] as const).sort((a, b) => a[0] - b[0]);
const total = hist.reduce((a, [, v]) => a + v, 0);
let acc = 0;
const p99 = hist.find(([, v]) => (acc += v) >= 0.99 * total)?.[0] ?? null;
const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / Math.max(1, x.length);
err(`staleness histogram ${JSON.stringify(staleness)}; learner update ${mean(costs.updateMs).toFixed(1)} ms/iteration, wait for segments ${mean(costs.waitMs).toFixed(1)} ms/iteration`);
console.log(
  JSON.stringify({
    bench: 'cluster',
    task,
    env_steps_per_s: { local_1w: Math.round(localSps), cluster_1w: Math.round(c1), cluster_2w: Math.round(c2) },
    overhead_pct: Number((100 * (1 - c1 / localSps)).toFixed(1)),
    bytes_per_sample: Number((bytes / samples).toFixed(1)),
    staleness_p99: p99,
    lost_segments: lost,
    learner_update_ms: Number(mean(costs.updateMs).toFixed(1)),
    learner_ingest_us_per_sample: Number(((1000 * costs.ingestMs) / samples).toFixed(2)),
    worker_collect_steps_per_s: Math.round(costs.published / (costs.collectMs / 1000)),
    worker_publish_us_per_sample: Number(((1000 * costs.publishMs) / costs.published).toFixed(2)),
    samples_per_update: envs * local.config.stepsPerEnv,
    load_avg_1m: Number(loadavg()[0]!.toFixed(2)),
  }),
);
