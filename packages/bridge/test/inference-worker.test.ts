import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { spawnWorker } from '@s2r/core';
import { INF, QueuedSource, makeInferenceChannel } from '../src/loop/action-source.ts';

const POLICIES = fileURLToPath(new URL('./helpers/policies.ts', import.meta.url));

describe('inference worker', () => {
  it('resets its (stateful) policy when the loop resets its queue, e.g. on re-activation', { timeout: 60_000 }, async () => {
    const joints = ['a', 'b'];
    const spec = { horizon: 4, execute: 2, obsHistory: 1 };
    const ch = makeInferenceChannel(spec, 6, 2);
    const w = spawnWorker(new URL('../src/loop/inference-worker.ts', import.meta.url), {
      source: { module: POLICIES, export: 'resetCountingPolicy', options: { joints, defaultPose: [0, 0], chunk: spec } },
      channel: ch,
      obsHistory: 1,
    });
    try {
      await new Promise<void>((res, rej) => {
        w.on('message', (m: { type: string; message?: string }) => (m.type === 'ready' ? res() : m.type === 'fatal' ? rej(new Error(m.message)) : undefined));
        w.on('error', rej);
      });
      const q = new QueuedSource(ch, spec, 6, 2, 0.02);
      const obs = new Float32Array(6);
      // Drive policy steps until an action comes out of the queue (the worker answers asynchronously). Bounded by
      // a generous wall-clock limit, not a step count: on a loaded CI host the worker can be starved for a second.
      let step = 0;
      const firstAction = async (): Promise<number> => {
        const end = performance.now() + 20_000;
        while (performance.now() < end) {
          const a = q.next(step++, obs, performance.now() / 1000);
          if (a) return a[0]!;
          await new Promise((r) => setTimeout(r, 2));
        }
        throw new Error('no chunk from the inference worker within 20 s');
      };
      // The worker resets once after its warm-up.
      expect(await firstAction()).toBe(1);
      q.reset();
      expect(Atomics.load(new Int32Array(ch.ctrl), INF.RESET_SEQ)).toBe(1);
      expect(await firstAction()).toBe(2);
    } finally {
      Atomics.store(new Int32Array(ch.ctrl), INF.SHUTDOWN, 1);
      Atomics.notify(new Int32Array(ch.ctrl), INF.REQ_SEQ);
      await w.terminate();
    }
  });
});
