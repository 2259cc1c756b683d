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
 * Busy-wait granularity. Every performance.now() call allocates a heap number (~30 B); spinning on it for 0.2 ms per
 * tick allocated ~90 KB per tick at 1 kHz, so a young-generation GC (~0.15 ms) landed in the spin every ~45 ms and
 * made that tick late. Between clock reads we burn ~1 µs on Atomics.load of a shared cell (cannot be optimised away,
 * allocates nothing): ~200 clock reads per tick instead of ~1500, at ≤ 1 µs of added lateness.
 */
let spinItersPerUs = 0;
function calibrate(): number {
  if (spinItersPerUs) return spinItersPerUs;
  let iters = 1000;
  let x = 0;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) x += Atomics.load(sleepCell, 0);
    const us = (performance.now() - t0) * 1e3;
    if (us > 200 || iters > 1e8) {
      spinItersPerUs = Math.max(1, Math.floor(iters / Math.max(us, 1e-3)) + (x & 0));
      return spinItersPerUs;
    }
    iters *= 4;
  }
}

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
  const k = spinItersPerUs || calibrate();
  let x = 0;
  while (now < deadline) {
    for (let i = 0; i < k; i++) x += Atomics.load(sleepCell, 0);
    now = nowS();
  }
  return x === -1 ? -now : now; // `x` is always 0: this only keeps the burn loop observable to the optimiser
}
