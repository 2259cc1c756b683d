/**
 * Worker side of GradShards (grad-shards.ts): its own tfjs backend and copies of the actor and critic; per
 * minibatch it loads the parameters from shared memory, computes its fixed shards' gradients into their slots and
 * adds one to DONE. Blocking in Atomics.wait is fine: this thread does nothing else.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../backend.ts';
import { TfMlp, type MlpLayerData } from '../nn/mlp.ts';
import { shardGradient, STATS, SHARD_CTRL as CTRL, type ShardLayout, type ShardSabs } from './grad-shard-kernel.ts';

const { layout: L, sabs, shards, backend, mbKeys } = workerData as { layout: ShardLayout; sabs: ShardSabs; shards: [number, number]; backend: string; mbKeys: string[] };
const ctrl = new Int32Array(sabs.ctrl);
const params = new Float32Array(sabs.params);
const grads = new Float32Array(sabs.grads);
const stats = new Float64Array(sabs.stats);
const views: Record<string, Float32Array> = {};
for (const k of mbKeys) {
  const sab = (sabs.mb as Record<string, SharedArrayBuffer | undefined>)[k];
  if (sab) views[k] = new Float32Array(sab);
}
// A symmetric critic reads the actor's observations (Minibatch shares the array).
views.criticObs ??= views.obs!;
const mb = views as unknown as Parameters<typeof shardGradient>[4];

/** Layer views of the flat parameter block starting at `o` (no copy). */
function layersAt(sizes: number[], o: number): { layers: MlpLayerData[]; end: number } {
  const layers: MlpLayerData[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const nin = sizes[i]!;
    const nout = sizes[i + 1]!;
    const w = params.subarray(o, o + nin * nout);
    o += nin * nout;
    const b = params.subarray(o, o + nout);
    o += nout;
    layers.push({ in: nin, out: nout, w, b });
  }
  return { layers, end: o };
}

let seq = Atomics.load(ctrl, CTRL.SEQ);
let actor: TfMlp;
let critic: TfMlp;
try {
  await initBackend(backend, { quiet: true });
  actor = new TfMlp(layersAt(L.actorSizes, 0).layers, L.activation, 'actor');
  critic = new TfMlp(layersAt(L.criticSizes, 0).layers, L.activation, 'critic');
  parentPort!.postMessage({ type: 'ready' });
} catch (e) {
  parentPort!.postMessage({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  throw e;
}

for (;;) {
  Atomics.wait(ctrl, CTRL.SEQ, seq);
  seq = Atomics.load(ctrl, CTRL.SEQ);
  if (Atomics.load(ctrl, CTRL.STOP)) break;
  try {
    const a = layersAt(L.actorSizes, 0);
    actor.load(a.layers);
    const logStd = params.slice(a.end, a.end + L.A);
    critic.load(layersAt(L.criticSizes, a.end + L.A).layers);
    for (let k = shards[0]; k < shards[1]; k++) {
      shardGradient(L, actor, critic, logStd, mb, k, grads.subarray(k * L.P, (k + 1) * L.P), stats.subarray(k * STATS, (k + 1) * STATS));
    }
  } catch (e) {
    parentPort!.postMessage({ type: 'error', message: `shards [${shards}]: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` });
    Atomics.store(ctrl, CTRL.ERROR, 1);
  }
  Atomics.add(ctrl, CTRL.DONE, 1);
  Atomics.notify(ctrl, CTRL.DONE);
}
actor!.dispose();
critic!.dispose();
parentPort!.close();
