/**
 * A plain Float32Array MLP: the deployable forward pass with no tfjs. Weights are [in×out] row-major, the
 * layout TfMlp exports, so one weight array serves training and deployment bit for bit.
 *
 * Two kernels: a WebAssembly SIMD one (runtime/simd.ts, float32 f32x4, used when the engine supports it) and
 * a scalar JS fallback (float64 accumulation). Results differ from tfjs' kernels in the last bits, but one
 * artifact always gives bitwise the same actions through this class on one machine.
 */
import { createSimdKernel, type SimdKernel } from './simd.ts';

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
  /** Weights transposed to [out×in] for the dot-product loop. */
  private readonly wT: Float32Array[];
  private bufs: Float32Array[] = [];
  private bufBatch = 0;

  private simd: SimdState | null = null;

  constructor(layers: RuntimeLayer[], activation: RuntimeActivation, opts: { simd?: boolean } = {}) {
    if (layers.length === 0) throw new Error('RuntimeMlp: no layers');
    for (let i = 0; i < layers.length; i++) {
      const l = layers[i]!;
      if (l.w.length !== l.in * l.out) throw new Error(`RuntimeMlp layer ${i}: weights have ${l.w.length} values, expected ${l.in}×${l.out}`);
      if (l.b.length !== l.out) throw new Error(`RuntimeMlp layer ${i}: bias has ${l.b.length} values, expected ${l.out}`);
      if (i > 0 && l.in !== layers[i - 1]!.out) throw new Error(`RuntimeMlp layer ${i}: input ${l.in} != previous output ${layers[i - 1]!.out}`);
    }
    this.layers = layers;
    this.wT = layers.map((l) => {
      const t = new Float32Array(l.in * l.out);
      for (let k = 0; k < l.in; k++) for (let j = 0; j < l.out; j++) t[j * l.in + k] = l.w[k * l.out + j]!;
      return t;
    });
    this.activation = activation;
    this.inSize = layers[0]!.in;
    this.outSize = layers[layers.length - 1]!.out;
    this.ensure(1);
    if (opts.simd !== false) this.simd = buildSimd(layers);
  }

  /** 'simd' (WebAssembly f32x4, float32 accumulation) or 'js' (float64 accumulation). */
  get backend(): 'simd' | 'js' {
    return this.simd ? 'simd' : 'js';
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
    if (this.simd) return this.forwardSimd(x, batch);
    let h = x;
    const nl = this.layers.length;
    for (let li = 0; li < nl; li++) {
      const l = this.layers[li]!;
      const y = this.bufs[li]!;
      denseRows(h, this.wT[li]!, l.b, y, batch, l.in, l.out);
      if (li + 1 < nl) applyActivation(y, batch * l.out, this.activation);
      h = y;
    }
    return batch * this.outSize === h.length ? h : h.subarray(0, batch * this.outSize);
  }

  private forwardSimd(x: Float32Array, batch: number): Float32Array {
    const s = this.simd!;
    const f = s.f;
    const nl = this.layers.length;
    const out = this.bufs[nl - 1]!;
    const nin = this.inSize;
    const nout = this.outSize;
    const xo = s.xIn >> 2;
    for (let r = 0; r < batch; r++) {
      f.set(x.subarray(r * nin, r * nin + nin), xo);
      let src = s.xIn;
      for (let li = 0; li < nl; li++) {
        s.k.dense(src, s.w[li]!, s.b[li]!, s.y[li]!, s.pin[li]!, s.pout[li]!);
        // padded outputs are exactly 0 (zero weights and bias) and act(0) = 0, so padding stays inert
        if (li + 1 < nl) applyActivationAt(f, s.y[li]! >> 2, this.layers[li]!.out, this.activation);
        src = s.y[li]!;
      }
      out.set(f.subarray(src >> 2, (src >> 2) + nout), r * nout);
    }
    return batch * nout === out.length ? out : out.subarray(0, batch * nout);
  }
}

/** In place on y[o .. o+n) (no subarray allocation on the hot path). */
function applyActivationAt(y: Float32Array, o: number, n: number, act: RuntimeActivation): void {
  const e = o + n;
  switch (act) {
    case 'elu':
      for (let i = o; i < e; i++) {
        const v = y[i]!;
        if (v < 0) y[i] = Math.expm1(v);
      }
      return;
    case 'relu':
      for (let i = o; i < e; i++) if (y[i]! < 0) y[i] = 0;
      return;
    case 'tanh':
      for (let i = o; i < e; i++) y[i] = Math.tanh(y[i]!);
      return;
    case 'linear':
      return;
  }
}

interface SimdState {
  k: SimdKernel;
  f: Float32Array;
  /** Byte offsets: input buffer, and per layer weights, bias, output. */
  xIn: number;
  w: number[];
  b: number[];
  y: number[];
  /** Padded widths (multiples of 4). */
  pin: number[];
  pout: number[];
}

const pad4 = (n: number) => (n + 3) & ~3;

/** Copy zero-padded weights into the kernel's memory; null when WebAssembly SIMD is unavailable. */
function buildSimd(layers: RuntimeLayer[]): SimdState | null {
  const k = createSimdKernel();
  if (!k) return null;
  const pin = layers.map((l) => pad4(l.in));
  const pout = layers.map((l) => pad4(l.out));
  let off = 0;
  const alloc = (floats: number) => {
    const o = off;
    off += pad4(floats) * 4;
    return o;
  };
  const xIn = alloc(pin[0]!);
  const w: number[] = [], b: number[] = [], y: number[] = [];
  layers.forEach((_, i) => {
    w.push(alloc(pin[i]! * pout[i]!));
    b.push(alloc(pout[i]!));
    y.push(alloc(pout[i]!));
  });
  const need = Math.ceil(off / 65536) - k.memory.buffer.byteLength / 65536;
  if (need > 0) k.memory.grow(need);
  const f = new Float32Array(k.memory.buffer);
  layers.forEach((l, i) => {
    for (let r = 0; r < l.in; r++) f.set(l.w.subarray(r * l.out, r * l.out + l.out), w[i]! / 4 + r * pout[i]!);
    f.set(l.b, b[i]! / 4);
  });
  return { k, f, xIn, w, b, y, pin, pout };
}

/**
 * y[r, j] = b[j] + Σ_k x[r, k]·Wᵀ[j, k]. Dot-product order (weights pre-transposed to [out×in]) keeps the
 * accumulator in a register: measured ~10× faster in V8 than the axpy order that stores y every step.
 * Four independent accumulators hide the FP add latency.
 */
function denseRows(x: Float32Array, wT: Float32Array, b: Float32Array, y: Float32Array, batch: number, nin: number, nout: number): void {
  const n4 = nin & ~3;
  for (let r = 0; r < batch; r++) {
    const xo = r * nin;
    const yo = r * nout;
    for (let j = 0; j < nout; j++) {
      const wo = j * nin;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let k = 0;
      for (; k < n4; k += 4) {
        s0 += x[xo + k]! * wT[wo + k]!;
        s1 += x[xo + k + 1]! * wT[wo + k + 1]!;
        s2 += x[xo + k + 2]! * wT[wo + k + 2]!;
        s3 += x[xo + k + 3]! * wT[wo + k + 3]!;
      }
      for (; k < nin; k++) s0 += x[xo + k]! * wT[wo + k]!;
      y[yo + j] = b[j]! + (s0 + s1 + (s2 + s3));
    }
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
