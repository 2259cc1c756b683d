/**
 * kind 'mlp': a Gaussian MLP actor exported by PPO, run as the deterministic mean action through the plain
 * Float32Array MLP. normalize → MLP → clip to the action bounds.
 */
import { ArtifactError, decodeTensor, encodeTensor, type EncodedTensor, type PolicyArtifact } from './artifact.ts';
import { metaFromArtifact, type Policy, type PolicyMeta } from './policy-meta.ts';
import { RuntimeMlp, type RuntimeActivation, type RuntimeLayer } from './runtime/mlp.ts';
import { RunningNormalizer } from './normalizer.ts';

export interface MlpModel {
  activation: RuntimeActivation;
  /** Layer widths including input and output, e.g. [48, 256, 256, 12]. */
  sizes: number[];
  /** log σ of the Gaussian head at export (informational; act() returns the mean). */
  logStd: number[];
}

const ACTS: RuntimeActivation[] = ['elu', 'tanh', 'relu', 'linear'];

export class MlpPolicy implements Policy {
  readonly kind = 'mlp';
  readonly obsSize: number;
  readonly actSize: number;
  readonly meta: PolicyMeta;
  readonly mlp: RuntimeMlp;
  readonly normalizer: RunningNormalizer;
  private readonly scratch: Float32Array;
  private readonly low: number;
  private readonly high: number;

  constructor(meta: PolicyMeta, mlp: RuntimeMlp, normalizer: RunningNormalizer) {
    this.meta = meta;
    this.mlp = mlp;
    this.normalizer = normalizer;
    normalizer.frozen = true;
    this.obsSize = mlp.inSize;
    this.actSize = mlp.outSize;
    this.scratch = new Float32Array(this.obsSize);
    this.low = meta.actionSpec.low;
    this.high = meta.actionSpec.high;
  }

  reset(): void {}

  act(obs: Float32Array): Float32Array {
    if (obs.length !== this.obsSize) throw new Error(`MlpPolicy.act: observation has ${obs.length} values, policy expects ${this.obsSize}`);
    this.normalizer.normalize(obs, 1, this.scratch);
    const y = this.mlp.forward(this.scratch, 1);
    const out = new Float32Array(this.actSize);
    for (let i = 0; i < this.actSize; i++) {
      const v = y[i]!;
      out[i] = v < this.low ? this.low : v > this.high ? this.high : v;
    }
    return out;
  }
}

export function fromArtifact(a: PolicyArtifact, where: string): MlpPolicy {
  const m = a.model as Partial<MlpModel>;
  if (!ACTS.includes(m.activation as RuntimeActivation)) throw new ArtifactError(`${where}: model.activation`, `must be one of ${ACTS.join(', ')}, got ${JSON.stringify(m.activation)}`);
  if (!Array.isArray(m.sizes) || m.sizes.length < 2 || !m.sizes.every((s) => Number.isInteger(s) && s > 0)) throw new ArtifactError(`${where}: model.sizes`, 'must list at least 2 positive layer widths');
  const obsSize = a.specs.observation.size;
  const actSize = a.specs.action.size;
  if (m.sizes[0] !== obsSize) throw new ArtifactError(`${where}: model.sizes`, `input width ${m.sizes[0]} != observation size ${obsSize}`);
  if (m.sizes[m.sizes.length - 1] !== actSize) throw new ArtifactError(`${where}: model.sizes`, `output width ${m.sizes[m.sizes.length - 1]} != action size ${actSize}`);
  const layers: RuntimeLayer[] = [];
  for (let i = 0; i + 1 < m.sizes.length; i++) {
    const nin = m.sizes[i]!;
    const nout = m.sizes[i + 1]!;
    layers.push({
      in: nin,
      out: nout,
      w: decodeTensor(a.tensors[`actor.${i}.w`], `${where}: tensors["actor.${i}.w"]`, [nin, nout]),
      b: decodeTensor(a.tensors[`actor.${i}.b`], `${where}: tensors["actor.${i}.b"]`, [nout]),
    });
  }
  const extra = Object.keys(a.tensors).filter((k) => !/^actor\.\d+\.[wb]$/.test(k) || Number(k.split('.')[1]) >= layers.length);
  if (extra.length) throw new ArtifactError(`${where}: tensors`, `unexpected tensors for an mlp of ${layers.length} layers: ${extra.join(', ')}`);
  const normalizer = RunningNormalizer.from({
    mean: decodeTensor(a.normalizer.mean, `${where}: normalizer.mean`, [obsSize]),
    var: decodeTensor(a.normalizer.var, `${where}: normalizer.var`, [obsSize]),
    count: a.normalizer.count,
    clip: a.normalizer.clip,
    eps: a.normalizer.eps,
  });
  return new MlpPolicy(metaFromArtifact(a, where), new RuntimeMlp(layers, m.activation as RuntimeActivation), normalizer);
}

/** Tensors and model section of an 'mlp' artifact from plain layer data. */
export function encodeMlp(layers: RuntimeLayer[], activation: RuntimeActivation, logStd: ArrayLike<number>): { model: MlpModel; tensors: Record<string, EncodedTensor> } {
  const tensors: Record<string, EncodedTensor> = {};
  layers.forEach((l, i) => {
    tensors[`actor.${i}.w`] = encodeTensor(l.w, [l.in, l.out]);
    tensors[`actor.${i}.b`] = encodeTensor(l.b, [l.out]);
  });
  return { model: { activation, sizes: [layers[0]!.in, ...layers.map((l) => l.out)], logStd: Array.from(logStd) }, tensors };
}

