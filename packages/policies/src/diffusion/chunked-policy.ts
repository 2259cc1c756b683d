/**
 * The shape of the policies this folder produces (BC-MLP, diffusion, residual), structurally matching the
 * house Policy contract: `reset()`, `act(obs)` at batch 1, and for chunked policies `actChunk(obsHistory)`
 * with its chunk settings so the bridge's action queue knows what to do.
 */
export interface ChunkSpec {
  /** Actions predicted per inference (H). */
  horizon: number;
  /** Actions executed from each chunk before re-planning (receding horizon). */
  execute: number;
  /** Observation frames the policy conditions on (To), oldest first. */
  obsHistory: number;
}

export interface DemoPolicy {
  readonly kind: string;
  readonly obsDim: number;
  readonly actDim: number;
  /** Present on chunked policies. */
  readonly chunk?: ChunkSpec;
  /** Forget history, queues and ensembles (call at every episode start). */
  reset(): void;
  /** One action for this control step; keeps its own observation history and action queue. */
  act(obs: ArrayLike<number>): Float32Array;
  /** H×A actions (raw action units) for an observation history of To frames (flattened or a list), oldest first. */
  actChunk?(obsHistory: ArrayLike<number> | ArrayLike<number>[]): Float32Array;
}

/** Flatten a history given as frames or as one flat array, checking sizes. */
export function flattenHistory(h: ArrayLike<number> | ArrayLike<number>[], frames: number, dim: number, where: string): Float32Array {
  const out = new Float32Array(frames * dim);
  if (Array.isArray(h) && h.length > 0 && typeof h[0] !== 'number') {
    const list = h as ArrayLike<number>[];
    if (list.length !== frames) throw new Error(`${where}: observation history has ${list.length} frames, expected ${frames}`);
    list.forEach((f, i) => {
      if (f.length !== dim) throw new Error(`${where}: history frame ${i} has ${f.length} values, expected ${dim}`);
      for (let j = 0; j < dim; j++) out[i * dim + j] = f[j]!;
    });
    return out;
  }
  const flat = h as ArrayLike<number>;
  if (flat.length !== frames * dim) throw new Error(`${where}: observation history has ${flat.length} values, expected ${frames}×${dim}`);
  for (let i = 0; i < flat.length; i++) out[i] = flat[i]!;
  return out;
}

/** Rolling observation history for `act()`: the first observation of an episode pads the older frames. */
export class ObsHistory {
  private readonly buf: Float32Array;
  private filled = false;
  constructor(readonly frames: number, readonly dim: number) {
    this.buf = new Float32Array(frames * dim);
  }
  reset(): void {
    this.filled = false;
  }
  push(obs: ArrayLike<number>, where: string): Float32Array {
    if (obs.length !== this.dim) throw new Error(`${where}: observation has ${obs.length} values, expected ${this.dim}`);
    const { frames, dim, buf } = this;
    if (!this.filled) {
      for (let k = 0; k < frames; k++) for (let j = 0; j < dim; j++) buf[k * dim + j] = obs[j]!;
      this.filled = true;
    } else {
      buf.copyWithin(0, dim);
      for (let j = 0; j < dim; j++) buf[(frames - 1) * dim + j] = obs[j]!;
    }
    return buf;
  }
}
