/**
 * Build a frozen base policy from an artifact (embedded in a residual artifact, or a file): diffusion and
 * bc-mlp get their own seeded sampler stream; any other kind (e.g. PPO 'mlp') goes through the house loader.
 */
import type { Rng } from '@s2r/core';
import { readArtifact, type PolicyArtifact } from '../artifact.ts';
import { policyFromArtifact, type Policy } from '../policy.ts';
import { DiffusionPolicy } from '../diffusion/policy.ts';
import { BcPolicy } from '../bc/policy.ts';

export async function basePolicyFromArtifact(a: PolicyArtifact | unknown, rng: Rng, where = 'base policy'): Promise<Policy> {
  const kind = (a as { kind?: unknown })?.kind;
  if (kind === 'diffusion') return new DiffusionPolicy(a, { rng }, where);
  if (kind === 'bc-mlp') return new BcPolicy(a, undefined, where);
  if (kind === 'residual') throw new Error(`${where}: a residual policy cannot be the base of another residual (train on its base instead)`);
  return policyFromArtifact(a, where);
}

export async function readBaseArtifact(path: string): Promise<PolicyArtifact> {
  return readArtifact(path);
}

/**
 * The absolute action range a base demonstrated (diffusion, bc-mlp), which scales the residual's bound; undefined
 * for bases without one (PPO mlp: the action spec's bounds are used). A relative-frame base's actionNormalizer is
 * a range of moves, not of actions, so only its actionRange counts.
 */
export function baseActionRange(a: PolicyArtifact): { min: number[]; max: number[] } | undefined {
  const m = a.model as { actionRange?: { min: number[]; max: number[] }; actionNormalizer?: { min: number[]; max: number[] }; actionFrame?: unknown };
  return m.actionRange ?? (m.actionFrame ? undefined : m.actionNormalizer);
}
