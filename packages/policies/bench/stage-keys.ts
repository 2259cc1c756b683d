/**
 * bench:policies cache keys, one per stage, each on what that stage depends on (issue 15), so that editing only
 * the residual retrains only the residual:
 *
 *   demos     = H(task behaviour, expert behaviour, demos recipe, the collector's source)
 *   bc        = H(demos, bc source, bc recipe)
 *   diffusion = H(demos, diffusion source, diffusion recipe)
 *   residual  = H(diffusion, residual source, residual recipe, task behaviour)
 *
 * "Behaviour" is a fingerprint of what the code does, not of its text (envFingerprint): a behaviour-preserving
 * refactor of the env, DR or physics code keeps every key, a change of what the task does changes them all.
 * "Source" is the text of a stage's entry modules and every module of `packages/policies/src` they import at run
 * time (sourceClosure): type-only imports and modules the stage never loads do not count.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export interface StageInputs {
  /** Fingerprint of the task's behaviour (observations, rewards, ends of a seeded rollout; envFingerprint). */
  env: string;
  /** Fingerprint of the scripted expert's behaviour (its actions along a seeded rollout). */
  expert: string;
  /** Source hash of each learner stage (sourceHash over its sourceClosure). */
  source: { demos: string; bc: string; diffusion: string; residual: string };
  /** Each stage's own recipe (hyper-parameters); any JSON value. */
  recipe: { demos: unknown; bc: unknown; diffusion: unknown; residual: unknown };
}

export interface StageKeys {
  demos: string;
  bc: string;
  diffusion: string;
  residual: string;
}

/** Key length in hex digits: 10 (40 bits) keeps folder names short; collisions only matter within one cache. */
const KEY_HEX = 10;

function h(stage: string, parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify([stage, ...parts])).digest('hex').slice(0, KEY_HEX);
}

/** The four cache keys; each changes exactly when something its stage depends on changes (see the file header). */
export function stageKeys(i: StageInputs): StageKeys {
  const demos = h('demos', [i.env, i.expert, i.source.demos, i.recipe.demos]);
  const diffusion = h('diffusion', [demos, i.source.diffusion, i.recipe.diffusion]);
  return {
    demos,
    bc: h('bc', [demos, i.source.bc, i.recipe.bc]),
    diffusion,
    residual: h('residual', [diffusion, i.source.residual, i.recipe.residual, i.env]),
  };
}

/**
 * Static run-time imports of a TS module: `import … from 'x'`, `export … from 'x'` and `import 'x'`. Skipped:
 * `import type` / `export type` (erased at run time, they cannot change behaviour) and lazy `import('x')` (the
 * plug-in tables of policy kinds and trainers: a stage imports statically what it runs, so following them would
 * key every stage on every other).
 */
export function runtimeImports(text: string): string[] {
  const out: string[] = [];
  const stmt = /(?:^|[\n;])\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]/g;
  for (let m; (m = stmt.exec(text)); ) {
    if (m[2]) continue;
    const clause = m[3]!;
    // `import { type A, type B } from` is type-only too.
    const braced = /^\{([^}]*)\}$/.exec(clause.trim());
    if (braced && braced[1]!.split(',').map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith('type '))) continue;
    out.push(m[4]!);
  }
  for (const m of text.matchAll(/(?:^|[\n;])\s*import\s*['"]([^'"]+)['"]/g)) out.push(m[1]!);
  return out;
}

/**
 * The entry modules plus every module under `within` they reach through run-time imports (relative specifiers,
 * and `@s2r/<pkg>/…` specifiers that resolve under `within`), as repo-relative paths in sorted order. Modules
 * outside `within` (other packages, node_modules) are not followed: their behaviour is keyed by fingerprint.
 */
export function sourceClosure(repo: string, entries: string[], within: string): string[] {
  const root = resolve(repo, within);
  const seen = new Set<string>();
  const todo = entries.map((e) => resolve(repo, e));
  for (const e of todo) if (!existsSync(e)) throw new Error(`sourceClosure: entry ${relative(repo, e)} does not exist`);
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const spec of runtimeImports(readFileSync(f, 'utf8'))) {
      let p: string | null = null;
      if (spec.startsWith('.')) p = resolve(dirname(f), spec);
      else {
        const m = /^@s2r\/([^/]+)\/(.+)$/.exec(spec);
        if (m) p = join(repo, 'packages', m[1]!, 'src', m[2]!);
      }
      if (!p || !p.startsWith(root + '/')) continue;
      if (!existsSync(p) && existsSync(`${p}.ts`)) p = `${p}.ts`;
      if (existsSync(p)) todo.push(p);
    }
  }
  return [...seen].map((f) => relative(repo, f)).sort();
}

/** sha256 over the files' repo-relative paths and contents (hex). */
export function sourceHash(repo: string, files: string[]): string {
  const hash = createHash('sha256');
  for (const f of files) hash.update(f).update('\0').update(readFileSync(join(repo, f))).update('\0');
  return hash.digest('hex');
}
