/**
 * The denoiser ε_θ(x_t, t, obs): a FiLM-conditioned residual MLP over the flattened action chunk.
 *
 *   tFeat  = Linear(64) ∘ SiLU ∘ Linear(64) (sinusoid_32(t))          diffusion-step encoder (as Chi et al.)
 *   c      = SiLU([obs_history_flat, tFeat])                           global condition
 *   h      = Linear_in(x_t)                                            x_t: H×A chunk, flattened
 *   block k: z = Linear_a(h); [γ, β] = Linear_film(c); z = SiLU(z ⊙ (1 + γ) + β); h = h + Linear_b(z)
 *   ε̂      = Linear_out(SiLU(h))
 *
 * Why a FiLM MLP rather than the 1-D temporal conv U-Net: the state-based chunk is tiny (16 × A numbers), the
 * U-Net's multi-scale convolutions buy temporal smoothness that an MLP over the whole chunk also gets, and on
 * this 2-core CPU a batch-1 Float32Array matvec runs at ~1 GMAC/s, so 10 DDIM steps inside 5 ms leave room
 * for only ~0.5 M multiply-adds per step. FiLM is also *linear in c*, and c = SiLU of a concatenation is
 * separable, so  Linear_film(c) = W_obs·SiLU(obs) + W_t·SiLU(tFeat) + b:  the observation part is computed
 * once per chunk and the timestep part once per DDIM step index at load time. Per DDIM step only the
 * in/out projections and 2 × blocks W×W matvecs remain.
 *
 * Weights are named Float32Arrays in [in×out] row-major layout (the tfjs layout); the runtime transposes
 * them once to [out×in] so each output is a contiguous dot product (~30% faster in V8 than axpy form).
 */
import type { Rng } from '@s2r/core';

export interface FilmMlpConfig {
  /** Action dimension A. */
  actDim: number;
  /** Chunk length H (16 in Diffusion Policy). */
  horizon: number;
  /** Observation dimension O (one frame). */
  obsDim: number;
  /** Observation frames in the condition, To (2 in Diffusion Policy). */
  obsHistory: number;
  /** Hidden width W. */
  width: number;
  /** Residual FiLM blocks. */
  blocks: number;
  /** Sinusoidal timestep embedding size (even). */
  timeEmbDim: number;
  /** Timestep feature size after the step encoder MLP. */
  timeFeatDim: number;
}

export const DEFAULT_FILM_MLP: Omit<FilmMlpConfig, 'actDim' | 'obsDim' | 'horizon' | 'obsHistory'> = {
  width: 256,
  blocks: 2,
  timeEmbDim: 32,
  timeFeatDim: 64,
};

export type Params = Record<string, Float32Array>;

export function condDim(c: FilmMlpConfig): number {
  return c.obsDim * c.obsHistory + c.timeFeatDim;
}

/** Name → [in, out] (weights) or [out] (biases). The single source of truth for the parameter set. */
export function paramShapes(c: FilmMlpConfig): Record<string, number[]> {
  const X = c.horizon * c.actDim;
  const s: Record<string, number[]> = {
    't1.w': [c.timeEmbDim, c.timeFeatDim], 't1.b': [c.timeFeatDim],
    't2.w': [c.timeFeatDim, c.timeFeatDim], 't2.b': [c.timeFeatDim],
    'in.w': [X, c.width], 'in.b': [c.width],
  };
  for (let k = 0; k < c.blocks; k++) {
    s[`film${k}.w`] = [condDim(c), 2 * c.width];
    s[`film${k}.b`] = [2 * c.width];
    s[`a${k}.w`] = [c.width, c.width];
    s[`a${k}.b`] = [c.width];
    s[`b${k}.w`] = [c.width, c.width];
    s[`b${k}.b`] = [c.width];
  }
  s['out.w'] = [c.width, X];
  s['out.b'] = [X];
  return s;
}

export function checkConfig(c: FilmMlpConfig): void {
  for (const k of ['actDim', 'horizon', 'obsDim', 'obsHistory', 'width', 'blocks', 'timeEmbDim', 'timeFeatDim'] as const) {
    const v = c[k];
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`FiLM MLP config: ${k} must be a positive integer, got ${v}`);
  }
  if (c.timeEmbDim % 2 !== 0) throw new RangeError(`FiLM MLP config: timeEmbDim must be even, got ${c.timeEmbDim}`);
}

