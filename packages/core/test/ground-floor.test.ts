/**
 * @s2r/core is the ground floor: it imports nothing of ours and none of the heavy engines (Rapier, three.js,
 * tfjs), so every package (and the viewer's browser bundle, for its pure modules) can import it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../src');
const files = (readdirSync(SRC, { recursive: true }) as string[]).filter((f) => /\.(ts|mjs)$/.test(f));

describe('@s2r/core imports', () => {
  it('only itself, node:* and tsx (worker boot)', () => {
    expect(files.length).toBeGreaterThan(10);
    const bad: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(SRC, f), 'utf8');
      for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)'([^']+)'/g)) {
        const spec = m[1]!;
        if (spec.startsWith('.') || spec.startsWith('node:') || spec === 'tsx/esm/api') continue;
        bad.push(`${f}: ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the modules the browser bundles (FK, transforms, model) import no node:* module', () => {
    for (const f of ['robot/kinematics.ts', 'robot/transform.ts', 'robot/model.ts']) {
      expect(readFileSync(join(SRC, f), 'utf8')).not.toMatch(/from\s+'node:/);
    }
  });
});
