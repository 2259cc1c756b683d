/**
 * One device, one owner. The serial binding's own lock (TIOCEXCL) does not stop a second process running as root,
 * so two `s2r deploy` on one port both ran, and the device flipped between their commands. Before the port is
 * opened we take a UUCP-style lock file (the convention minicom, picocom and ModemManager share): LCK..<device>
 * in /run/lock (or /var/lock, or the temp folder), created exclusively, holding the owner's pid as "%10d\n".
 * A lock whose process is gone (kill -9, power loss) is stale and taken over.
 */
import { closeSync, existsSync, openSync, readFileSync, realpathSync, unlinkSync, writeSync, accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pidAlive } from '@s2r/core';

export interface DeviceLock {
  /** The lock file, or null when the device path does not exist (opening it will fail with its own error). */
  readonly file: string | null;
  release(): void;
}

function lockDir(): string {
  for (const d of ['/run/lock', '/var/lock']) {
    try {
      accessSync(d, constants.W_OK);
      return d;
    } catch {
      // not there or not writable: next
    }
  }
  return tmpdir();
}

/** What the owner process is, for the error message: its command line when /proc has it. */
function describe(pid: number): string {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return cmd ? `process ${pid} (${cmd.length > 160 ? cmd.slice(0, 157) + '...' : cmd})` : `process ${pid}`;
  } catch {
    return `process ${pid}`;
  }
}

/** Lock `device` for this process, or throw naming the process that owns it. */
export function lockDevice(device: string): DeviceLock {
  if (!existsSync(device)) return { file: null, release() {} };
  // The real device, so /dev/ttyUSB0 and a udev symlink to it share one lock.
  const real = realpathSync(device);
  const file = join(lockDir(), `LCK..${real.replace(/^\/dev\//, '').replace(/\//g, '_')}`);
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot lock ${device}: ${(e as Error).message}`);
      let pid = NaN;
      try {
        pid = parseInt(readFileSync(file, 'utf8').trim(), 10);
      } catch {
        continue; // removed meanwhile: try again
      }
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) {
        throw new Error(`${device} is in use by ${describe(pid)} (lock ${file}): a device has one owner; stop that process first`);
      }
      // Stale (its process is gone) or unreadable: take it over.
      try {
        unlinkSync(file);
      } catch {
        // another process took it over first: the next attempt sees its lock
      }
      continue;
    }
    writeSync(fd, `${String(process.pid).padStart(10)}\n`);
    closeSync(fd);
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      process.off('exit', release);
      try {
        if (parseInt(readFileSync(file, 'utf8').trim(), 10) === process.pid) unlinkSync(file);
      } catch {
        // already gone
      }
    };
    process.on('exit', release); // an exit that skips deploy's finally still frees the device
    return { file, release };
  }
  throw new Error(`cannot lock ${device}: the lock file ${file} keeps changing`);
}