/**
 * He-style Gaussian init (std √2/√fan_in) from the seeded Rng. The last layer of each residual branch and the
 * FiLM projection start small, so every block starts near identity (h + ~0) and training is stable at once.
 */
export function initParams(c: FilmMlpConfig, rng: Rng): Params {
  checkConfig(c);
  const p: Params = {};
  for (const [name, shape] of Object.entries(paramShapes(c))) {
    const n = shape.reduce((a, b) => a * b, 1);
    const arr = new Float32Array(n);
    if (shape.length === 2) {
      const small = name.startsWith('b') || name.startsWith('film') || name === 'out.w';
      const std = (small ? 0.1 : Math.SQRT2) / Math.sqrt(shape[0]!);
      for (let i = 0; i < n; i++) arr[i] = rng.normal(0, std);
    }
    p[name] = arr;
  }
  return p;
}

/** Sinusoidal embedding of a diffusion step (as in DDPM / Diffusion Policy's SinusoidalPosEmb). */
export function timestepEmbedding(t: number, dim: number, out = new Float32Array(dim)): Float32Array {
  const half = dim / 2;
  const scale = Math.log(10000) / (half - 1);
  for (let k = 0; k < half; k++) {
    const a = t * Math.exp(-scale * k);
    out[k] = Math.sin(a);
    out[k + half] = Math.cos(a);
  }
  return out;
}

export function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

/** [in×out] → [out×in]. */
function transpose(w: Float32Array, nin: number, nout: number): Float32Array {
  const t = new Float32Array(nin * nout);
  for (let i = 0; i < nin; i++) for (let j = 0; j < nout; j++) t[j * nin + i] = w[i * nout + j]!;
  return t;
}

/** y = Wᵀx + b with W given as [out×in] (rows contiguous); unrolled ×4 for V8. */
function matvec(wt: Float32Array, b: Float32Array, x: Float32Array, xOff: number, nin: number, nout: number, y: Float32Array, yOff = 0): void {
  for (let j = 0; j < nout; j++) {
    const o = j * nin;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let p = 0;
    for (; p + 3 < nin; p += 4) {
      s0 += x[xOff + p]! * wt[o + p]!;
      s1 += x[xOff + p + 1]! * wt[o + p + 1]!;
      s2 += x[xOff + p + 2]! * wt[o + p + 2]!;
      s3 += x[xOff + p + 3]! * wt[o + p + 3]!;
    }
    for (; p < nin; p++) s0 += x[xOff + p]! * wt[o + p]!;
    y[yOff + j] = s0 + s1 + s2 + s3 + b[j]!;
  }
}

/** The observation-dependent part of every block's FiLM [γ, β], computed once per chunk. */
export interface ObsContext {
  film: Float32Array[];
}

/**
 * Float32Array forward pass, batch 1, no tfjs. Not re-entrant (it owns scratch buffers); one runtime per
 * control thread.
 */
export class FilmMlpRuntime {
  readonly config: FilmMlpConfig;
  private readonly wt: Record<string, Float32Array> = {};
  private readonly p: Params;
  private readonly obsFlat: number;
  private readonly tCache = new Map<number, Float32Array[]>();
  private readonly h: Float32Array;
  private readonly z: Float32Array;
  private readonly z2: Float32Array;
  private readonly film: Float32Array;
  private readonly zeroBias: Float32Array;

