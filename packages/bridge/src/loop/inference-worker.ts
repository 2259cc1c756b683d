/**
 * Inference worker: runs the policy off the control thread. It waits on the request counter with Atomics.wait,
 * runs actChunk (or act; awaited, so async backends work), and publishes the result by bumping the result counter. The control thread only ever does non-blocking loads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { INF, type InferenceChannel } from './action-source.ts';
import { loadDeployPolicy } from '../policy/load.ts';
import type { PolicySource } from '../policy/types.ts';

const { source, channel, obsHistory } = workerData as { source: PolicySource; channel: InferenceChannel; obsHistory: number };
const ctrl = new Int32Array(channel.ctrl);
const obs = new Float32Array(channel.obs);
const chunk = new Float32Array(channel.chunk);
const info = new Float64Array(channel.info);

try {
  const policy = await loadDeployPolicy(source);
  const D = policy.obsSize;
  const hist = Array.from({ length: obsHistory }, () => new Float32Array(D));
  // Warm up before saying ready: the first calls of a policy run unoptimised (JIT, lazy buffers) and can take
  // many times their steady latency, which the loop would otherwise meet on its first real chunk request.
  if (policy.warmup) await policy.warmup();
  else for (let k = 0; k < 3; k++) await (policy.actChunk ? policy.actChunk(hist) : policy.act!(hist[obsHistory - 1]!));
  policy.reset();
  // Read the counters *before* announcing ready: a request made the moment the loop hears 'ready' must count as
  // new, or the worker would wait for the one after it and the queue would starve (a lost wake-up).
  let seen = Atomics.load(ctrl, INF.REQ_SEQ);
  let resets = Atomics.load(ctrl, INF.RESET_SEQ);
  Atomics.store(ctrl, INF.READY, 1);
  parentPort?.postMessage({ type: 'ready' });
  for (;;) {
    // Block until the next request (this thread has nothing else to do meanwhile). Atomics.waitAsync would keep
    // the event loop free, but in Node 20 a pending waitAsync does not keep a worker alive: it silently exits.
    Atomics.wait(ctrl, INF.REQ_SEQ, seen, 100);
    if (Atomics.load(ctrl, INF.SHUTDOWN)) break;
    const seq = Atomics.load(ctrl, INF.REQ_SEQ);
    if (seq === seen) continue;
    seen = seq;
    const r = Atomics.load(ctrl, INF.RESET_SEQ);
    if (r !== resets) {
      resets = r;
      policy.reset(); // the loop was (re)activated: a stateful policy starts a new episode
    }
    for (let k = 0; k < obsHistory; k++) hist[k]!.set(obs.subarray(k * D, (k + 1) * D));
    const t0 = performance.now();
    try {
      const out = policy.actChunk ? await policy.actChunk(hist) : policy.act!(hist[obsHistory - 1]!);
      if (out.length !== chunk.length) throw new Error(`policy returned ${out.length} values, expected ${chunk.length}`);
      chunk.set(out);
    } catch (e) {
      Atomics.add(ctrl, INF.ERRORS, 1);
      parentPort?.postMessage({ type: 'error', message: String((e as Error)?.message ?? e) });
    }
    info[0] = (performance.now() - t0) * 1e-3;
    Atomics.store(ctrl, INF.RES_SEQ, seq);
    Atomics.notify(ctrl, INF.RES_SEQ);
  }
  policy.dispose?.();
} catch (e) {
  parentPort?.postMessage({ type: 'fatal', message: String((e as Error)?.stack ?? e) });
}
