/**
 * The few element-wise ops the FiLM denoiser and the BC loss need, with hand-written gradients (tf.customGrad).
 * Why: @tensorflow/tfjs-core alone registers no gradients (they ship with the full @tensorflow/tfjs bundle,
 * which is not a dependency), and its ESM register_all_gradients cannot be imported by Node's ESM loader.
 * Dense layers come from nn/dense.ts (explicit-transpose gradients, see the wasm transpose trap).
 */
import * as tf from '@tensorflow/tfjs-core';

// tf.customGrad's typing takes (...inputs: (Tensor | GradSaveFunc)[]); our functions name their parameters.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const customGrad = (f: (...a: any[]) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] }) => tf.customGrad(f as never);

/** silu(x) = x·σ(x);  d/dx = σ(x)·(1 + x·(1 − σ(x))). */
const siluOp = customGrad((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const s = tf.sigmoid(x);
  save([x, s]);
  return {
    value: tf.mul(x, s),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ss] = saved as [tf.Tensor, tf.Tensor];
      return [tf.mul(dy, tf.mul(ss, tf.add(1, tf.mul(xs, tf.sub(1, ss)))))];
    },
  };
});

export function silu<T extends tf.Tensor>(x: T): T {
  return siluOp(x) as T;
}

/** FiLM modulation y = z ⊙ (1 + γ) + β (same shapes);  dz = dy ⊙ (1 + γ), dγ = dy ⊙ z, dβ = dy. */
const filmOp = customGrad((z: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([z, g]);
  return {
    value: tf.add(tf.mul(z, tf.add(g, 1)), b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [zs, gs] = saved as [tf.Tensor, tf.Tensor];
      return [tf.mul(dy, tf.add(gs, 1)), tf.mul(dy, zs), dy];
    },
  };
});

export function film(z: tf.Tensor2D, g: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return filmOp(z, g, b) as tf.Tensor2D;
}

/** a + b (same shapes); both gradients are dy. */
const add2Op = customGrad((a: tf.Tensor, b: tf.Tensor) => ({ value: tf.add(a, b), gradFunc: (dy: tf.Tensor) => [dy, dy] }));

export function add2(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return add2Op(a, b) as tf.Tensor2D;
}

/** mean((p − t)²) over all elements; dp = 2(p − t)/n · dy. The target gets no gradient (it is data). */
const mseOp = customGrad((p: tf.Tensor, t: tf.Tensor, save: tf.GradSaveFunc) => {
  const d = tf.sub(p, t);
  save([d]);
  return {
    value: tf.mean(tf.square(d)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [ds] = saved as [tf.Tensor];
      const g = tf.mul(ds, tf.mul(dy, 2 / ds.size));
      return [g, tf.zerosLike(ds)];
    },
  };
});

export function mse(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return mseOp(pred, target) as tf.Scalar;
}