  constructor(config: FilmMlpConfig, params: Params) {
    checkConfig(config);
    this.config = config;
    this.p = params;
    for (const [name, shape] of Object.entries(paramShapes(config))) {
      const a = params[name];
      const n = shape.reduce((x, y) => x * y, 1);
      if (!a) throw new Error(`FiLM MLP weights: missing "${name}"`);
      if (a.length !== n) throw new Error(`FiLM MLP weights: "${name}" has ${a.length} values, expected ${n} (shape ${shape.join('×')})`);
      if (shape.length === 2 && !name.startsWith('film')) this.wt[name] = transpose(a, shape[0]!, shape[1]!);
    }
    // FiLM weights split by rows: observation rows and timestep rows, each transposed.
    this.obsFlat = config.obsDim * config.obsHistory;
    const W2 = 2 * config.width;
    for (let k = 0; k < config.blocks; k++) {
      const w = params[`film${k}.w`]!;
      this.wt[`film${k}.obs`] = transpose(w.subarray(0, this.obsFlat * W2), this.obsFlat, W2);
      this.wt[`film${k}.t`] = transpose(w.subarray(this.obsFlat * W2), config.timeFeatDim, W2);
    }
    this.h = new Float32Array(config.width);
    this.z = new Float32Array(config.width);
    this.z2 = new Float32Array(config.width);
    this.film = new Float32Array(W2);
    this.zeroBias = new Float32Array(Math.max(W2, config.horizon * config.actDim));
  }

  /** obsHist: the normalized observation history, flattened oldest first (To × O). */
  prepareObs(obsHist: Float32Array, ctx?: ObsContext): ObsContext {
    const c = this.config;
    if (obsHist.length !== this.obsFlat) throw new Error(`diffusion denoiser: obs history has ${obsHist.length} values, expected ${c.obsHistory}×${c.obsDim}`);
    const act = new Float32Array(this.obsFlat);
    for (let i = 0; i < act.length; i++) act[i] = silu(obsHist[i]!);
    const out = ctx ?? { film: Array.from({ length: c.blocks }, () => new Float32Array(2 * c.width)) };
    for (let k = 0; k < c.blocks; k++) matvec(this.wt[`film${k}.obs`]!, this.zeroBias, act, 0, this.obsFlat, 2 * c.width, out.film[k]!);
    return out;
  }

  /** Timestep part of each block's FiLM (bias included); cached per integer step. */
  private timeFilm(t: number): Float32Array[] {
    let v = this.tCache.get(t);
    if (v) return v;
    const c = this.config;
    const emb = timestepEmbedding(t, c.timeEmbDim);
    const f1 = new Float32Array(c.timeFeatDim);
    matvec(this.wt['t1.w']!, this.p['t1.b']!, emb, 0, c.timeEmbDim, c.timeFeatDim, f1);
    for (let i = 0; i < f1.length; i++) f1[i] = silu(f1[i]!);
    const f2 = new Float32Array(c.timeFeatDim);
    matvec(this.wt['t2.w']!, this.p['t2.b']!, f1, 0, c.timeFeatDim, c.timeFeatDim, f2);
    for (let i = 0; i < f2.length; i++) f2[i] = silu(f2[i]!); // the SiLU of the condition c, time half
    v = [];
    for (let k = 0; k < c.blocks; k++) {
      const o = new Float32Array(2 * c.width);
      matvec(this.wt[`film${k}.t`]!, this.p[`film${k}.b`]!, f2, 0, c.timeFeatDim, 2 * c.width, o);
      v.push(o);
    }
    this.tCache.set(t, v);
    return v;
  }

  /** ε̂(x_t, t | obs) into `out` (H·A). */
  eps(x: Float32Array, t: number, ctx: ObsContext, out: Float32Array): void {
    const c = this.config;
    const W = c.width;
    const X = c.horizon * c.actDim;
    const tf = this.timeFilm(t);
    const { h, z, z2, film } = this;
    matvec(this.wt['in.w']!, this.p['in.b']!, x, 0, X, W, h);
    for (let k = 0; k < c.blocks; k++) {
      const fo = ctx.film[k]!;
      const ft = tf[k]!;
      for (let i = 0; i < 2 * W; i++) film[i] = fo[i]! + ft[i]!;
      matvec(this.wt[`a${k}.w`]!, this.p[`a${k}.b`]!, h, 0, W, W, z);
      for (let i = 0; i < W; i++) z[i] = silu(z[i]! * (1 + film[i]!) + film[W + i]!);
      matvec(this.wt[`b${k}.w`]!, this.p[`b${k}.b`]!, z, 0, W, W, z2);
      for (let i = 0; i < W; i++) h[i] = h[i]! + z2[i]!;
    }
    for (let i = 0; i < W; i++) z[i] = silu(h[i]!);
    matvec(this.wt['out.w']!, this.p['out.b']!, z, 0, W, X, out);
  }
}
