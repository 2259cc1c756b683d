/**
 * @s2r/core is the ground floor: it imports nothing of ours and none of the heavy engines (Rapier, three.js,
 * tfjs), so every package (and the viewer's browser bundle, for its pure modules) can import it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsUnder } from '../../../test/helpers/imports.ts';

const SRC = join(import.meta.dirname, '../src');
const { files, imports } = importsUnder(SRC);

describe('@s2r/core imports', () => {
  it('only itself, node:* and tsx (worker boot)', () => {
    expect(files.length).toBeGreaterThan(10);
    const bad = imports.filter(({ spec }) => !(spec.startsWith('.') || spec.startsWith('node:') || spec === 'tsx/esm/api'));
    expect(bad.map((i) => `${i.file}: ${i.spec}`)).toEqual([]);
  });

  it('the modules the browser bundles (FK, transforms, model) import no node:* module', () => {
    for (const f of ['robot/kinematics.ts', 'robot/transform.ts', 'robot/model.ts']) {
      expect(readFileSync(join(SRC, f), 'utf8')).not.toMatch(/from\s+'node:/);
    }
  });
});
