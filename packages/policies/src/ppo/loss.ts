/**
 * The PPO loss and its exact gradient with respect to the network outputs (action mean μ, state-independent
 * log σ, value V), in plain JS (float64 accumulation). The MLP backward pass then starts from these gradients.
 * Same definitions as rsl_rl's PPO.update:
 *
 *   r = exp(log π(a|s) − log π_old(a|s))
 *   surrogate = mean_b max(−Â·r, −Â·clip(r, 1−ε, 1+ε))
 *   value     = mean_b max((V − R)², (V_old + clip(V − V_old, −ε, ε) − R)²)      (or mean (V − R)² unclipped)
 *   entropy   = Σ_a (log σ_a + ½·log 2πe)                                        (same for every state)
 *   loss      = surrogate + c_v·value − c_e·entropy
 *
 * With `proxLogProbs` (a rollout collected one policy version back, see PPO.beginUpdate) the objective is the
 * decoupled one of Hilton et al. 2021 ("Batch size-invariance for policy optimization"): the importance ratio is
 * still taken against the behaviour policy, r_b = π/π_old = w·r with w = π_prox/π_old, but the clip is centred
 * on the proximal policy the update starts from, r = π/π_prox:
 *   surrogate = mean_b max(−Â·w·r, −Â·w·clip(r, 1−ε, 1+ε))
 * so the trust region stays one update wide whatever the lag. proxLogProbs = oldLogProbs gives back the above.
 *
 * Gradients follow torch's conventions at the kinks (clamp passes the gradient on its closed interval; max
 * prefers the first argument on ties, where both branches have the same derivative anyway).
 */
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
const HALF_LOG_2PIE = 0.5 * Math.log(2 * Math.PI * Math.E);

export interface PpoLossInput {
  B: number;
  A: number;
  /** Current policy: μ [B×A], log σ [A], V [B]. */
  mu: ArrayLike<number>;
  logStd: ArrayLike<number>;
  values: ArrayLike<number>;
  /** From the rollout: actions [B×A], log π_old [B], V_old [B], returns [B], advantages [B], μ_old and σ_old [B×A]. */
  actions: ArrayLike<number>;
  oldLogProbs: ArrayLike<number>;
  /** log π_prox [B] of the policy the update started from (lagged rollouts); omitted = oldLogProbs. */
  proxLogProbs?: ArrayLike<number>;
  oldValues: ArrayLike<number>;
  returns: ArrayLike<number>;
  advantages: ArrayLike<number>;
  oldMu?: ArrayLike<number>;
  oldSigma?: ArrayLike<number>;
  clip: number;
  clipValueLoss: boolean;
  valueCoef: number;
  entropyCoef: number;
  /**
   * The batch the means run over, when these B rows are one gradient shard of it (default B). Shard outputs
   * (losses, KL, clip fraction, gradients) then add up to the whole batch's; pass `entropy: false` on every shard
   * but one so the entropy term counts once.
   */
  meanOver?: number;
  entropy?: boolean;
}

export interface PpoLossOutput {
  loss: number;
  surrogate: number;
  valueLoss: number;
  entropy: number;
  /** Mean KL(π_old ‖ π) over the batch (0 when oldMu/oldSigma are not given). */
  kl: number;
  /** Fraction of samples whose ratio left [1−ε, 1+ε]. */
  clipFraction: number;
  /** ∂loss/∂μ [B×A], ∂loss/∂log σ [A], ∂loss/∂V [B]. */
  dMu: Float32Array;
  dLogStd: Float32Array;
  dValues: Float32Array;
}

/** log N(a; μ, σ) summed over the A action dims, for one row. */
export function gaussianLogProb(a: ArrayLike<number>, mu: ArrayLike<number>, logStd: ArrayLike<number>, A: number, row = 0): number {
  let s = 0;
  for (let j = 0; j < A; j++) {
    const ls = logStd[j]!;
    const z = (a[row * A + j]! - mu[row * A + j]!) / Math.exp(ls);
    s += -0.5 * z * z - ls - HALF_LOG_2PI;
  }
  return s;
}

export function gaussianEntropy(logStd: ArrayLike<number>, A: number): number {
  let s = 0;
  for (let j = 0; j < A; j++) s += logStd[j]! + HALF_LOG_2PIE;
  return s;
}

