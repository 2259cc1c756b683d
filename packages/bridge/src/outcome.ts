/**
 * How a deploy ended, decided from generic evidence that every hardware kind gives (ticks that carried a joint
 * state, ticks in the running phase, policy steps, commands written, the link's last state), so that scripts can
 * tell the outcomes apart by `"deploy"` and by exit code:
 *
 *  - done (exit 0): the running phase was reached and the run ended by its --duration or an operator's stop
 *    (SIGINT, SIGTERM, SIGHUP, or an AbortSignal); `stopped_by` says which. `degraded` is non-null when the run
 *    spent ticks in watchdog holds (stale state) or non-finite-action holds, with the counts.
 *  - estopped (exit 3): an e-stop latched by anything but an operator's signal (stdin key, API) was still latched.
 *  - failed (exit 4): the robot was not controlled: no state ever arrived, the running phase was never reached, the
 *    policy never ran or produced only NaN/Inf, no command reached the hardware, the link was lost and not
 *    recovered, or a second signal ended the loop before its soft stop. `reason` is one line.
 */

export type DeployOutcome = 'done' | 'estopped' | 'failed';

/** Process exit code for each outcome (1 is any error before the loop ran, 2 a usage error). */
export const EXIT_CODES: Record<DeployOutcome, number> = { done: 0, estopped: 3, failed: 4 };

/** Signals that mean "operator: stop now, safely" (systemd and docker send SIGTERM; a closed terminal SIGHUP). */
export const OPERATOR_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type OperatorSignal = (typeof OPERATOR_SIGNALS)[number];

export interface RunEvidence {
  /** Safety phase when the loop ended, and the reason of the e-stop latch in force ('' if none). */
  finalPhase: string;
  estopReason: string;
  /** The first operator signal received, 'abort' for an AbortSignal, or null (the run ran to its --duration). */
  stopRequestedBy: OperatorSignal | 'abort' | null;
  /** A second signal ended the control thread before it finished: which one. */
  abortedBy: OperatorSignal | null;
  hardware: string;
  rateHz: number;
  watchdogPeriods: number;
  dryRun: boolean;
  /** A policy drives the robot (not a hold-pose run). */
  usesPolicy: boolean;
  ticks: number;
  /** Ticks whose hardware read returned a state. */
  stateTicks: number;
  /** Ticks in the running phase (policy in control). */
  runningTicks: number;
  policySteps: number;
  /** Commands the hardware accepted (write() returned true). */
  writes: number;
  /** Loop time (s) of the last tick that carried a state, and of the last tick. */
  lastStateT: number;
  endT: number;
  /** Ticks on which the watchdog held (stale state) and on which a non-finite action was replaced by a hold. */
  watchdogTicks: number;
  nonfiniteTicks: number;
  /** The hardware's own link flag at the end (serial: linkUp), when it has one. */
  linkUp?: number;
}

export interface Verdict {
  deploy: DeployOutcome;
  /** 'duration', 'SIGINT', 'SIGTERM', 'SIGHUP', 'abort', or the e-stop reason for estopped. */
  stopped_by: string;
  /** One line for failed (and estopped) runs, else null. */
  reason: string | null;
  degraded: { watchdog_ticks: number; watchdog_s: number; nonfinite_holds: number } | null;
}

/** A share of the running ticks with non-finite actions at or above which the policy "produced only NaN". */
const NONFINITE_FAIL_FRACTION = 0.9;

const isOperatorSignal = (s: string): s is OperatorSignal => (OPERATOR_SIGNALS as readonly string[]).includes(s);

