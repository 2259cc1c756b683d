/**
 * Preallocated rollout storage, time-major [T×N×…] Float32Arrays, written in place each step and reused every
 * iteration (no per-step allocation). Minibatches are gathered into preallocated buffers too.
 */
export class RolloutStorage {
  readonly T: number;
  readonly N: number;
  readonly obsDim: number;
  readonly criticDim: number;
  readonly actDim: number;
  /** Normalized actor observations [T×N×obs]. */
  readonly obs: Float32Array;
  /** Normalized critic observations [T×N×critic] (same as obs when the critic is symmetric). */
  readonly criticObs: Float32Array;
  /** Sampled (unclipped) actions [T×N×act]. */
  readonly actions: Float32Array;
  readonly rewards: Float32Array;
  /** terminated OR truncated, [T×N]. */
  readonly dones: Uint8Array;
  readonly values: Float32Array;
  readonly logProbs: Float32Array;
  /**
   * Mean and σ of the acting distribution, for the KL of the adaptive schedule. A lagged update
   * (PPO.beginUpdate({ lagged: true })) overwrites them with the proximal policy's (the one the update starts from).
   */
  readonly mu: Float32Array;
  readonly sigma: Float32Array;
  /** log π_prox(a|s) of the policy the update starts from; equals logProbs unless the rollout is one version old. */
  readonly proxLogProbs: Float32Array;
  readonly advantages: Float32Array;
  readonly returns: Float32Array;
  step = 0;

  constructor(T: number, N: number, obsDim: number, criticDim: number, actDim: number) {
    this.T = T;
    this.N = N;
    this.obsDim = obsDim;
    this.criticDim = criticDim;
    this.actDim = actDim;
    const S = T * N;
    this.obs = new Float32Array(S * obsDim);
    this.criticObs = criticDim === obsDim ? this.obs : new Float32Array(S * criticDim);
    this.actions = new Float32Array(S * actDim);
    this.rewards = new Float32Array(S);
    this.dones = new Uint8Array(S);
    this.values = new Float32Array(S);
    this.logProbs = new Float32Array(S);
    this.mu = new Float32Array(S * actDim);
    this.sigma = new Float32Array(S * actDim);
    this.proxLogProbs = new Float32Array(S);
    this.advantages = new Float32Array(S);
    this.returns = new Float32Array(S);
  }

  get size(): number {
    return this.T * this.N;
  }

  clear(): void {
    this.step = 0;
  }
}

/** Gathered minibatch, preallocated once for a given minibatch size. */
export class Minibatch {
  readonly size: number;
  readonly obs: Float32Array;
  readonly criticObs: Float32Array;
  readonly actions: Float32Array;
  readonly values: Float32Array;
  readonly returns: Float32Array;
  readonly advantages: Float32Array;
  readonly logProbs: Float32Array;
  readonly proxLogProbs: Float32Array;
  readonly mu: Float32Array;
  readonly sigma: Float32Array;

  /** `alloc(field, n)` places each array (e.g. on a SharedArrayBuffer for the gradient workers); default: plain. */
  constructor(size: number, s: RolloutStorage, alloc: (field: string, n: number) => Float32Array = (_f, n) => new Float32Array(n)) {
    this.size = size;
    this.obs = alloc('obs', size * s.obsDim);
    this.criticObs = s.criticObs === s.obs ? this.obs : alloc('criticObs', size * s.criticDim);
    this.actions = alloc('actions', size * s.actDim);
    this.values = alloc('values', size);
    this.returns = alloc('returns', size);
    this.advantages = alloc('advantages', size);
    this.logProbs = alloc('logProbs', size);
    this.proxLogProbs = alloc('proxLogProbs', size);
    this.mu = alloc('mu', size * s.actDim);
    this.sigma = alloc('sigma', size * s.actDim);
  }

  /** Copy rows idx[from..from+size) of the storage into this minibatch. */
  gather(s: RolloutStorage, idx: Uint32Array, from: number): void {
    const D = s.obsDim;
    const C = s.criticDim;
    const A = s.actDim;
    const sepCritic = this.criticObs !== this.obs;
    for (let r = 0; r < this.size; r++) {
      const k = idx[from + r]!;
      this.obs.set(s.obs.subarray(k * D, k * D + D), r * D);
      if (sepCritic) this.criticObs.set(s.criticObs.subarray(k * C, k * C + C), r * C);
      this.actions.set(s.actions.subarray(k * A, k * A + A), r * A);
      this.mu.set(s.mu.subarray(k * A, k * A + A), r * A);
      this.sigma.set(s.sigma.subarray(k * A, k * A + A), r * A);
      this.values[r] = s.values[k]!;
      this.returns[r] = s.returns[k]!;
      this.advantages[r] = s.advantages[k]!;
      this.logProbs[r] = s.logProbs[k]!;
      this.proxLogProbs[r] = s.proxLogProbs[k]!;
    }
  }
}
