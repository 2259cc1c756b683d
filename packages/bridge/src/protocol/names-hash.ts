/**
 * Joint-names hash carried by CONFIG: FNV-1a 32-bit over each name's UTF-8 bytes followed by one 0x00, in
 * joint order. Order matters (the arrays in state/command are positional), so a reordering changes the hash.
 */
export function namesHash(names: readonly string[]): number {
  let h = 0x811c9dc5;
  const enc = new TextEncoder();
  for (const name of names) {
    for (const b of enc.encode(name)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    h = Math.imul(h ^ 0, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
