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

/**
 * The base fed its own previous action in place of the observation's `last_action` (the command actually sent,
 * residual included). A relative-frame base (z1-push diffusion) plans every chunk as moves from `last_action`, so
 * with the executed command there every residual correction at a re-plan is kept for the rest of the episode: the
 * residual integrates, its exploration noise random-walks, and a small change of its mean drifts the whole
 * trajectory. Fed its own command, the base follows its own plan and the residual is a bounded offset around it.
 *
 * Acts per step only (no chunk/actChunk): it needs every step's action to know its own command, so a bridge runs
 * it whole on the control thread instead of splitting base chunks off to the queue.
 */
export class OwnCommandBase implements Policy {
  readonly kind: string;
  readonly obsSize: number;
  readonly actSize: number;
  readonly meta: Policy['meta'];
  private readonly x: Float32Array;
  private readonly prev: Float32Array;
  private fresh = true;

  constructor(readonly inner: Policy, readonly offset: number) {
    this.kind = inner.kind;
    this.obsSize = inner.obsSize;
    this.actSize = inner.actSize;
    this.meta = inner.meta;
    if (!(offset >= 0 && offset + inner.actSize <= inner.obsSize)) throw new Error(`OwnCommandBase: last_action slot [${offset}, ${offset + inner.actSize}) is outside the ${inner.obsSize}-value observation`);
    this.x = new Float32Array(inner.obsSize);
    this.prev = new Float32Array(inner.actSize);
  }

  reset(): void {
    this.inner.reset();
    this.fresh = true;
  }

  act(obs: Float32Array): Float32Array {
    this.x.set(obs);
    // The first step of an episode keeps the observed command (the reset pose's): the base has issued none yet.
    if (!this.fresh) this.x.set(this.prev, this.offset);
    this.fresh = false;
    const a = this.inner.act(this.x);
    this.prev.set(a);
    return a;
  }

  warmup(): void {
    (this.inner as { warmup?: () => void }).warmup?.();
    this.reset();
  }

  dispose(): void {
    this.inner.dispose?.();
  }
}

