/**
 * Adam with global grad-norm clipping, owned state (so checkpoints can save and restore m, v and the step),
 * and a learning rate that can change between steps (PPO's KL-adaptive schedule).
 * Same update as torch.optim.Adam (eps added to √v̂, bias-corrected moments).
 */
import * as tf from '@tensorflow/tfjs-core';

export interface AdamState {
  step: number;
  lr: number;
  m: Float32Array[];
  v: Float32Array[];
}

export class Adam {
  lr: number;
  step = 0;
  /** Per-parameter learning rates that override `lr` (null entries follow `lr`): e.g. a critic at its own fixed LR while the actor's adapts. */
  fixedLr: (number | null)[] | null = null;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(
    readonly params: tf.Variable[],
    lr: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly eps = 1e-8,
  ) {
    this.lr = lr;
    this.m = params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    this.v = params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
  }

  /**
   * Apply one step. `grads[i]` matches `params[i]`. If maxGradNorm > 0 the gradients are scaled by
   * min(1, maxGradNorm / ‖g‖₂) over all parameters together (torch.nn.utils.clip_grad_norm_).
   * Returns the pre-clip global norm as a scalar tensor (caller disposes or reads it).
   */
  apply(grads: tf.Tensor[], maxGradNorm: number): tf.Scalar {
    if (grads.length !== this.params.length) throw new Error(`Adam: ${grads.length} grads for ${this.params.length} params`);
    this.step++;
    const t = this.step;
    const bc1 = 1 - Math.pow(this.beta1, t);
    const bc2 = 1 - Math.pow(this.beta2, t);
    // Fold the bias corrections into the step size: p -= lr·√bc2/bc1 · m / (√v + eps·√bc2), exact rewrite.
    const stepSize = (this.lr * Math.sqrt(bc2)) / bc1;
    const stepOf = (i: number) => (this.fixedLr?.[i] != null ? (this.fixedLr[i]! * Math.sqrt(bc2)) / bc1 : stepSize);
    const epsHat = this.eps * Math.sqrt(bc2);
    return tf.tidy(() => {
      const sq = grads.map((g) => tf.sum(tf.square(g)));
      const norm = tf.sqrt(tf.addN(sq)) as tf.Scalar;
      let scale: tf.Scalar | null = null;
      if (maxGradNorm > 0) scale = tf.minimum(1, tf.div(maxGradNorm, tf.add(norm, 1e-6))) as tf.Scalar;
      for (let i = 0; i < grads.length; i++) {
        const g = scale ? tf.mul(grads[i]!, scale) : grads[i]!;
        const m = tf.add(tf.mul(this.m[i]!, this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.v[i]!, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        this.m[i]!.assign(m);
        this.v[i]!.assign(v);
        this.params[i]!.assign(tf.sub(this.params[i]!, tf.mul(tf.div(m, tf.add(tf.sqrt(v), epsHat)), stepOf(i))));
      }
      return tf.keep(norm);
    });
  }

  getState(): AdamState {
    return {
      step: this.step,
      lr: this.lr,
      m: this.m.map((x) => x.dataSync() as Float32Array),
      v: this.v.map((x) => x.dataSync() as Float32Array),
    };
  }

  setState(s: AdamState): void {
    if (s.m.length !== this.m.length) throw new Error(`Adam state has ${s.m.length} moments for ${this.m.length} params`);
    this.step = s.step;
    this.lr = s.lr;
    tf.tidy(() => {
      s.m.forEach((a, i) => this.m[i]!.assign(tf.tensor(a, this.m[i]!.shape)));
      s.v.forEach((a, i) => this.v[i]!.assign(tf.tensor(a, this.v[i]!.shape)));
    });
  }

  dispose(): void {
    for (const x of [...this.m, ...this.v]) x.dispose();
  }
}
