/**
 * Issue 11's structure rule: no two source files import each other. Scans every package's src (static imports, bare
 * imports and literal `import('…')`, through test/helpers/imports.ts), resolves relative and `@s2r/<pkg>/…` specifiers
 * to files, and fails naming each mutual pair.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsUnder } from './helpers/imports.ts';

const ROOT = resolve(import.meta.dirname, '..');
const PACKAGES = readdirSync(join(ROOT, 'packages')).filter((p) => existsSync(join(ROOT, 'packages', p, 'src')));

/** File → the files of ours it imports (repository-relative). */
function importGraph(): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const p of PACKAGES) {
    const dir = join(ROOT, 'packages', p, 'src');
    for (const { file, spec } of importsUnder(dir).imports) {
      let target: string | null = null;
      if (spec.startsWith('.')) target = resolve(dirname(join(dir, file)), spec);
      else {
        const m = /^@s2r\/([^/]+)\/(.+)$/.exec(spec);
        if (m) {
          // Package subpaths point into src/ (e.g. '@s2r/sim/tasks/registry.ts') or name a file from the package root.
          const inSrc = join(ROOT, 'packages', m[1]!, 'src', m[2]!);
          target = existsSync(inSrc) ? inSrc : join(ROOT, 'packages', m[1]!, m[2]!);
        }
      }
      if (!target) continue;
      const from = relative(ROOT, join(dir, file));
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(relative(ROOT, target));
    }
  }
  return edges;
}

describe('source layout', () => {
  it('resolves the imports it scans (a sanity check that the graph is not empty or unresolved)', () => {
    const g = importGraph();
    const all = [...g.values()].flatMap((s) => [...s]);
    expect(g.size).toBeGreaterThan(100);
    // Every resolved target exists: a scanner that resolved nothing would pass the pair check vacuously.
    const missing = all.filter((f) => !existsSync(join(ROOT, f)));
    expect(missing).toEqual([]);
    expect(g.get('packages/bridge/src/deploy.ts')?.size ?? 0).toBeGreaterThan(3);
  });

  it('has no two files that import each other', () => {
    const g = importGraph();
    const pairs: string[] = [];
    for (const [a, targets] of g) for (const b of targets) if (a < b && g.get(b)?.has(a)) pairs.push(`${a} <-> ${b}`);
    expect(pairs).toEqual([]);
  });
});