export function judgeRun(e: RunEvidence): Verdict {
  const stoppedBy = e.stopRequestedBy ?? 'duration';
  const degraded = e.watchdogTicks > 0 || e.nonfiniteTicks > 0
    ? { watchdog_ticks: e.watchdogTicks, watchdog_s: Math.round((e.watchdogTicks / e.rateHz) * 1000) / 1000, nonfinite_holds: e.nonfiniteTicks }
    : null;
  const fail = (reason: string): Verdict => ({ deploy: 'failed', stopped_by: stoppedBy, reason, degraded });
  if (e.abortedBy) return fail(`aborted by a second ${e.abortedBy}: the control thread was ended before its soft stop (the e-stop was latched, the robot damping)`);
  if (e.finalPhase === 'estop' && e.estopReason && !isOperatorSignal(e.estopReason)) {
    return { deploy: 'estopped', stopped_by: e.estopReason, reason: `e-stop latched (${e.estopReason})`, degraded };
  }
  const bySignal = e.stopRequestedBy && e.stopRequestedBy !== 'abort' ? ` (stopped by ${e.stopRequestedBy} at t=${e.endT.toFixed(2)} s)` : '';
  if (e.stateTicks === 0) return fail(`no joint state ever arrived from ${e.hardware} in ${e.ticks} ticks${bySignal}`);
  if (e.runningTicks === 0) {
    return fail(`the running phase was never reached: the policy never took control${bySignal || ` (the soft start or the watchdog held the robot for the whole run; ${e.watchdogTicks} watchdog ticks)`}`);
  }
  if (e.usesPolicy && e.policySteps === 0) return fail(`the policy never ran: 0 steps in ${e.runningTicks} running ticks`);
  if (e.usesPolicy && e.nonfiniteTicks >= NONFINITE_FAIL_FRACTION * e.runningTicks) {
    return fail(`the policy's actions were non-finite (NaN/Inf) on ${e.nonfiniteTicks} of ${e.runningTicks} running ticks: the robot was only ever held`);
  }
  if (!e.dryRun && e.writes === 0) return fail(`no command reached ${e.hardware}: 0 of ${e.ticks} writes were accepted`);
  // Link lost and not recovered: states stopped long before the end (longer than a watchdog trip and than the
  // stalls a loaded host gives the sim's physics thread, measured up to ~0.1 s at load 20 on 2 cores), or the
  // hardware says its link is down. A link lost in the last second shows as `degraded` (watchdog ticks).
  const gap = e.endT - e.lastStateT;
  const allowed = Math.max(1, (3 * e.watchdogPeriods) / e.rateHz);
  if (gap > allowed) return fail(`the link was lost and not recovered: the last state arrived at t=${e.lastStateT.toFixed(2)} s, the run ended at t=${e.endT.toFixed(2)} s`);
  if (e.linkUp === 0) return fail(`the link to ${e.hardware} was down when the run ended`);
  return { deploy: 'done', stopped_by: stoppedBy, reason: null, degraded };
}

/** The stderr line for a verdict that is not a clean done, or null. */
export function verdictLine(v: Verdict): string | null {
  if (v.deploy === 'failed') return `deploy failed: ${v.reason}`;
  if (v.deploy === 'estopped') return `deploy e-stopped: ${v.reason}`;
  if (v.degraded) {
    return `deploy done but degraded: ${v.degraded.watchdog_ticks} ticks (${v.degraded.watchdog_s} s) of watchdog holds (stale state), ${v.degraded.nonfinite_holds} ticks of non-finite-action holds`;
  }
  return null;
}

/**
 * A filter for the control thread's safety log lines: phase changes are one line each, which is right until the
 * phase flaps (a state that arrives slower than the watchdog window at this rate flips watchdog ⇄ soft_start every
 * few ticks: thousands of lines). After more than `maxPerS` phase changes within one second it prints one
 * explanation and drops the watchdog / soft-start lines and intervention lines from then on; the phases that matter
 * to an operator (running, estop, soft_stop, stopped) always get through.
 */
export function safetyLogThrottle(log: (line: string) => void, maxPerS = 20): (line: string) => void {
  let windowStart = -Infinity;
  let inWindow = 0;
  let muted = false;
  return (line) => {
    if (!line.startsWith('safety: ') || /^safety: phase (running|estop|soft_stop|stopped)\b/.test(line)) return log(line);
    if (muted) return;
    if (line.startsWith('safety: phase ')) {
      const now = Date.now();
      if (now - windowStart > 1000) {
        windowStart = now;
        inWindow = 0;
      }
      if (++inWindow > maxPerS) {
        muted = true;
        log(`safety: the phase is flapping (more than ${maxPerS} phase changes in 1 s): state is not arriving within the watchdog window at this rate; watchdog / soft-start and intervention lines are suppressed from here (counts are in the summary). Lower --rate or raise --watchdog.`);
        return;
      }
    }
    log(line);
  };
}
