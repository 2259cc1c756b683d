import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@s2r/core';
import { initBackend } from '../../src/backend.ts';
import { TfMlp, initMlp, type MlpLayerData } from '../../src/nn/mlp.ts';
import { Adam } from '../../src/nn/adam.ts';
import { RuntimeMlp } from '../../src/runtime/mlp.ts';

/** Float64 reference MLP (ELU hidden, linear out) for finite differences. */
function ref(layers: MlpLayerData[], x: number[], B: number): number[] {
  let h = x;
  layers.forEach((l, li) => {
    const y = new Array(B * l.out).fill(0);
    for (let r = 0; r < B; r++)
      for (let j = 0; j < l.out; j++) {
        let s = l.b[j]!;
        for (let k = 0; k < l.in; k++) s += h[r * l.in + k]! * l.w[k * l.out + j]!;
        y[r * l.out + j] = li + 1 < layers.length ? (s > 0 ? s : Math.expm1(s)) : s;
      }
    h = y;
  });
  return h;
}

describe('TfMlp hand-written backward', () => {
  beforeAll(async () => {
    await initBackend('wasm', { quiet: true });
  });

  it('matches float64 finite differences of a weighted-sum loss (weights, biases, input)', () => {
    const rng = Rng.seed(3);
    const sizes = [3, 5, 4, 2];
    const layers = initMlp(sizes, rng, 1.0);
    const B = 4;
    const x = Array.from({ length: B * 3 }, () => rng.normal());
    const c = Array.from({ length: B * 2 }, () => rng.normal());
    const net = new TfMlp(layers, 'elu', 't');
    const { grads, dx } = tf.tidy(() => {
      const acts = net.forwardTrain(tf.tensor2d(x, [B, 3]));
      const r = net.backward(acts, tf.tensor2d(c, [B, 2]), true);
      return { grads: r.grads.map((g) => Array.from(g.dataSync())), dx: Array.from(r.dx!.dataSync()) };
    });
    const loss = (ls: MlpLayerData[], xx: number[]) => ref(ls, xx, B).reduce((a, y, i) => a + y * c[i]!, 0);
    const h = 1e-3;
    layers.forEach((l, li) => {
      for (const [name, arr, gi] of [['w', l.w, 2 * li], ['b', l.b, 2 * li + 1]] as const) {
        for (let k = 0; k < arr.length; k++) {
          const orig = arr[k]!;
          const mk = (d: number) => layers.map((q, qi) => (qi === li ? { ...q, [name]: Float32Array.from(arr, (v, i) => (i === k ? orig + d : v)) } : q));
          const fd = (loss(mk(h), x) - loss(mk(-h), x)) / (2 * h);
          expect(grads[gi]![k]).toBeCloseTo(fd, 3);
        }
      }
    });
    for (let k = 0; k < x.length; k++) {
      const fd = (loss(layers, x.map((v, i) => (i === k ? v + h : v))) - loss(layers, x.map((v, i) => (i === k ? v - h : v)))) / (2 * h);
      expect(dx[k]).toBeCloseTo(fd, 3);
    }
    net.dispose();
  });

  it('the Float32Array runtime MLP reproduces the tfjs forward pass', () => {
    const rng = Rng.seed(4);
    const layers = initMlp([48, 64, 32, 12], rng, 1.0);
    const net = new TfMlp(layers, 'elu', 'r');
    const B = 5;
    const x = Float32Array.from({ length: B * 48 }, () => rng.normal());
    const yt = tf.tidy(() => net.forward(tf.tensor2d(x, [B, 48])).dataSync());
    const yr = new RuntimeMlp(net.export(), 'elu').forward(x, B);
    for (let i = 0; i < yt.length; i++) expect(yr[i]).toBeCloseTo(yt[i]!, 4);
    net.dispose();
  });

  it('the WebAssembly SIMD kernel matches the scalar path, including widths that are not multiples of 4', () => {
    const rng = Rng.seed(6);
    for (const sizes of [[3, 5, 7, 2], [45, 256, 128, 64, 12], [1, 1]]) {
      const layers = initMlp(sizes, rng, 1.0);
      const simd = new RuntimeMlp(layers, 'elu');
      const js = new RuntimeMlp(layers, 'elu', { simd: false });
      expect(simd.backend).toBe('simd');
      expect(js.backend).toBe('js');
      const B = 3;
      const x = Float32Array.from({ length: B * sizes[0]! }, () => rng.normal());
      const a = Float32Array.from(simd.forward(x, B));
      const b = js.forward(x, B);
      const r = ref(layers, Array.from(x), B);
      for (let i = 0; i < a.length; i++) {
        expect(a[i]).toBeCloseTo(r[i]!, 4);
        expect(b[i]).toBeCloseTo(r[i]!, 5);
      }
    }
  });

  it('Adam matches the torch update rule and clips the global gradient norm', () => {
    const p = tf.variable(tf.tensor1d([1, -2]));
    const opt = new Adam([p], 0.1);
    // g = [3, 4] (norm 5) clipped to norm 1 → [0.6, 0.8]; first Adam step moves each weight by −lr·sign(g)
    const n = opt.apply([tf.tensor1d([3, 4])], 1.0);
    expect(n.dataSync()[0]).toBeCloseTo(5, 5);
    const v = p.dataSync();
    expect(v[0]).toBeCloseTo(0.9, 5);
    expect(v[1]).toBeCloseTo(-2.1, 5);
    // state round trip
    const st = opt.getState();
    expect(st.step).toBe(1);
    expect(st.m[0]![0]).toBeCloseTo(0.06, 6);
    opt.dispose();
    p.dispose();
  });
});
