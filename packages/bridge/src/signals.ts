/**
 * Operator stop signals for a running deploy. SIGINT (Ctrl-C), SIGTERM (systemd, docker stop, kill) and SIGHUP
 * (the terminal closed) all mean "stop, safely": the first one runs `first` (latch the e-stop, stop the loop, which
 * then finalizes the recording and prints the summary); a second one runs `again` (end now). While installed, Node's
 * default action for these signals (die at once, exit 128+n, the robot left to the firmware's watchdog) is off.
 */
import { OPERATOR_SIGNALS, type OperatorSignal } from './outcome.ts';

export interface SignalHandlers {
  first(sig: OperatorSignal): void;
  again(sig: OperatorSignal): void;
}

/** Install the handlers; returns `deliver` (for Ctrl-C typed on a raw stdin) and `remove`. */
export function handleOperatorSignals(h: SignalHandlers): { deliver: (sig: OperatorSignal) => void; remove: () => void } {
  let count = 0;
  const deliver = (sig: OperatorSignal) => {
    if (count++ === 0) h.first(sig);
    else if (count === 2) h.again(sig);
    // A third and later signal: `again` already ended the loop; nothing is left to do but finish printing.
  };
  const listeners = OPERATOR_SIGNALS.map((sig) => [sig, () => deliver(sig)] as const);
  for (const [sig, fn] of listeners) process.on(sig, fn);
  return {
    deliver,
    remove: () => {
      for (const [sig, fn] of listeners) process.off(sig, fn);
    },
  };
}
