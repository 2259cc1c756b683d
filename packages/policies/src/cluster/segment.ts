/**
 * A rollout segment: T steps of N envs collected by one worker under one behaviour policy version, with what
 * the learner needs to train on it without re-running anything:
 *   - raw observations (and raw privileged ones for an asymmetric critic) plus the normalizer state the worker
 *     started from, so the learner re-derives the exact normalized inputs the behaviour policy saw and folds the
 *     same rows into its own running statistics, step by step, as a local run would;
 *   - sampled actions, the behaviour mean μ and log σ, log π_behaviour(a|s), V_behaviour(s);
 *   - GAE advantages and returns, computed on the worker with the behaviour critic's values and bootstrap
 *     (envs are independent, so per-segment GAE equals GAE over the assembled batch bit for bit);
 *   - the episodes that finished, for the learner's metrics.
 * The learner standardizes advantages over the whole batch, as a local run does.
 */
import type { EpisodeStats } from '@s2r/sim/env/types.ts';
import { RunningNormalizer, type NormalizerData64 } from '../normalizer.ts';
import type { PPO } from '../ppo/ppo.ts';
import { decodeFrame, encodeFrame } from './frame.ts';

export interface SegmentHeader {
  kind: 's2r-segment';
  /** `<worker>-<seq>`: unique per run; the learner dedupes on it and JetStream on its Nats-Msg-Id. */
  id: string;
  runId: string;
  worker: string;
  slot: number;
  seq: number;
  /** Lock-step mode: the batch position 0..B−1 this segment fills (its envs and noise stream); absent in async mode. */
  part?: number;
  /** Behaviour policy: learner incarnation and version. */
  incarnation: number;
  version: number;
  T: number;
  N: number;
  normStart: NormalizerData64;
  criticNormStart: NormalizerData64 | null;
  episodes: Omit<EpisodeStats, 'dr'>[];
}

export interface Segment {
  header: SegmentHeader;
  rawObs: Float32Array;
  rawPriv: Float32Array | null;
  actions: Float32Array;
  mu: Float32Array;
  logStd: Float32Array;
  values: Float32Array;
  logProbs: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
}

export function encodeSegment(s: Segment): Uint8Array {
  const arrays: Record<string, Float32Array> = { rawObs: s.rawObs, actions: s.actions, mu: s.mu, logStd: s.logStd, values: s.values, logProbs: s.logProbs, advantages: s.advantages, returns: s.returns };
  if (s.rawPriv) arrays.rawPriv = s.rawPriv;
  return encodeFrame(s.header, arrays);
}

export function decodeSegment(bytes: Uint8Array, dims: { obs: number; priv: number; act: number }, withPriv: boolean): Segment {
  const { header: h, arrays: a } = decodeFrame<SegmentHeader>(bytes, 'segment');
  const where = `segment ${h.id ?? '?'}`;
  if (h.kind !== 's2r-segment') throw new Error(`${where}: not a segment (kind ${JSON.stringify(h.kind)})`);
  const S = h.T * h.N;
  const need = (k: string, n: number): Float32Array => {
    const v = a[k];
    if (!v || v.length !== n) throw new Error(`${where}: ${k} has ${v?.length ?? 0} floats, expected ${n} (T ${h.T} × N ${h.N}); worker and learner disagree on the task's specs`);
    return v;
  };
  return {
    header: h,
    rawObs: need('rawObs', S * dims.obs),
    rawPriv: withPriv ? need('rawPriv', S * dims.priv) : null,
    actions: need('actions', S * dims.act),
    mu: need('mu', S * dims.act),
    logStd: need('logStd', dims.act),
    values: need('values', S),
    logProbs: need('logProbs', S),
    advantages: need('advantages', S),
    returns: need('returns', S),
  };
}

/** obs ⊕ priv, row by row. */
function concatRows(obs: Float32Array, priv: Float32Array, rows: number, D: number, P: number, out: Float32Array): Float32Array {
  for (let i = 0; i < rows; i++) {
    out.set(obs.subarray(i * D, i * D + D), i * (D + P));
    out.set(priv.subarray(i * P, i * P + P), i * (D + P) + D);
  }
  return out;
}

/**
 * Copy a segment into the learner's rollout storage at env columns [envOffset, envOffset + N): re-derive the
 * normalized inputs from the worker's starting normalizer, and fold the raw rows into the learner's normalizers
 * step by step (what PPO.act does locally).
 */
export function placeSegment(ppo: PPO, seg: Segment, envOffset: number): void {
  const s = ppo.storage;
  const { T, N } = seg.header;
  const D = ppo.dims.obs;
  const P = ppo.dims.priv;
  const A = ppo.dims.act;
  const C = ppo.criticDim;
  if (T !== s.T || envOffset + N > s.N) throw new Error(`segment ${seg.header.id}: ${T}×${N} does not fit storage ${s.T}×${s.N} at env ${envOffset}`);
  const frozen = !ppo.cfg.normalizeObs;
  const norm = new RunningNormalizer(D, ppo.cfg.obsClip);
  norm.load(seg.header.normStart);
  norm.frozen = frozen;
  let cnorm: RunningNormalizer | null = null;
  if (ppo.criticNorm) {
    if (!seg.rawPriv || !seg.header.criticNormStart) throw new Error(`segment ${seg.header.id}: the asymmetric critic needs privileged observations`);
    cnorm = new RunningNormalizer(C, ppo.cfg.obsClip);
    cnorm.load(seg.header.criticNormStart);
    cnorm.frozen = frozen;
  }
  const xn = new Float32Array(N * D);
  const craw = new Float32Array(N * C);
  const cn = new Float32Array(N * C);
  const sig = Float32Array.from(seg.logStd, Math.exp);
  for (let t = 0; t < T; t++) {
    const raw = seg.rawObs.subarray(t * N * D, (t + 1) * N * D);
    norm.update(raw, N);
    norm.normalize(raw, N, xn);
    ppo.obsNorm.update(raw, N);
    if (cnorm) {
      concatRows(raw, seg.rawPriv!.subarray(t * N * P, (t + 1) * N * P), N, D, P, craw);
      cnorm.update(craw, N);
      cnorm.normalize(craw, N, cn);
      ppo.criticNorm!.update(craw, N);
    }
    for (let i = 0; i < N; i++) {
      const k = t * s.N + envOffset + i; // storage row (time-major)
      const j = t * N + i; // segment row
      s.obs.set(xn.subarray(i * D, i * D + D), k * D);
      if (cnorm) s.criticObs.set(cn.subarray(i * C, i * C + C), k * C);
      s.actions.set(seg.actions.subarray(j * A, j * A + A), k * A);
      s.mu.set(seg.mu.subarray(j * A, j * A + A), k * A);
      s.sigma.set(sig, k * A);
      s.values[k] = seg.values[j]!;
      s.logProbs[k] = seg.logProbs[j]!;
      s.advantages[k] = seg.advantages[j]!;
      s.returns[k] = seg.returns[j]!;
    }
  }
}
