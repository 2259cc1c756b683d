/** The deployable BC-MLP policy (house `Policy`, kind 'bc-mlp'): Float32Array MLP, no tfjs; keeps its own history. */
import { RuntimeMlp } from '../runtime/mlp.ts';
import { readArtifact, type PolicyArtifact } from '../artifact.ts';
import { metaFromArtifact, type Policy, type PolicyMeta } from '../policy-meta.ts';
import { checkBcArtifact, type BcModel } from './artifact.ts';
import { denormalizeAction, normalizeObs, type ObsNormalizer } from '../demos/normalizer.ts';
import { toAbsolute } from '../demos/action-frame.ts';
import { ObsHistory } from '../diffusion/chunked-policy.ts';

export class BcPolicy implements Policy {
  readonly kind = 'bc-mlp';
  readonly obsSize: number;
  readonly actSize: number;
  readonly meta: PolicyMeta;
  readonly model: BcModel;
  private readonly obsNorm: ObsNormalizer;
  private readonly mlp: RuntimeMlp;
  private readonly history: ObsHistory;
  private readonly x: Float32Array;
  private readonly yc: Float32Array;
  private readonly bounds: { low: number; high: number };

  constructor(artifact: PolicyArtifact | unknown, expectSpecHash?: string, where = 'bc-mlp artifact') {
    const c = checkBcArtifact(artifact, where, expectSpecHash);
    this.meta = metaFromArtifact(c.artifact, where);
    this.model = c.model;
    this.obsNorm = c.obsNormalizer;
    this.obsSize = c.artifact.specs.observation.size;
    this.actSize = c.artifact.specs.action.size;
    this.mlp = new RuntimeMlp(c.layers, c.model.activation);
    this.history = new ObsHistory(c.model.obsHistory, this.obsSize);
    this.x = new Float32Array(c.model.obsHistory * this.obsSize);
    this.yc = new Float32Array(this.actSize);
    this.bounds = c.artifact.specs.action;
  }

  reset(): void {
    this.history.reset();
  }

  act(obs: ArrayLike<number>): Float32Array {
    const h = this.history.push(obs, 'BcPolicy.act');
    const O = this.obsSize;
    for (let k = 0; k < this.model.obsHistory; k++) normalizeObs(this.obsNorm, h.subarray(k * O, (k + 1) * O), this.x, k * O);
    const y = this.mlp.forward(this.x);
    // Outputs are trained towards [−1, 1]; clamp so an extrapolating net cannot leave the demonstrated range.
    for (let i = 0; i < this.actSize; i++) this.yc[i] = Math.max(-1, Math.min(1, y[i]!));
    const out = new Float32Array(this.actSize);
    denormalizeAction(this.model.actionNormalizer, this.yc, 0, out);
    toAbsolute(this.model.actionFrame, h, (this.model.obsHistory - 1) * O, out, this.actSize, this.bounds.low, this.bounds.high);
    return out;
  }
}

/** House plug-in hook: `loadPolicy` builds kind 'bc-mlp' through this. */
export function fromArtifact(a: PolicyArtifact, where: string): BcPolicy {
  return new BcPolicy(a, undefined, where);
}

export async function loadBcPolicy(path: string, expectSpecHash?: string): Promise<BcPolicy> {
  return new BcPolicy(await readArtifact(path, expectSpecHash ? { specHash: expectSpecHash } : {}), expectSpecHash, path);
}
