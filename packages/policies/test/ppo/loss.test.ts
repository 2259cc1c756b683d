import { describe, expect, it } from 'vitest';
import { ppoLoss, gaussianLogProb, type PpoLossInput } from '../../src/ppo/loss.ts';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Hand-worked tiny case: B = 2, A = 1, σ = 1 (log σ = 0), ε = 0.2, c_v = 0.5, c_e = 0.01.
 *  sample 0: a = 0.5, μ = 0 → z = 0.5; ratio set to 1.5 (clipped to 1.2), Â = +1 → surrogate term max(−1.5, −1.2) = −1.2,
 *            the clipped branch is active → no gradient. V = 1, V_old = .5, R = 2: V clipped to .7,
 *            max((1−2)², (.7−2)²) = 1.69 on the clipped branch, outside the clip range → no gradient.
 *  sample 1: a = −0.2, μ = 0.1 → z = −0.3; ratio 0.9 (inside), Â = −2 → term 1.8, ∂/∂logp = −Â·r/B = 0.9.
 *            ∂/∂μ = 0.9·z/σ = −0.27; ∂/∂logσ = 0.9·(z² − 1) = −0.819. V = .1, V_old = 0, R = −1: unclipped
 *            (.1 inside ±.2), (V − R)² = 1.21, ∂/∂V = c_v·2(V − R)/B = 0.55.
 *  surrogate = (−1.2 + 1.8)/2 = 0.3; value = (1.69 + 1.21)/2 = 1.45; entropy = ½·log(2πe) = 1.4189385
 *  loss = 0.3 + 0.5·1.45 − 0.01·1.4189385 = 1.0108106;  ∂/∂logσ total = −0.819 − 0.01 = −0.829
 */
function tiny(): PpoLossInput {
  const logp0 = -0.5 * 0.25 - HALF_LOG_2PI;
  const logp1 = -0.5 * 0.09 - HALF_LOG_2PI;
  return {
    B: 2, A: 1,
    mu: [0, 0.1], logStd: [0], values: [1.0, 0.1],
    actions: [0.5, -0.2],
    oldLogProbs: [logp0 - Math.log(1.5), logp1 - Math.log(0.9)],
    oldValues: [0.5, 0.0], returns: [2.0, -1.0], advantages: [1, -2],
    oldMu: [0, 0.1], oldSigma: [1, 1],
    clip: 0.2, clipValueLoss: true, valueCoef: 0.5, entropyCoef: 0.01,
  };
}

/** A random batch (Lehmer generator, so it is the same every run); log σ_j = logStdScale·U(−1, 1). */
type Batch = PpoLossInput & { mu: number[]; logStd: number[]; values: number[]; actions: number[]; oldLogProbs: number[] };
function randomBatch(B: number, A: number, seed: number, logStdScale: () => number): Batch {
  let s = seed;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const mu = Array.from({ length: B * A }, rnd);
  const logStd = Array.from({ length: A }, () => logStdScale() * rnd());
  const actions = mu.map((m) => m + 0.5 * rnd());
  const oldLogProbs = Array.from({ length: B }, (_, b) => gaussianLogProb(actions, mu, logStd, A, b) + 0.1 * rnd());
  const values = Array.from({ length: B }, rnd);
  return {
    B, A, mu, logStd, values, actions, oldLogProbs,
    oldValues: values.map((v) => v + 0.05 * rnd()), returns: Array.from({ length: B }, rnd), advantages: Array.from({ length: B }, rnd),
    clip: 0.2, clipValueLoss: true, valueCoef: 1.0, entropyCoef: 0.01,
  };
}

