/**
 * The FiLM MLP denoiser (film-mlp.ts) as a trainable tfjs graph over a batch, with EMA shadow weights.
 * Every op has a hand-written gradient (nn/dense.ts, tf-ops.ts), so no tfjs gradient registry is needed.
 *
 * The FiLM projection [γ, β] = W·c + b with c = [SiLU(obs), SiLU(tFeat)] is held as four blocks
 * (obs rows / time rows × γ columns / β columns) so the graph needs no concat or split; `exportParams`
 * reassembles the runtime's `film<k>.w` [(To·O + Tf) × 2W] and `film<k>.b` [2W].
 */
import * as tf from '@tensorflow/tfjs-core';
import { dense } from '../nn/dense.ts';
import { paramShapes, type FilmMlpConfig, type Params } from './film-mlp.ts';
import { add2, film, silu } from './tf-ops.ts';

let nextInstance = 0;

/** Split film<k>.w/b into the four training blocks, and back. */
function filmBlocks(c: FilmMlpConfig, w: Float32Array, b: Float32Array): Record<string, { data: Float32Array; shape: number[] }> {
  const O = c.obsDim * c.obsHistory;
  const T = c.timeFeatDim;
  const W = c.width;
  const part = (r0: number, r1: number, c0: number) => {
    const out = new Float32Array((r1 - r0) * W);
    for (let r = r0; r < r1; r++) for (let j = 0; j < W; j++) out[(r - r0) * W + j] = w[r * 2 * W + c0 + j]!;
    return { data: out, shape: [r1 - r0, W] };
  };
  return {
    og: part(0, O, 0), ob: part(0, O, W), tg: part(O, O + T, 0), tb: part(O, O + T, W),
    bg: { data: b.slice(0, W), shape: [W] }, bb: { data: b.slice(W, 2 * W), shape: [W] },
  };
}

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
    const add = (name: string, data: Float32Array, shape: number[]) => {
      this.vars[name] = tf.variable(tf.tensor(data, shape), true, `dp${instance}/${name}`);
      this.ema[name] = tf.variable(tf.tensor(data, shape), false, `dp${instance}-ema/${name}`);
    };
    for (const [name, shape] of Object.entries(paramShapes(config))) {
      if (name.startsWith('film')) continue;
      const v = init[name];
      if (!v) throw new Error(`TfFilmMlp: missing init for ${name}`);
      add(name, v, shape);
    }
    for (let k = 0; k < config.blocks; k++) {
      const blocks = filmBlocks(config, init[`film${k}.w`]!, init[`film${k}.b`]!);
      for (const [part, { data, shape }] of Object.entries(blocks)) add(`film${k}.${part}`, data, shape);
    }
  }

  get trainable(): tf.Variable[] {
    return Object.values(this.vars);
  }

  private d(x: tf.Tensor2D, name: string): tf.Tensor2D {
    return dense(x, this.vars[`${name}.w`] as tf.Tensor2D, this.vars[`${name}.b`] as tf.Tensor1D);
  }

  private lin(x: tf.Tensor2D, w: string, b: string): tf.Tensor2D {
    return dense(x, this.vars[w] as tf.Tensor2D, this.vars[b] as tf.Tensor1D);
  }

  /** x: [B×H·A] noisy chunk; tEmb: [B×timeEmbDim] sinusoids; obs: [B×To·O] normalized history. */
  forward(x: tf.Tensor2D, tEmb: tf.Tensor2D, obs: tf.Tensor2D): tf.Tensor2D {
    const tFeat = silu(this.d(silu(this.d(tEmb, 't1')), 't2'));
    const cObs = silu(obs);
    let h = this.d(x, 'in');
    for (let k = 0; k < this.config.blocks; k++) {
      // γ = W_og·SiLU(obs) + W_tg·SiLU(tFeat) + b_γ (and β likewise): the separable FiLM of film-mlp.ts.
      const g = add2(this.lin(cObs, `film${k}.og`, `film${k}.bg`), dense(tFeat, this.vars[`film${k}.tg`] as tf.Tensor2D, tf.zeros([this.config.width])));
      const b = add2(this.lin(cObs, `film${k}.ob`, `film${k}.bb`), dense(tFeat, this.vars[`film${k}.tb`] as tf.Tensor2D, tf.zeros([this.config.width])));
      const z = silu(film(this.d(h, `a${k}`), g, b));
      h = add2(h, this.d(z, `b${k}`));
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

  /** Parameters in the runtime layout (film<k>.w/b reassembled). */
  exportParams(which: 'ema' | 'raw' = 'ema'): Params {
    const src = which === 'ema' ? this.ema : this.vars;
    const get = (n: string) => src[n]!.dataSync() as Float32Array;
    const out: Params = {};
    const c = this.config;
    for (const name of Object.keys(paramShapes(c))) {
      if (!name.startsWith('film')) out[name] = new Float32Array(get(name));
    }
    const O = c.obsDim * c.obsHistory;
    const T = c.timeFeatDim;
    const W = c.width;
    for (let k = 0; k < c.blocks; k++) {
      const w = new Float32Array((O + T) * 2 * W);
      const put = (blk: Float32Array, r0: number, rows: number, c0: number) => {
        for (let r = 0; r < rows; r++) for (let j = 0; j < W; j++) w[(r0 + r) * 2 * W + c0 + j] = blk[r * W + j]!;
      };
      put(get(`film${k}.og`), 0, O, 0);
      put(get(`film${k}.ob`), 0, O, W);
      put(get(`film${k}.tg`), O, T, 0);
      put(get(`film${k}.tb`), O, T, W);
      const b = new Float32Array(2 * W);
      b.set(get(`film${k}.bg`), 0);
      b.set(get(`film${k}.bb`), W);
      out[`film${k}.w`] = w;
      out[`film${k}.b`] = b;
    }
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
