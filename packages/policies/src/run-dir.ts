/**
 * Run-folder hygiene shared by every trainer: one run per folder, files written whole or not at all, and write
 * errors (a full disk above all) that name the file.
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A fresh run must not land in a folder that already holds files: its metrics would be appended to another run's,
 * old checkpoints kept, and a later --resume would continue under the new config.
 */
export function refuseNonEmptyRunDir(dir: string): void {
  if (!existsSync(dir)) return;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (e) {
    throw new Error(`--out ${dir}: ${(e as Error).message}`);
  }
  if (entries.length === 0) return;
  const shown = entries.slice(0, 4).join(', ') + (entries.length > 4 ? `, … (${entries.length} entries)` : '');
  throw new Error(`--out ${dir} is not empty (${shown}): a second run there would mix with the first. Continue it with --resume ${dir}, or give another --out`);
}

/** The error of a failed write, naming the file (Node's ENOSPC message does not) and saying what it means. */
export function writeError(path: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException)?.code;
  const why = code === 'ENOSPC' ? 'no space left on device (ENOSPC)' : code === 'EDQUOT' ? 'disk quota exceeded (EDQUOT)' : (e as Error)?.message ?? String(e);
  return new Error(`cannot write ${path}: ${why}`);
}

/** Write `text` to `path` atomically (temp file + rename); on failure the temp file is removed and the error names `path`. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw writeError(path, e);
  }
}

/**
 * On resume, drop the metrics of iterations after the checkpoint (trained after it, then lost with a kill -9:
 * they are trained again, and would otherwise appear twice). Returns the iterations dropped.
 */
export async function truncateMetricsTo(runDir: string, iteration: number): Promise<number[]> {
  const path = join(runDir, 'metrics.jsonl');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  const keep: string[] = [];
  const dropped: number[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let it: unknown;
    try {
      it = (JSON.parse(line) as { iteration?: unknown }).iteration;
    } catch {
      dropped.push(NaN); // a line cut by the kill
      continue;
    }
    if (typeof it === 'number' && it > iteration) dropped.push(it);
    else keep.push(line);
  }
  if (dropped.length) await writeFileAtomic(path, keep.length ? keep.join('\n') + '\n' : '');
  return dropped;
}
