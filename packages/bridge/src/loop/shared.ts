/**
 * Shared memory between the control thread and the rest of the process. Flags are Int32 cells so either side
 * can set them with Atomics without a message round trip (an e-stop must not wait for an event loop).
 */
export const CTRL = {
  /** Main → loop: finish (soft stop, then deactivate). */
  STOP: 0,
  /** Main → loop: latch the e-stop. The value is a reason code (index in ESTOP_REASONS). */
  ESTOP: 1,
  /** Main → loop: clear the e-stop latch (explicit reset). Incremented per request. */
  RESET: 2,
  /** Loop → main: current safety phase code (index in PHASES). */
  PHASE: 3,
  /** Loop → main: ticks run. */
  TICKS: 4,
  /** Loop → main: missed deadlines so far. */
  MISSED: 5,
  /** Loop → main: 1 while the loop is running. */
  RUNNING: 6,
  SIZE: 8,
} as const;

export const ESTOP_REASONS = ['', 'api', 'SIGINT', 'stdin key', 'ros e-stop topic', 'SIGTERM', 'SIGHUP'] as const;

export const PHASES = ['idle', 'soft_start', 'running', 'watchdog', 'estop', 'soft_stop', 'stopped'] as const;
