/**
 * Worker side of makeVecEnv: builds envs [start, end) of the task, then loops on the control block —
 * Atomics.wait for a new command, run it on the shared buffers, add one to DONE. Blocking here is fine:
 * this thread does nothing else.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { load } from '../tasks/registry.ts';
import { EnvSlice } from './env-slice.ts';
import type { TaskEnv } from './types.ts';
import { CMD, CTRL, SEED_BYTE_OFFSET, viewSabs, type VecLayout, type VecSabs } from './vec-buffers.ts';

const { task, overrides, start, end, layout, sabs } = workerData as { task: string; overrides: unknown; start: number; end: number; layout: VecLayout; sabs: VecSabs };
const ctrl = new Int32Array(sabs.control, 0, CTRL.SIZE);
const seedView = new Float64Array(sabs.control, SEED_BYTE_OFFSET, 1);

function errText(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

// Read the sequence number before announcing readiness, so the first command cannot slip past us.
let seq = Atomics.load(ctrl, CTRL.SEQ);
let slice: EnvSlice;
try {
  const envs: TaskEnv[] = [];
  for (let i = start; i < end; i++) envs.push(await load(task, overrides as never, { print: false }));
  slice = new EnvSlice(envs, start, viewSabs(sabs), layout, () => load(task, overrides as never, { print: false }));
  parentPort!.postMessage({ type: 'ready' });
} catch (e) {
  parentPort!.postMessage({ type: 'error', message: errText(e) });
  throw e;
}

for (;;) {
  Atomics.wait(ctrl, CTRL.SEQ, seq);
  seq = Atomics.load(ctrl, CTRL.SEQ);
  const cmd = Atomics.load(ctrl, CTRL.CMD);
  let stop = false;
  try {
    if (cmd === CMD.RESET) await slice.reset(seedView[0]!);
    else if (cmd === CMD.STEP) slice.step();
    else if (cmd === CMD.CLOSE) {
      slice.close();
      stop = true;
    }
  } catch (e) {
    parentPort!.postMessage({ type: 'error', message: `envs [${start}, ${end}): ${errText(e)}` });
    Atomics.store(ctrl, CTRL.ERROR, 1);
    stop = true;
  }
  Atomics.add(ctrl, CTRL.DONE, 1);
  Atomics.notify(ctrl, CTRL.DONE);
  if (stop) break;
}
parentPort!.close();
