/**
 * The deployable Policy contract and `loadPolicy`. A Policy runs without the trainer and without tfjs.
 *
 * Kinds: the built-in ones are listed in BUILT_IN_KINDS, each a module exporting `fromArtifact(artifact, where)`
 * that `loadPolicy` imports on first use (literal, type-checked specifiers: the deploy path never loads the
 * diffusion or residual code unless an artifact needs it). Other kinds plug in with `registerPolicyKind`.
 */
import { ArtifactError, readArtifact, validateArtifact, type ExpectedSpecs, type PolicyArtifact } from './artifact.ts';

// The Policy contract lives in policy-meta.ts, apart from the loader: a kind's module imports it without importing
// the loader that imports the kind.
export { metaFromArtifact, type Policy, type PolicyMeta, type PolicyFactory, type ChunkSpec } from './policy-meta.ts';
import type { Policy, PolicyFactory } from './policy-meta.ts';

const registry = new Map<string, PolicyFactory>();

export function registerPolicyKind(kind: string, factory: PolicyFactory): void {
  registry.set(kind, factory);
}

/** The built-in kinds and their modules ('bc-mlp' is the bc family's MLP head). */
const BUILT_IN_KINDS: Record<string, () => Promise<{ fromArtifact: PolicyFactory }>> = {
  mlp: () => import('./mlp-policy.ts'),
  diffusion: () => import('./diffusion/index.ts'),
  residual: () => import('./residual/index.ts'),
  'bc-mlp': () => import('./bc/index.ts'),
};

async function factoryFor(kind: string, where: string): Promise<PolicyFactory> {
  const f = registry.get(kind);
  if (f) return f;
  const load = Object.hasOwn(BUILT_IN_KINDS, kind) ? BUILT_IN_KINDS[kind] : undefined;
  if (!load) throw new ArtifactError(where, `kind ${JSON.stringify(kind)} is not supported by this @s2r/policies (built in: ${Object.keys(BUILT_IN_KINDS).join(', ')}; others need registerPolicyKind)`);
  const { fromArtifact } = await load();
  registry.set(kind, fromArtifact);
  return fromArtifact;
}

/** Build a Policy from an artifact already in memory (validated here). */
export async function policyFromArtifact(raw: unknown, where = '<memory>', expect: ExpectedSpecs = {}): Promise<Policy> {
  const a = validateArtifact(raw, where, expect);
  return (await factoryFor(a.kind, where))(a, where);
}

/**
 * Load a policy artifact file. Validates everything (see validateArtifact) and, when `expect` is given, that the
 * artifact matches the robot/task: spec hash, specs, joint order. Throws ArtifactError naming the problem.
 */
export async function loadPolicy(path: string, expect: ExpectedSpecs = {}): Promise<Policy> {
  const a = await readArtifact(path, expect);
  return (await factoryFor(a.kind, path))(a, path);
}
