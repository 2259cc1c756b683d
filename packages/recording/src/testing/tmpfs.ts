/**
 * A real small filesystem for full-disk tests: a tmpfs of `size` (e.g. '256k') mounted on a fresh temp folder.
 * Needs root (CI runs as root); anything else is an error that says so, not a skip.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  dir: string;
  unmount(): void;
}

export function mountTmpfs(size: string): Tmpfs {
  if (process.getuid?.() !== 0) throw new Error(`mountTmpfs: mounting a ${size} tmpfs for the full-disk test needs root (uid ${process.getuid?.()})`);
  const dir = mkdtempSync(join(tmpdir(), 's2r-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mountTmpfs: mount -t tmpfs -o size=${size} tmpfs ${dir} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  return {
    dir,
    unmount() {
      let u = spawnSync('umount', [dir], { encoding: 'utf8' });
      // Busy (a failed test left a file open): detach it now, the kernel frees it when the last fd closes.
      if (u.status !== 0) u = spawnSync('umount', ['-l', dir], { encoding: 'utf8' });
      if (u.status !== 0) throw new Error(`umount ${dir} failed: ${u.stderr.trim()}`);
      rmdirSync(dir);
    },
  };
}
