import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainPpo } from '../../src/ppo/train.ts';
import { trainCluster } from '../../src/cluster/learner.ts';
import { useNats, spawnWorker } from './nats-fixture.ts';

const fx = useNats();

const quiet = () => {};
// 4 iterations of the cartpole defaults (16 envs × 32 steps), plain-JS inference as --deterministic sets it.
const layers = [{ totalSteps: 4 * 16 * 32, rolloutInference: 'js', seed: 7 }];

describe('cluster determinism', () => {
  it('one worker with --deterministic gives the same policy as a local run with the same seed, bit for bit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 's2r-cl-det-'));
    const local = await trainPpo({ task: 'cartpole', overrides: layers, outDir: join(dir, 'local'), progress: 'none', log: quiet });
    const worker = await spawnWorker(fx.nats().url);
    const cl = await trainCluster({
      task: 'cartpole', overrides: layers, outDir: join(dir, 'cluster'), progress: 'none', log: quiet, auth: { source: 'none' },
      cluster: { url: fx.nats().url, segmentEnvs: 0, maxStaleness: 1, deterministic: true, queueLimit: 0, waitS: 60 },
    });
    expect(await worker.exited, worker.out()).toBe(0);
    expect(worker.out()).toMatch(/"stoppedBy":"job-done"/);
    expect(cl.iterations).toBe(local.iterations);
    const weights = (p: string) => {
      const a = JSON.parse(readFileSync(p, 'utf8'));
      return { tensors: a.tensors, normalizer: a.normalizer };
    };
    expect(weights(cl.artifactPath)).toEqual(weights(local.artifactPath));
    // Metrics agree too: same episodes finished, same update statistics.
    const m = (p: string) => readFileSync(join(p, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const [ml, mc] = [m(local.runDir), m(cl.runDir)];
    expect(mc.map((x) => x.meanReturn)).toEqual(ml.map((x) => x.meanReturn));
    expect(mc.map((x) => x.update.kl)).toEqual(ml.map((x) => x.update.kl));
    expect(mc.every((x) => x.cluster.staleness['0'] === 1)).toBe(true);
  }, 180_000);
});
