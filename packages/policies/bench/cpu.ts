/**
 * CPU-time readings for benchmarks on a shared machine: wall time there measures the neighbours, CPU time mostly
 * the work. Linux-only parts return null elsewhere.
 */
import { readFileSync } from 'node:fs';

/** CPU ms (user + system) of this process's main thread so far, from /proc (null where there is none). */
export function mainThreadCpuMs(): number | null {
  try {
    const st = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks at USER_HZ 100
  } catch {
    return null;
  }
}

/** CPU ms (user + system) of the whole process (all threads) so far. */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
