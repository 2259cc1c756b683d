/**
 * The one condition wait of every test (root and package tests import it; it imports nothing, so no cycle).
 * The machine is shared and CI runs at load 4–6: tests wait for a condition, never for a fixed time.
 */

export interface WaitOptions {
  /** Give up after this long, ms (default 8000). */
  timeoutMs?: number;
  /** Poll period, ms (default 5; use more for conditions that cost a round trip). */
  stepMs?: number;
}

/**
 * Resolve once `cond()` is truthy (it may be async); otherwise fail after `timeoutMs` with an error that says what
 * was awaited: "timed out after 8000 ms waiting for <what>".
 */
export async function waitFor(cond: () => unknown, what: string, o: WaitOptions = {}): Promise<void> {
  const timeoutMs = o.timeoutMs ?? 8000;
  const stepMs = o.stepMs ?? 5;
  const end = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
