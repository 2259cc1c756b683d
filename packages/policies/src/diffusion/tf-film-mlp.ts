/**
 * The FiLM MLP denoiser (film-mlp.ts) as a trainable tfjs graph over a batch, with EMA shadow weights.
 * Dense layers go through nn/dense.ts (explicit-transpose gradients; see the wasm transpose trap).
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients; the FiLM graph needs those of sigmoid/mul/add/split/concat/mean.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { dense } from '../nn/dense.ts';
import { paramShapes, type FilmMlpConfig, type Params } from './film-mlp.ts';

function silu(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(x, tf.sigmoid(x)) as tf.Tensor2D;
}

let nextInstance = 0;

export class TfFilmMlp {
  readonly config: FilmMlpConfig;
  readonly vars: Record<string, tf.Variable>;
  /** EMA shadow copies (not trainable). */
  readonly ema: Record<string, tf.Variable>;

  constructor(config: FilmMlpConfig, init: Params) {
    this.config = config;
    this.vars = {};
    this.ema = {};
    const instance = nextInstance++; // tfjs variable names are global per engine
    for (const [name, shape] of Object.entries(paramShapes(config))) {
      const v = init[name];
      if (!v) throw new Error(`TfFilmMlp: missing init for ${name}`);
      this.vars[name] = tf.variable(tf.tensor(v, shape), true, `dp${instance}/${name}`);
      this.ema[name] = tf.variable(tf.tensor(v, shape), false, `dp${instance}-ema/${name}`);
    }
  }

  get trainable(): tf.Variable[] {
    return Object.values(this.vars);
  }

  private d(x: tf.Tensor2D, name: string): tf.Tensor2D {
    return dense(x, this.vars[`${name}.w`] as tf.Tensor2D, this.vars[`${name}.b`] as tf.Tensor1D);
  }

  /** x: [B×H·A] noisy chunk; tEmb: [B×timeEmbDim] sinusoids; obs: [B×To·O] normalized history. */
  forward(x: tf.Tensor2D, tEmb: tf.Tensor2D, obs: tf.Tensor2D): tf.Tensor2D {
    const W = this.config.width;
    const f1 = silu(this.d(tEmb, 't1'));
    const f2 = silu(this.d(f1, 't2'));
    const c = tf.concat([silu(obs), f2], 1) as tf.Tensor2D;
    let h = this.d(x, 'in');
    for (let k = 0; k < this.config.blocks; k++) {
      const film = this.d(c, `film${k}`);
      const [g, b] = tf.split(film, [W, W], 1) as [tf.Tensor2D, tf.Tensor2D];
      const z = silu(tf.add(tf.mul(this.d(h, `a${k}`), tf.add(g, 1)), b) as tf.Tensor2D);
      h = tf.add(h, this.d(z, `b${k}`)) as tf.Tensor2D;
    }
    return this.d(silu(h), 'out');
  }

  /** ema ← d·ema + (1−d)·w */
  updateEma(decay: number): void {
    tf.tidy(() => {
      for (const [name, v] of Object.entries(this.vars)) {
        const e = this.ema[name]!;
        e.assign(tf.add(tf.mul(e, decay), tf.mul(v, 1 - decay)));
      }
    });
  }

  exportParams(which: 'ema' | 'raw' = 'ema'): Params {
    const src = which === 'ema' ? this.ema : this.vars;
    const out: Params = {};
    for (const [name, v] of Object.entries(src)) out[name] = new Float32Array(v.dataSync() as Float32Array);
    return out;
  }

  dispose(): void {
    for (const v of [...Object.values(this.vars), ...Object.values(this.ema)]) v.dispose();
  }
}

/**
 * EMA decay with warm-up, as diffusers' EMAModel used by Diffusion Policy (inv_gamma 1, power 0.75):
 * d = min(maxDecay, 1 − (1 + step)^−power); early steps track the weights closely, later steps average.
 */
export function emaDecay(step: number, power = 0.75, maxDecay = 0.9999): number {
  if (step <= 0) return 0;
  return Math.max(0, Math.min(maxDecay, 1 - Math.pow(1 + step, -power)));
}