describe('PPO loss', () => {
  it('matches the hand-computed tiny case', () => {
    const L = ppoLoss(tiny());
    expect(L.surrogate).toBeCloseTo(0.3, 10);
    expect(L.valueLoss).toBeCloseTo(1.45, 10);
    expect(L.entropy).toBeCloseTo(0.5 * Math.log(2 * Math.PI * Math.E), 10);
    expect(L.loss).toBeCloseTo(0.3 + 0.725 - 0.01 * 1.4189385332046727, 10);
    expect(L.clipFraction).toBe(0.5);
    expect(L.kl).toBe(0);
    expect(L.dMu[0]).toBe(0);
    expect(L.dMu[1]).toBeCloseTo(-0.27, 6);
    expect(L.dLogStd[0]).toBeCloseTo(-0.829, 6);
    expect(L.dValues[0]).toBe(0);
    expect(L.dValues[1]).toBeCloseTo(0.55, 6);
  });

  it('gradients match central finite differences on a random batch (away from kinks)', () => {
    const B = 6, A = 3;
    const inp = randomBatch(B, A, 7, () => 0.3);
    const { mu, logStd, values } = inp;
    const L = ppoLoss(inp);
    const h = 1e-6;
    const fd = (mut: (d: number) => PpoLossInput) => (ppoLoss(mut(h)).loss - ppoLoss(mut(-h)).loss) / (2 * h);
    for (let k = 0; k < B * A; k++) {
      const g = fd((d) => ({ ...inp, mu: mu.map((m, i) => (i === k ? m + d : m)) }));
      expect(L.dMu[k]).toBeCloseTo(g, 4);
    }
    for (let j = 0; j < A; j++) {
      const g = fd((d) => ({ ...inp, logStd: logStd.map((m, i) => (i === j ? m + d : m)) }));
      expect(L.dLogStd[j]).toBeCloseTo(g, 4);
    }
    for (let b = 0; b < B; b++) {
      const g = fd((d) => ({ ...inp, values: values.map((m, i) => (i === b ? m + d : m)) }));
      expect(L.dValues[b]).toBeCloseTo(g, 4);
    }
  });

  it('KL(old ‖ new) of equal-σ Gaussians is Δμ²/2σ² per dim', () => {
    const inp = { ...tiny(), oldMu: [0.5, 0.6] };
    expect(ppoLoss(inp).kl).toBeCloseTo(0.125, 10);
  });

  it('a proximal policy equal to the behaviour one gives back the standard loss, bit for bit', () => {
    const a = ppoLoss(tiny());
    const b = ppoLoss({ ...tiny(), proxLogProbs: tiny().oldLogProbs });
    expect(b.loss).toBe(a.loss);
    expect(Array.from(b.dMu)).toEqual(Array.from(a.dMu));
    expect(Array.from(b.dLogStd)).toEqual(Array.from(a.dLogStd));
  });

  it('a lagged rollout: clipped around π_prox, weighted by π_prox/π_old (decoupled PPO)', () => {
    // sample 1 of tiny(): r_old = π/π_old = 0.9 would be inside [0.8, 1.2]; with π_prox = π/0.75 the proximal
    // ratio is 0.75 → clipped (Â < 0 takes max(−Â·w·r, −Â·w·0.8) = the clipped branch), so no gradient flows.
    const t = tiny();
    const logp1 = -0.5 * 0.09 - HALF_LOG_2PI;
    const prox = [t.oldLogProbs[0]!, logp1 - Math.log(0.75)];
    const L = ppoLoss({ ...t, proxLogProbs: prox });
    const w1 = Math.exp(prox[1]! - t.oldLogProbs[1]!); // π_prox/π_old = 0.9/0.75 = 1.2
    expect(w1).toBeCloseTo(1.2, 12);
    expect(L.surrogate).toBeCloseTo((-1.2 + 2 * w1 * 0.8) / 2, 10);
    expect(L.dMu[1]).toBe(0);
    expect(L.clipFraction).toBe(1);
  });

  it('gradient shards (meanOver the whole batch, entropy once) add up to the whole batch', () => {
    const B = 8, A = 2;
    const inp = randomBatch(B, A, 11, () => 0.2);
    const { mu, actions, values, oldLogProbs } = inp;
    const whole = ppoLoss(inp);
    const rows = (x: ArrayLike<number>, from: number, to: number, w = 1) => Array.from(x).slice(from * w, to * w);
    const parts = [0, 1].map((k) => {
      const f = k * 4, e = f + 4;
      return ppoLoss({
        ...inp, B: 4, mu: rows(mu, f, e, A), actions: rows(actions, f, e, A), values: rows(values, f, e), oldLogProbs: rows(oldLogProbs, f, e),
        oldValues: rows(inp.oldValues, f, e), returns: rows(inp.returns, f, e), advantages: rows(inp.advantages, f, e), meanOver: B, entropy: k === 0,
      });
    });
    expect(parts[0]!.loss + parts[1]!.loss).toBeCloseTo(whole.loss, 12);
    for (let j = 0; j < A; j++) expect(parts[0]!.dLogStd[j]! + parts[1]!.dLogStd[j]!).toBeCloseTo(whole.dLogStd[j]!, 6);
    expect([...parts[0]!.dMu, ...parts[1]!.dMu]).toEqual(Array.from(whole.dMu));
    expect([...parts[0]!.dValues, ...parts[1]!.dValues]).toEqual(Array.from(whole.dValues));
  });
});
