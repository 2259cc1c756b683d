import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainCluster, type ClusterTrainOptions } from '../../src/cluster/learner.ts';
import { runWorker } from '../../src/cluster/worker.ts';
import { useNats, spawnWorker, type WorkerProc } from './nats-fixture.ts';

const fx = useNats();
const procs = fx.procs;

const metrics = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const base = (out: string, logs: string[]): ClusterTrainOptions => ({
  task: 'cartpole', outDir: out, progress: 'none', log: (s) => logs.push(s), auth: { source: 'none' },
  overrides: [{ totalSteps: 10 * 16 * 32, checkpointEvery: 2 }],
  cluster: { url: fx.nats().url, segmentEnvs: 0, maxStaleness: 1, deterministic: false, queueLimit: 0, waitS: 90 },
});

describe('cluster faults (real nats-server, worker processes)', () => {
  it('the server restarts mid-run: learner and worker reconnect and the run finishes, no segment twice', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 's2r-cl-restart-')), 'run');
    const w = await spawnWorker(fx.nats().url);
    procs.push(w);
    const logs: string[] = [];
    let restart: Promise<void> | null = null;
    const r = await trainCluster({
      ...base(out, logs),
      onIteration(m) {
        // Not awaited: the learner goes on pulling segments while the server is down.
        if (m.iteration === 3) restart = fx.nats().restart();
      },
    });
    await restart;
    expect(r.stoppedBy).toBe('steps');
    expect(r.iterations).toBe(10);
    expect(await w.exited, w.out()).toBe(0);
    expect(w.out()).toMatch(/reconnected to nats:/);
    expect(logs.join('\n')).toMatch(/reconnected to nats:/);
    const ids = metrics(r.runDir).flatMap((l) => l.cluster.segments);
    expect(new Set(ids).size).toBe(ids.length);
  }, 240_000);

  it('a learner restarted from its checkpoint resumes on the same stream and counts no segment twice', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 's2r-cl-resume-')), 'run');
    const w = await spawnWorker(fx.nats().url);
    procs.push(w);
    const logs: string[] = [];
    // A crash right after iteration 5 (checkpoints every 2: the newest is iteration 4).
    await expect(
      trainCluster({
        ...base(out, logs),
        onIteration(m) {
          if (m.iteration === 5) throw new Error('simulated learner crash');
        },
      }),
    ).rejects.toThrow(/simulated learner crash/);
    expect(existsSync(join(out, 'checkpoints', 'ckpt-000004.json'))).toBe(true);
    const before = metrics(out);
    const r = await trainCluster({ ...base(out, logs), outDir: undefined, resume: out });
    expect(r.stoppedBy).toBe('steps');
    expect(r.iterations).toBe(10);
    expect(r.cluster.incarnation).toBe(2);
    expect(await w.exited, w.out()).toBe(0);
    const after = metrics(out).slice(before.length);
    expect(after[0].iteration).toBe(5); // resumed at the checkpoint, iteration 4
    const counted = [...before.filter((l) => l.iteration <= 4), ...after].flatMap((l) => l.cluster.segments as string[]);
    expect(new Set(counted).size).toBe(counted.length);
    // The worker kept its slot and sequence across the learner restart: same stream, same consumer.
    expect(after.flatMap((l) => l.cluster.segments as string[]).every((id: string) => id.startsWith(before[0].cluster.segments[0].replace(/-\d+$/, '')))).toBe(true);
  }, 240_000);

  it('nothing waits forever: a worker without a learner and a learner without workers each fail with a message', async () => {
    // Every run above is done, so no job is running on this server now.
    await expect(runWorker({ url: fx.nats().url, auth: { source: 'none' }, threads: 0, waitS: 2, log: () => {} })).rejects.toThrow(
      `no training job announced on ${fx.nats().url} within 2 s; start the learner with: npx s2r train <task> --cluster ${fx.nats().url}`,
    );
    const out = join(mkdtempSync(join(tmpdir(), 's2r-cl-nowork-')), 'run');
    const o = base(out, []);
    await expect(trainCluster({ ...o, cluster: { ...o.cluster, waitS: 2 } })).rejects.toThrow(/no segment from any worker for 2 s \(have 0\/1 for version 0\); is a worker running\? npx s2r worker --cluster nats:/);
  }, 60_000);
});
