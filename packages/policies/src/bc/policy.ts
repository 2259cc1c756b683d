/** The deployable BC-MLP policy: Float32Array MLP, no tfjs; keeps its own To-frame history for act(). */
import { RuntimeMlp } from '../runtime/mlp.ts';
import { checkBcArtifact, readBcArtifact, type BcArtifact } from './artifact.ts';
import { denormalizeAction, normalizeObs } from '../demos/normalizer.ts';
import { ObsHistory, type DemoPolicy } from '../diffusion/chunked-policy.ts';

export class BcPolicy implements DemoPolicy {
  readonly kind = 'bc-mlp';
  readonly obsDim: number;
  readonly actDim: number;
  readonly artifact: BcArtifact;
  private readonly mlp: RuntimeMlp;
  private readonly history: ObsHistory;
  private readonly x: Float32Array;

  constructor(artifact: BcArtifact | unknown, expectSpecHash?: string) {
    const { artifact: a, layers } = checkBcArtifact(artifact, 'bc-mlp artifact', expectSpecHash);
    this.artifact = a;
    this.obsDim = a.observationSpec.size;
    this.actDim = a.actionSpec.size;
    this.mlp = new RuntimeMlp(layers, a.net.activation);
    this.history = new ObsHistory(a.obsHistory, this.obsDim);
    this.x = new Float32Array(a.obsHistory * this.obsDim);
  }

  reset(): void {
    this.history.reset();
  }

  act(obs: ArrayLike<number>): Float32Array {
    const h = this.history.push(obs, 'BcPolicy.act');
    const O = this.obsDim;
    for (let k = 0; k < this.artifact.obsHistory; k++) normalizeObs(this.artifact.normalizer.obs, h.subarray(k * O, (k + 1) * O), this.x, k * O);
    const y = this.mlp.forward(this.x);
    const out = new Float32Array(this.actDim);
    // Outputs are trained towards [−1, 1]; clamp so an extrapolating net cannot leave the demonstrated range.
    const yc = new Float32Array(this.actDim);
    for (let i = 0; i < this.actDim; i++) yc[i] = Math.max(-1, Math.min(1, y[i]!));
    denormalizeAction(this.artifact.normalizer.action, yc, 0, out);
    return out;
  }
}

export function loadBcPolicy(path: string, expectSpecHash?: string): BcPolicy {
  return new BcPolicy(readBcArtifact(path, expectSpecHash).artifact, expectSpecHash);
}
