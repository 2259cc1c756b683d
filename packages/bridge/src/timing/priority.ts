/**
 * Real-time scheduling for the calling thread, as ros2_control does (its main thread runs SCHED_FIFO, priority 50).
 * Linux only: the thread id comes from /proc/thread-self, the policy is set with `chrt` (util-linux; Node has no
 * sched_setscheduler). Without permission (CAP_SYS_NICE) or chrt, it falls back to a nice value for this thread
 * (setpriority on Linux is per thread), and says what it got. The kernel's RT throttling
 * (sched_rt_runtime_us, 95% by default) keeps a runaway RT thread from locking up the machine.
 */
import os from 'node:os';
import { readlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export interface ThreadPriority {
  /** 'fifo' = SCHED_FIFO with `rtPriority` (1..99); 'nice' = only a nice value; 'none' = leave as is. */
  policy: 'fifo' | 'nice' | 'none';
  rtPriority?: number;
  nice?: number;
}

/** Returns a one-line description of what the thread got. */
export function setThreadPriority(p: ThreadPriority): string {
  if (p.policy === 'none') return 'normal priority';
  if (p.policy === 'fifo' && process.platform === 'linux') {
    const prio = p.rtPriority ?? 50;
    try {
      const tid = readlinkSync('/proc/thread-self').split('/').pop()!;
      execFileSync('chrt', ['-f', '-p', String(prio), tid], { stdio: 'ignore', timeout: 2000 });
      return `SCHED_FIFO ${prio} (thread ${tid})`;
    } catch {
      // fall through to nice
    }
  }
  const nice = p.nice ?? -10;
  try {
    os.setPriority(nice);
    return `nice ${nice} (SCHED_FIFO unavailable)`;
  } catch (e) {
    return `normal priority (nice ${nice} refused: ${(e as Error).message})`;
  }
}
