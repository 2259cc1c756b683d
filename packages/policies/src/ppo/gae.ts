/**
 * Generalized Advantage Estimation over a [T×N] rollout (time-major), in place into `advantages`/`returns`.
 *
 *   δ_t = r_t + γ·V(s_{t+1})·(1 − done_t) − V(s_t)
 *   A_t = δ_t + γ·λ·(1 − done_t)·A_{t+1},   R_t = A_t + V(s_t)
 *
 * `done_t` is terminated OR truncated: either way s_{t+1} belongs to a new episode (the VecEnv auto-resets).
 * Time-outs are bootstrapped *before* this, in the reward: r_t += γ·V(s_t) when truncated and not terminated
 * (`bootstrapTimeouts`), rsl_rl's approximation of V(s_final) — the final observation is gone after auto-reset.
 */
export function computeGae(
  rewards: Float32Array,
  values: Float32Array,
  dones: Uint8Array,
  lastValues: Float32Array,
  T: number,
  N: number,
  gamma: number,
  lam: number,
  advantages: Float32Array,
  returns: Float32Array,
): void {
  for (let i = 0; i < N; i++) {
    let next = 0;
    for (let t = T - 1; t >= 0; t--) {
      const k = t * N + i;
      const notDone = dones[k] ? 0 : 1;
      const nextV = t === T - 1 ? lastValues[i]! : values[k + N]!;
      const delta = rewards[k]! + gamma * nextV * notDone - values[k]!;
      next = delta + gamma * lam * notDone * next;
      advantages[k] = next;
      returns[k] = next + values[k]!;
    }
  }
}

/** r_t += γ·V(s_t) where the episode was truncated (time-out) but not terminated. In place. */
export function bootstrapTimeouts(rewards: Float32Array, values: ArrayLike<number>, terminated: Uint8Array, truncated: Uint8Array, gamma: number): void {
  for (let i = 0; i < rewards.length; i++) if (truncated[i] && !terminated[i]) rewards[i] = rewards[i]! + gamma * values[i]!;
}

/** In-place (x − mean)/(std + 1e-8) over the whole array (advantage normalization). */
export function standardize(x: Float32Array): void {
  let m = 0;
  for (let i = 0; i < x.length; i++) m += x[i]!;
  m /= x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i]! - m) ** 2;
  // unbiased, as torch.std
  const s = Math.sqrt(v / Math.max(1, x.length - 1));
  for (let i = 0; i < x.length; i++) x[i] = (x[i]! - m) / (s + 1e-8);
}
