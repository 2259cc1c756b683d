/**
 * Layering: @s2r/policies sits below the bridge, the viewer and the CLI. It may import core, sim and recording, never
 * a package above it (the ONNX evaluation that needs the bridge's layout adapter lives in the CLI's `s2r eval`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../src');
const files = (readdirSync(SRC, { recursive: true }) as string[]).filter((f) => /\.(ts|mjs)$/.test(f));

describe('@s2r/policies imports', () => {
  it('no package above it: not @s2r/bridge, @s2r/viewer or the CLI (static or lazy)', () => {
    expect(files.length).toBeGreaterThan(40);
    const bad: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(SRC, f), 'utf8');
      for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)'([^']+)'/g)) {
        if (/^(@s2r\/(bridge|viewer)|s2r)(\/|$)/.test(m[1]!)) bad.push(`${f}: ${m[1]}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
