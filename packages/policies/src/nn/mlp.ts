/**
 * A trainable MLP: tf.Variables in [in×out] layout, hidden activation on every layer but the last.
 * Weights export as plain Float32Arrays, the layout the tfjs-free runtime MLP (runtime/mlp.ts) consumes.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@s2r/core';
import { dense, denseBackward, denseForward, type Activation } from './dense.ts';

export interface MlpLayerData {
  in: number;
  out: number;
  /** [in×out] row-major. */
  w: Float32Array;
  b: Float32Array;
}

/**
 * Orthogonal-ish init is what rsl_rl/cleanrl use; a scaled Gaussian (He-style, gain/√fan_in) trains as well at
 * these sizes and is cheap to draw from the seeded Rng. `outGain` shrinks the last layer (0.01 for the actor
 * so initial actions are ~0, 1.0 for the critic), as cleanrl does.
 */
export function initMlp(sizes: number[], rng: Rng, outGain = 1): MlpLayerData[] {
  const layers: MlpLayerData[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const nin = sizes[l]!;
    const nout = sizes[l + 1]!;
    const last = l + 2 === sizes.length;
    const std = (last ? outGain : Math.SQRT2) / Math.sqrt(nin);
    const w = new Float32Array(nin * nout);
    for (let i = 0; i < w.length; i++) w[i] = rng.normal(0, std);
    layers.push({ in: nin, out: nout, w, b: new Float32Array(nout) });
  }
  return layers;
}

export class TfMlp {
  readonly sizes: number[];
  readonly activation: Activation;
  readonly weights: tf.Variable<tf.Rank.R2>[] = [];
  readonly biases: tf.Variable<tf.Rank.R1>[] = [];

  constructor(layers: MlpLayerData[], activation: Activation, name: string) {
    this.activation = activation;
    this.sizes = [layers[0]!.in, ...layers.map((l) => l.out)];
    layers.forEach((l, i) => {
      // Inside tidy: the initial-value tensors are freed, the variables (never tidied) stay.
      this.weights.push(tf.tidy(() => tf.variable(tf.tensor2d(l.w, [l.in, l.out]), true, `${name}/w${i}`)));
      this.biases.push(tf.tidy(() => tf.variable(tf.tensor1d(l.b), true, `${name}/b${i}`)));
    });
  }

  get variables(): tf.Variable[] {
    const v: tf.Variable[] = [];
    for (let i = 0; i < this.weights.length; i++) v.push(this.weights[i]!, this.biases[i]!);
    return v;
  }

  forward(x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    const n = this.weights.length;
    for (let i = 0; i < n; i++) h = dense(h, this.weights[i]!, this.biases[i]!, i + 1 < n ? this.activation : 'linear');
    return h;
  }

  /**
   * Forward pass that keeps every layer's output for `backward`. acts[0] = x, acts[i] = output of layer i.
   * Call inside tf.tidy (the caller owns the tensors).
   */
  forwardTrain(x: tf.Tensor2D): tf.Tensor2D[] {
    const acts = [x];
    const n = this.weights.length;
    for (let i = 0; i < n; i++) {
      const act = i + 1 < n ? this.activation : 'linear';
      acts.push(denseForward(acts[i]!, this.weights[i]!, this.biases[i]!, act));
    }
    return acts;
  }

  /**
   * Hand-written backward pass (no autodiff tape; tfjs-core registers no gradients on its own, and the tape
   * costs time). Gradients come back in `variables` order [w0, b0, w1, b1, ...]; with `wantDx` also dL/dx.
   */
  backward(acts: tf.Tensor2D[], dOut: tf.Tensor2D, wantDx = false): { grads: tf.Tensor[]; dx: tf.Tensor2D | null } {
    const n = this.weights.length;
    const grads: tf.Tensor[] = new Array(2 * n);
    let dy = dOut;
    let dx: tf.Tensor2D | null = null;
    for (let i = n - 1; i >= 0; i--) {
      const act = i + 1 < n ? this.activation : 'linear';
      const r = denseBackward(acts[i]!, this.weights[i]!, acts[i + 1]!, dy, act, i > 0 || wantDx);
      grads[2 * i] = r.dw;
      grads[2 * i + 1] = r.db;
      if (i > 0) dy = r.dx!;
      else dx = r.dx;
    }
    return { grads, dx };
  }

  /** Synchronous copy of the weights to plain arrays. */
  export(): MlpLayerData[] {
    return this.weights.map((w, i) => ({
      in: w.shape[0],
      out: w.shape[1],
      w: w.dataSync() as Float32Array,
      b: this.biases[i]!.dataSync() as Float32Array,
    }));
  }

  load(layers: MlpLayerData[]): void {
    if (layers.length !== this.weights.length) throw new Error(`MLP has ${this.weights.length} layers, data has ${layers.length}`);
    layers.forEach((l, i) => {
      const w = this.weights[i]!;
      if (l.in !== w.shape[0] || l.out !== w.shape[1]) throw new Error(`layer ${i}: shape ${w.shape} vs data [${l.in},${l.out}]`);
      tf.tidy(() => {
        w.assign(tf.tensor2d(l.w, [l.in, l.out]));
        this.biases[i]!.assign(tf.tensor1d(l.b));
      });
    });
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}
