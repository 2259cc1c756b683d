/**
 * A plain Float32Array MLP: the deployable forward pass with no tfjs. Weights are [in×out] row-major, the
 * layout TfMlp exports, so one weight array serves training and deployment bit for bit.
 *
 * Batch 1 (the control loop) runs ~10× faster here than through tfjs-wasm's per-op dispatch; batched
 * (rollouts) it loops i-k-j so the inner loop streams a contiguous weight row.
 */
export type RuntimeActivation = 'elu' | 'tanh' | 'relu' | 'linear';

export interface RuntimeLayer {
  in: number;
  out: number;
  w: Float32Array;
  b: Float32Array;
}

export class RuntimeMlp {
  readonly layers: RuntimeLayer[];
  readonly activation: RuntimeActivation;
  readonly inSize: number;
  readonly outSize: number;
  private bufs: Float32Array[] = [];
  private bufBatch = 0;

  constructor(layers: RuntimeLayer[], activation: RuntimeActivation) {
    if (layers.length === 0) throw new Error('RuntimeMlp: no layers');
    for (let i = 0; i < layers.length; i++) {
      const l = layers[i]!;
      if (l.w.length !== l.in * l.out) throw new Error(`RuntimeMlp layer ${i}: weights have ${l.w.length} values, expected ${l.in}×${l.out}`);
      if (l.b.length !== l.out) throw new Error(`RuntimeMlp layer ${i}: bias has ${l.b.length} values, expected ${l.out}`);
      if (i > 0 && l.in !== layers[i - 1]!.out) throw new Error(`RuntimeMlp layer ${i}: input ${l.in} != previous output ${layers[i - 1]!.out}`);
    }
    this.layers = layers;
    this.activation = activation;
    this.inSize = layers[0]!.in;
    this.outSize = layers[layers.length - 1]!.out;
    this.ensure(1);
  }

  private ensure(batch: number): void {
    if (batch <= this.bufBatch) return;
    this.bufs = this.layers.map((l) => new Float32Array(batch * l.out));
    this.bufBatch = batch;
  }

  /**
   * y = MLP(x) for `batch` rows of x (row-major [batch×in]). Returns an internal buffer view that the next call
   * overwrites; copy it if you keep it.
   */
  forward(x: Float32Array, batch = 1): Float32Array {
    if (x.length < batch * this.inSize) throw new Error(`RuntimeMlp.forward: input has ${x.length} values, need ${batch}×${this.inSize}`);
    this.ensure(batch);
    let h = x;
    const nl = this.layers.length;
    for (let li = 0; li < nl; li++) {
      const { in: nin, out: nout, w, b } = this.layers[li]!;
      const y = this.bufs[li]!;
      for (let r = 0; r < batch; r++) {
        const yo = r * nout;
        const xo = r * nin;
        for (let j = 0; j < nout; j++) y[yo + j] = b[j]!;
        for (let k = 0; k < nin; k++) {
          const xv = h[xo + k]!;
          if (xv === 0) continue;
          const wo = k * nout;
          for (let j = 0; j < nout; j++) y[yo + j]! += xv * w[wo + j]!;
        }
      }
      if (li + 1 < nl) applyActivation(y, batch * nout, this.activation);
      h = y;
    }
    return batch * this.outSize === h.length ? h : h.subarray(0, batch * this.outSize);
  }
}

function applyActivation(y: Float32Array, n: number, act: RuntimeActivation): void {
  switch (act) {
    case 'elu':
      for (let i = 0; i < n; i++) {
        const v = y[i]!;
        if (v < 0) y[i] = Math.expm1(v);
      }
      return;
    case 'relu':
      for (let i = 0; i < n; i++) if (y[i]! < 0) y[i] = 0;
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) y[i] = Math.tanh(y[i]!);
      return;
    case 'linear':
      return;
  }
}
