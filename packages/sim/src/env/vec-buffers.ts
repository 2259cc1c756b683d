/**
 * The shared-memory batch a VecEnv and its workers exchange: flat SharedArrayBuffers, one row per env,
 * plus a small control block for Atomics signalling and a per-env episode-stats row.
 */
import type { TaskEnv } from './types.ts';

/** Sizes every thread agrees on before stepping. */
export interface VecLayout {
  numEnvs: number;
  obsSize: number;
  privSize: number;
  actSize: number;
  termNames: string[];
  /** DR terms reported per episode, with their flat sizes, in order. */
  dr: [string, number][];
  /** Float64 slots per env in `stats`: ended, return, length, success(−1 unknown), term sums…, DR values… */
  statsStride: number;
}

export interface VecBuffers {
  obs: Float32Array;
  privileged: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  stats: Float64Array;
}

/** Raw SharedArrayBuffers, passed to workers through workerData. */
export interface VecSabs {
  obs: SharedArrayBuffer;
  privileged: SharedArrayBuffer;
  actions: SharedArrayBuffer;
  rewards: SharedArrayBuffer;
  terminated: SharedArrayBuffer;
  truncated: SharedArrayBuffer;
  stats: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

/** Control block slots (Int32). */
export const CTRL = { SEQ: 0, CMD: 1, DONE: 2, ERROR: 3, SIZE: 8 } as const;
export const CMD = { RESET: 1, STEP: 2, CLOSE: 3 } as const;
/** The reset seed travels as a Float64 after the Int32 slots (byte offset 32). */
export const SEED_BYTE_OFFSET = CTRL.SIZE * 4;

export function layoutFromEnv(env: TaskEnv, numEnvs: number): VecLayout {
  const dr = Object.entries(env.drValues()).map(([k, v]) => [k, typeof v === 'number' ? 1 : v.length] as [string, number]);
  const termNames = [...env.rewardTermNames];
  return {
    numEnvs,
    obsSize: env.observationSpec.size,
    privSize: env.privilegedSpec?.size ?? 0,
    actSize: env.actionSpec.size,
    termNames,
    dr,
    statsStride: 4 + termNames.length + dr.reduce((s, [, n]) => s + n, 0),
  };
}

export function allocSabs(l: VecLayout): VecSabs {
  const N = l.numEnvs;
  return {
    obs: new SharedArrayBuffer(N * l.obsSize * 4),
    privileged: new SharedArrayBuffer(N * l.privSize * 4),
    actions: new SharedArrayBuffer(N * l.actSize * 4),
    rewards: new SharedArrayBuffer(N * 4),
    terminated: new SharedArrayBuffer(N),
    truncated: new SharedArrayBuffer(N),
    stats: new SharedArrayBuffer(N * l.statsStride * 8),
    control: new SharedArrayBuffer(SEED_BYTE_OFFSET + 8),
  };
}

export function viewSabs(s: VecSabs): VecBuffers {
  return {
    obs: new Float32Array(s.obs),
    privileged: new Float32Array(s.privileged),
    actions: new Float32Array(s.actions),
    rewards: new Float32Array(s.rewards),
    terminated: new Uint8Array(s.terminated),
    truncated: new Uint8Array(s.truncated),
    stats: new Float64Array(s.stats),
  };
}
