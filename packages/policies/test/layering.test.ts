/**
 * Layering: @s2r/policies sits below the bridge, the viewer and the CLI. It may import core, sim and recording, never
 * a package above it (the ONNX evaluation that needs the bridge's layout adapter lives in the CLI's `s2r eval`).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsUnder } from '../../../test/helpers/imports.ts';

const { files, imports } = importsUnder(join(import.meta.dirname, '../src'));

describe('@s2r/policies imports', () => {
  it('no package above it: not @s2r/bridge, @s2r/viewer or the CLI (static or lazy)', () => {
    expect(files.length).toBeGreaterThan(40);
    const bad = imports.filter(({ spec }) => /^(@s2r\/(bridge|viewer)|s2r)(\/|$)/.test(spec));
    expect(bad.map((i) => `${i.file}: ${i.spec}`)).toEqual([]);
  });
});