export function ppoLoss(inp: PpoLossInput, out?: Pick<PpoLossOutput, 'dMu' | 'dLogStd' | 'dValues'>): PpoLossOutput {
  const { B, A, mu, logStd, values, actions, oldLogProbs, oldValues, returns, advantages, clip: eps } = inp;
  const dMu = out?.dMu ?? new Float32Array(B * A);
  const dValues = out?.dValues ?? new Float32Array(B);
  const dLogStd = out?.dLogStd ?? new Float32Array(A);
  const sigma = new Float64Array(A);
  const inv = new Float64Array(A);
  for (let j = 0; j < A; j++) {
    sigma[j] = Math.exp(logStd[j]!);
    inv[j] = 1 / sigma[j]!;
  }
  const gLogStd = new Float64Array(A);
  const invB = 1 / (inp.meanOver ?? B);
  const withEntropy = inp.entropy !== false;
  let surr = 0;
  let vloss = 0;
  let kl = 0;
  let clipped = 0;
  const z = new Float64Array(A);
  for (let b = 0; b < B; b++) {
    // log π(a|s) under the current parameters
    let logp = 0;
    for (let j = 0; j < A; j++) {
      const zz = (actions[b * A + j]! - mu[b * A + j]!) * inv[j]!;
      z[j] = zz;
      logp += -0.5 * zz * zz - logStd[j]! - HALF_LOG_2PI;
    }
    // w = π_prox/π_old folded into the advantage: exactly 1 (and the standard loss) when there is no prox.
    const prox = inp.proxLogProbs ? inp.proxLogProbs[b]! : oldLogProbs[b]!;
    const adv = inp.proxLogProbs ? advantages[b]! * Math.exp(prox - oldLogProbs[b]!) : advantages[b]!;
    const r = Math.exp(logp - prox);
    const rc = r < 1 - eps ? 1 - eps : r > 1 + eps ? 1 + eps : r;
    if (rc !== r) clipped++;
    const s1 = -adv * r;
    const s2 = -adv * rc;
    surr += s1 >= s2 ? s1 : s2;
    // ∂/∂logp of the active branch: −Â·r on the unclipped one (or inside the clip range), 0 when clipped.
    const g = s1 >= s2 ? -adv * r * invB : 0;
    if (g !== 0) {
      for (let j = 0; j < A; j++) {
        // ∂logp/∂μ_j = z_j/σ_j ; ∂logp/∂logσ_j = z_j² − 1
        dMu[b * A + j] = g * z[j]! * inv[j]!;
        gLogStd[j]! += g * (z[j]! * z[j]! - 1);
      }
    } else {
      for (let j = 0; j < A; j++) dMu[b * A + j] = 0;
    }

    // value loss
    const v = values[b]!;
    const R = returns[b]!;
    if (inp.clipValueLoss) {
      const vo = oldValues[b]!;
      const dv = v - vo;
      const dvc = dv < -eps ? -eps : dv > eps ? eps : dv;
      const vc = vo + dvc;
      const l1 = (v - R) * (v - R);
      const l2 = (vc - R) * (vc - R);
      if (l1 >= l2) {
        vloss += l1;
        dValues[b] = inp.valueCoef * invB * 2 * (v - R);
      } else {
        vloss += l2;
        dValues[b] = dv >= -eps && dv <= eps ? inp.valueCoef * invB * 2 * (vc - R) : 0;
      }
    } else {
      vloss += (v - R) * (v - R);
      dValues[b] = inp.valueCoef * invB * 2 * (v - R);
    }

    if (inp.oldMu && inp.oldSigma) {
      for (let j = 0; j < A; j++) {
        const so = inp.oldSigma[b * A + j]!;
        const dm = inp.oldMu[b * A + j]! - mu[b * A + j]!;
        kl += Math.log(sigma[j]! / so) + (so * so + dm * dm) / (2 * sigma[j]! * sigma[j]!) - 0.5;
      }
    }
  }
  const entropy = withEntropy ? gaussianEntropy(logStd, A) : 0;
  for (let j = 0; j < A; j++) dLogStd[j] = gLogStd[j]! - (withEntropy ? inp.entropyCoef : 0);
  surr *= invB;
  vloss *= invB;
  return {
    loss: surr + inp.valueCoef * vloss - inp.entropyCoef * entropy,
    surrogate: surr,
    valueLoss: vloss,
    entropy,
    kl: kl * invB,
    clipFraction: clipped * invB,
    dMu,
    dLogStd,
    dValues,
  };
}
