/**
 * Is this file an MCAP recording at all? `s2r view` asks before serving it, so a zero-byte file or a file of
 * another kind is refused on the command line instead of starting a viewer with nothing (or garbage) in it.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** The 8 magic bytes every MCAP file starts with: 0x89 "MCAP" "0" "\r\n" (MCAP spec, major version 0). */
export const MCAP_MAGIC = Uint8Array.from([0x89, 0x4d, 0x43, 0x41, 0x50, 0x30, 0x0d, 0x0a]);

/** Why `path` is not an MCAP recording, or null when it starts like one. */
export function notMcapReason(path: string): string | null {
  const head = new Uint8Array(MCAP_MAGIC.length);
  let n: number;
  const fd = openSync(path, 'r');
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (n === 0) return 'empty file (0 bytes), not an MCAP recording';
  if (n < head.length || MCAP_MAGIC.some((b, i) => head[i] !== b)) return `not an MCAP recording (it does not start with the MCAP magic bytes; ${n < head.length ? `only ${n} bytes` : 'another kind of file'})`;
  return null;
}
