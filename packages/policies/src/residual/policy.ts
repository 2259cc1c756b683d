/**
 * The deployable residual policy (house `Policy`, kind 'residual'): frozen base (chunked or not) + per-step
 * residual correction, one object. `act(obs)` = base.act(obs) then `correct(obs, baseAction)`.
 *
 * For the bridge: the base is exposed as `base` so a chunked base can run through the action queue off the
 * control thread, while `correct()` (a small MLP, µs) runs per command step on the control thread, as ResiP
 * deploys it (base per chunk, residual per step).
 */
import { Rng } from '@s2r/core';
import { readArtifact, type PolicyArtifact } from '../artifact.ts';
import { metaFromArtifact, type Policy, type PolicyMeta } from '../policy.ts';
import { RuntimeMlp } from '../runtime/mlp.ts';
import { checkResidualArtifact } from './artifact.ts';
import { basePolicyFromArtifact, OwnCommandBase } from './base.ts';
import { relativeFrame } from '../demos/action-frame.ts';
import { composeAction } from './vec-env.ts';

export class ResidualPolicy implements Policy {
  readonly kind = 'residual';
  readonly obsSize: number;
  readonly actSize: number;
  readonly meta: PolicyMeta;
  readonly base: Policy;
  readonly bound: number[];
  readonly scale: number;
  private readonly mlp: RuntimeMlp;
  private readonly inMean: Float32Array;
  private readonly inInvStd: Float32Array;
  private readonly clip: number;
  private readonly x: Float32Array;
  private readonly low: number;
  private readonly high: number;

  private constructor(c: ReturnType<typeof checkResidualArtifact>, base: Policy, where: string) {
    this.meta = metaFromArtifact(c.artifact, where);
    this.obsSize = c.artifact.specs.observation.size;
    this.actSize = c.artifact.specs.action.size;
    this.base = base;
    this.bound = c.model.residual.bound;
    this.scale = c.model.residual.scale;
    this.mlp = new RuntimeMlp(c.layers, c.model.residual.activation);
    this.inMean = c.inMean;
    this.inInvStd = c.inInvStd;
    this.clip = c.clip;
    this.x = new Float32Array(this.obsSize + this.actSize);
    this.low = c.artifact.specs.action.low;
    this.high = c.artifact.specs.action.high;
  }

  static async create(artifact: PolicyArtifact | unknown, opts: { rng?: Rng; expectSpecHash?: string } = {}, where = 'residual artifact'): Promise<ResidualPolicy> {
    const c = checkResidualArtifact(artifact, where, opts.expectSpecHash);
    let base = await basePolicyFromArtifact(c.base, opts.rng ?? Rng.seed(0), `${where}: model.base`);
    // Trained with the base fed its own previous action: deploy it the same way (per step, not split off).
    if (c.model.residual.baseOwnAction) base = new OwnCommandBase(base, relativeFrame(c.artifact.specs.observation, c.artifact.specs.action.size, 'last_action', `${where}: model.residual.baseOwnAction`).obsOffset);
    return new ResidualPolicy(c, base, where);
  }

  reset(): void {
    this.base.reset();
  }

  /** JIT warm-up before real time (base chunks and residual MLP), then reset; a diffusion base keeps its Rng stream. */
  warmup(steps = 240): void {
    const b = this.base as { warmup?: (n?: number) => void };
    b.warmup?.();
    const obs = new Float32Array(this.obsSize);
    for (let i = 0; i < steps; i++) this.correct(obs, new Float32Array(this.actSize));
    this.reset();
  }

  /** The corrected action for this observation given the base's action for it. */
  correct(obs: ArrayLike<number>, baseAction: ArrayLike<number>, out = new Float32Array(this.actSize)): Float32Array {
    const O = this.obsSize;
    const A = this.actSize;
    if (obs.length !== O) throw new Error(`ResidualPolicy: observation has ${obs.length} values, expected ${O}`);
    if (baseAction.length !== A) throw new Error(`ResidualPolicy: base action has ${baseAction.length} values, expected ${A}`);
    const { x, inMean, inInvStd, clip } = this;
    for (let j = 0; j < O + A; j++) {
      const v = ((j < O ? obs[j]! : baseAction[j - O]!) - inMean[j]!) * inInvStd[j]!;
      x[j] = v > clip ? clip : v < -clip ? -clip : v;
    }
    const mu = this.mlp.forward(x);
    composeAction(baseAction, mu, 0, this.bound, this.low, this.high, out);
    return out;
  }

  act(obs: Float32Array): Float32Array {
    return this.correct(obs, this.base.act(obs));
  }

  dispose(): void {
    this.base.dispose?.();
  }
}

/** House plug-in hook: `loadPolicy` builds kind 'residual' through this. */
export function fromArtifact(a: PolicyArtifact, where: string): Promise<ResidualPolicy> {
  return ResidualPolicy.create(a, {}, where);
}

export async function loadResidualPolicy(path: string, opts: { rng?: Rng; expectSpecHash?: string } = {}): Promise<ResidualPolicy> {
  return ResidualPolicy.create(await readArtifact(path, opts.expectSpecHash ? { specHash: opts.expectSpecHash } : {}), opts, path);
}
