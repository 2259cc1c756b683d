/**
 * Monotonic time and precise sleeping for the control thread.
 * `setTimeout` drifts by milliseconds; here we block the thread with `Atomics.wait` until ~0.2 ms before the
 * deadline (the kernel wakes us a little late, never early by much), then spin on the clock for the rest.
 */
import { performance } from 'node:perf_hooks';

/** Monotonic seconds since the process' time origin. */
export function nowS(): number {
  return performance.now() * 1e-3;
}

/** Spin margin (s): how long before the deadline Atomics.wait hands over to the busy-wait. */
export const DEFAULT_SPIN_S = 0.0002;

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Block until `deadline` (seconds on the `nowS` clock). Returns the wake time.
 * Atomics.wait is allowed in workers and in Node's main thread; nobody ever notifies `sleepCell`, so it is a
 * pure timed sleep. `wake` (optional) lets another thread cut the sleep short (e.g. e-stop) via Atomics.notify.
 */
export function sleepUntil(deadline: number, spinS = DEFAULT_SPIN_S, wake?: Int32Array, wakeIndex = 0): number {
  let now = nowS();
  const coarse = deadline - spinS - now;
  if (coarse > 0) {
    const ms = coarse * 1e3;
    if (wake) Atomics.wait(wake, wakeIndex, Atomics.load(wake, wakeIndex), ms);
    else Atomics.wait(sleepCell, 0, 0, ms);
    now = nowS();
  }
  while (now < deadline) now = nowS();
  return now;
}
