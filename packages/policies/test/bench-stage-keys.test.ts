/** bench:policies' per-stage cache keys (bench/stage-keys.ts) and the behaviour fingerprints they are built on. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from '@s2r/sim/tasks/registry.ts';
import { runtimeImports, sourceClosure, sourceHash, stageKeys, type StageInputs } from '../bench/stage-keys.ts';
import { envFingerprint, expertFingerprint } from '../bench/behaviour-fingerprint.ts';

const base = (): StageInputs => ({
  env: 'env-a',
  expert: 'expert-a',
  source: { demos: 'sd', bc: 'sb', diffusion: 'sdp', residual: 'sr' },
  recipe: { demos: { demos: 300 }, bc: { iterations: 5000 }, diffusion: { iterations: 8000 }, residual: { totalSteps: 1 } },
});

/** Which stage keys differ between the base inputs and the edited ones. */
function changed(edit: (i: StageInputs) => void): string[] {
  const a = stageKeys(base());
  const i = base();
  edit(i);
  const b = stageKeys(i);
  return (Object.keys(a) as (keyof typeof a)[]).filter((k) => a[k] !== b[k]).sort();
}

describe('bench:policies stage keys', () => {
  it('a change reaches exactly the stages that depend on it', () => {
    expect(changed(() => {})).toEqual([]);
    expect(changed((i) => (i.source.residual = 'sr2'))).toEqual(['residual']);
    expect(changed((i) => (i.recipe.residual = { totalSteps: 2 }))).toEqual(['residual']);
    expect(changed((i) => (i.recipe.bc = { iterations: 1 }))).toEqual(['bc']);
    expect(changed((i) => (i.source.diffusion = 'x'))).toEqual(['diffusion', 'residual']);
    expect(changed((i) => (i.recipe.demos = { demos: 10 }))).toEqual(['bc', 'demos', 'diffusion', 'residual']);
    expect(changed((i) => (i.expert = 'expert-b'))).toEqual(['bc', 'demos', 'diffusion', 'residual']);
    expect(changed((i) => (i.env = 'env-b'))).toEqual(['bc', 'demos', 'diffusion', 'residual']);
  });

  it('run-time imports skip type-only ones', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { B } from './b.ts';",
      "import { type C, type D } from './cd.ts';",
      "import { type E, f } from './ef.ts';",
      "export { g } from './g.ts';",
      "export type { H } from './h.ts';",
      "import './side.ts';",
      "const lazy = () => import('./lazy.ts');",
    ].join('\n');
    expect(runtimeImports(text).sort()).toEqual(['./a.ts', './ef.ts', './g.ts', './side.ts']);
  });

  it('a source hash covers the modules a stage runs, not those it only names as types', () => {
    const repo = mkdtempSync(join(tmpdir(), 's2r-keys-'));
    try {
      const d = join(repo, 'packages/policies/src');
      mkdirSync(join(d, 'res'), { recursive: true });
      writeFileSync(join(d, 'res/train.ts'), "import { a } from '../a.ts';\nimport type { T } from '../types.ts';\nimport { x } from '@s2r/core';\nexport const t = a;\n");
      writeFileSync(join(d, 'a.ts'), "import { c } from './c.ts';\nexport const a = c;\n");
      writeFileSync(join(d, 'c.ts'), 'export const c = 1;\n');
      writeFileSync(join(d, 'types.ts'), 'export type T = number;\n');
      writeFileSync(join(d, 'other.ts'), 'export const o = 1;\n');
      const files = () => sourceClosure(repo, ['packages/policies/src/res/train.ts'], 'packages/policies/src');
      expect(files()).toEqual(['packages/policies/src/a.ts', 'packages/policies/src/c.ts', 'packages/policies/src/res/train.ts']);
      const h0 = sourceHash(repo, files());
      writeFileSync(join(d, 'types.ts'), 'export type T = string;\n');
      writeFileSync(join(d, 'other.ts'), 'export const o = 2;\n');
      expect(sourceHash(repo, files())).toBe(h0);
      writeFileSync(join(d, 'c.ts'), 'export const c = 2;\n');
      expect(sourceHash(repo, files())).not.toBe(h0);
      expect(() => sourceClosure(repo, ['packages/policies/src/missing.ts'], 'packages/policies/src')).toThrow(/missing\.ts does not exist/);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it('the residual stage is keyed on the residual and PPO code of this repository', () => {
    const repo = fileURLToPath(new URL('../../..', import.meta.url));
    const files = sourceClosure(repo, ['packages/policies/src/residual/train.ts'], 'packages/policies/src');
    expect(files).toContain('packages/policies/src/residual/vec-env.ts');
    expect(files).toContain('packages/policies/src/ppo/ppo.ts');
    // The base's runtime is part of what the residual trains against.
    expect(files).toContain('packages/policies/src/diffusion/policy.ts');
    expect(files).not.toContain('packages/policies/src/bc/train.ts');
  });

  it('z1-push fingerprints: the same behaviour gives the same hash, a changed task or expert another', async () => {
    const o = { episodes: 1, steps: 15 };
    const mk = (over?: Record<string, unknown>) => () => load('z1-push', over, { print: false });
    const a = await envFingerprint(mk(), o);
    expect(await envFingerprint(mk(), o)).toBe(a);
    // Another reward weight (same dynamics) and another action scale (same rewards' code, other motion).
    expect(await envFingerprint(mk({ rewardScales: { reach: -2 } }), o)).not.toBe(a);
    expect(await envFingerprint(mk({ control: { actionScale: 0.4 } }), o)).not.toBe(a);
    const x = await expertFingerprint('z1-push', mk(), { episodes: 1, steps: 15 });
    expect(await expertFingerprint('z1-push', mk(), { episodes: 1, steps: 15 })).toBe(x);
    expect(await expertFingerprint('z1-push', mk({ control: { actionScale: 0.4 } }), { episodes: 1, steps: 15 })).not.toBe(x);
  }, 60_000);
});
