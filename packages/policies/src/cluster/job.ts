/**
 * The job a learner announces in KV (`job`): what workers must build (task, env overrides, PPO config for the
 * behaviour policy), where to publish (the run's segment subject), and the flow-control settings. Plus the small
 * helpers both sides share: retries with a deadline, waits that say what they wait for.
 */
import type { PpoConfig } from '../ppo/config.ts';

export interface ClusterJob {
  runId: string;
  incarnation: number;
  task: string;
  status: 'running' | 'done';
  ppo: PpoConfig;
  dims: { obs: number; priv: number; act: number };
  /** Envs per segment (per worker VecEnv) and segments per learner update. */
  segmentEnvs: number;
  segmentsPerUpdate: number;
  /**
   * Deterministic (lock-step) mode: the most parts (batch positions, one segment each per version) a worker may
   * claim: 1 at first, then ceil(segmentsPerUpdate / workers seen lately), raised by the learner while a part stays
   * unclaimed. Claims are sticky, so lowering it takes no part away.
   */
  perWorker: number;
  deterministic: boolean;
  /** Async mode: a worker collects only while fewer than this many segments wait undelivered to the learner. */
  queueLimit: number;
  subject: string;
  consumer: string;
}

/** Learner-side cluster settings (flags of `s2r train --cluster`). None of them is secret. */
export interface ClusterSettings {
  url: string;
  /** Envs per worker segment; numEnvs must be a multiple (default numEnvs: one segment per update). */
  segmentEnvs: number;
  /** Segments older than this many policy versions are dropped; younger ones train through PPO's ratio. */
  maxStaleness: number;
  deterministic: boolean;
  /** Undelivered segments queued before workers pause (default segmentsPerUpdate: the next batch, collected during the update). */
  queueLimit: number;
  /** Seconds any wait (segments, a policy version, the server) may last before it fails with a message. */
  waitS: number;
  /** Lock-step: seconds a part's worker may send nothing before the learner frees the part for another (default 30). */
  orphanS?: number;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Run `fn` until it succeeds or `waitS` has passed since the first failure; log the first failure and then every
 * 10 s; errors `fatal` accepts are thrown at once. Transient errors are expected while a server restarts: the clients reconnect underneath.
 */
export async function retry<T>(what: string, fn: () => Promise<T>, o: { waitS: number; log: (s: string) => void; signal?: AbortSignal; fatal?: (e: unknown) => boolean }): Promise<T> {
  let first = 0;
  let lastLog = 0;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (o.fatal?.(e)) throw e;
      const now = performance.now();
      if (!first) first = now;
      const m = (e as Error).message;
      if ((now - first) / 1000 > o.waitS) throw new Error(`${what}: still failing after ${o.waitS} s: ${m}`);
      if (o.signal?.aborted) throw e;
      if (now - lastLog > 10_000) {
        o.log(`${what}: ${m}; retrying for up to ${o.waitS} s`);
        lastLog = now;
      }
      await sleep(250);
    }
  }
}

export function parseJob(bytes: Uint8Array | undefined): ClusterJob | null {
  if (!bytes || bytes.length === 0) return null;
  return JSON.parse(new TextDecoder().decode(bytes)) as ClusterJob;
}
