/** Is process `pid` alive? (signal 0 probes without signalling; EPERM means it exists but belongs to another user.) Used by the pid lock files of recordings and serial devices to take over stale locks. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
