/**
 * The import specifiers of a source folder (static `from '…'`, bare `import '…'` and literal `import('…')`), for the
 * layering tests: which package may import which.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ImportSite {
  /** Path relative to the folder. */
  file: string;
  spec: string;
}

export function importsUnder(dir: string): { files: string[]; imports: ImportSite[] } {
  const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => /\.(ts|mjs)$/.test(f));
  const imports: ImportSite[] = [];
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'([^']+)'/g)) imports.push({ file: f, spec: m[1]! });
  }
  return { files, imports };
}
