/**
 * The PPO minibatch gradient on several threads, with a result that does not depend on how many.
 *
 * A minibatch of B rows is cut into a fixed number K of contiguous gradient shards (cfg.gradShards). Each shard's
 * gradient — forward, loss (means over all B rows, entropy counted in shard 0 only: ppo/loss.ts `meanOver`),
 * backward — is computed by whichever thread owns it and written to its own slot; the main thread then adds the K
 * slots in shard order. Same shards, same kernels, same order of addition → the same bits with 1 thread or several
 * (cfg.updateThreads counts the main thread, which computes the first share itself).
 *
 * Shared memory: the parameters (written by the main thread before every minibatch), the gathered minibatch, K
 * gradient slots and K stat rows. Signalling as in VecEnv: the main thread bumps SEQ and notifies, each worker adds
 * one to DONE; workers block in Atomics.wait (they do nothing else), the main thread blocks too, briefly: the update
 * is synchronous work anyway.
 */
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '@s2r/core';
import type { TfMlp } from '../nn/mlp.ts';
import { Minibatch, type RolloutStorage } from './storage.ts';
import { MB_KEYS, SHARD_CTRL as CTRL, shardGradient, STATS, type MinibatchArrays, type ShardLayout, type ShardSabs } from './grad-shard-kernel.ts';
import { partition } from '@s2r/sim/env/vec-env.ts';

/** Main-thread side: owns the shared buffers, the worker threads and the fixed-order sum. */
export class GradShards {
  readonly layout: ShardLayout;
  /** The minibatch the update gathers into (shared with the workers). */
  readonly mb: Minibatch;
  private readonly sabs: ShardSabs;
  private readonly ctrl: Int32Array;
  private readonly params: Float32Array;
  private readonly grads: Float32Array;
  private readonly stats: Float64Array;
  private readonly sum: Float64Array;
  private readonly out: Float32Array;
  private threads: Worker[] = [];
  private errors: string[] = [];
  /** Shards [from, to) the main thread computes; the rest are the workers'. */
  private mine: [number, number];

  constructor(layout: ShardLayout, storage: RolloutStorage) {
    if (layout.B % layout.K !== 0) throw new RangeError(`ppo.gradShards: ${layout.K} must divide the minibatch size ${layout.B}`);
    this.layout = layout;
    const f32 = (n: number) => new SharedArrayBuffer(4 * n);
    const mbSabs = {} as ShardSabs['mb'];
    this.mb = new Minibatch(layout.B, storage, (key, n) => {
      mbSabs[key as keyof MinibatchArrays] = f32(n);
      return new Float32Array(mbSabs[key as keyof MinibatchArrays]);
    });
    this.sabs = { ctrl: new SharedArrayBuffer(4 * CTRL.SIZE), params: f32(layout.P), grads: f32(layout.K * layout.P), stats: new SharedArrayBuffer(8 * layout.K * STATS), mb: mbSabs };
    this.ctrl = new Int32Array(this.sabs.ctrl);
    this.params = new Float32Array(this.sabs.params);
    this.grads = new Float32Array(this.sabs.grads);
    this.stats = new Float64Array(this.sabs.stats);
    this.sum = new Float64Array(layout.P);
    this.out = new Float32Array(layout.P);
    this.mine = [0, layout.K];
  }

  /** Start threads−1 workers (the main thread is the first); resolves when each has its backend and networks. */
  async start(threads: number, backend: string): Promise<void> {
    const T = Math.min(Math.max(1, threads), this.layout.K);
    const parts = partition(this.layout.K, T);
    this.mine = parts[0]!;
    const ready: Promise<void>[] = [];
    for (const shards of parts.slice(1)) {
      const w = spawnWorker(new URL('./grad-worker.ts', import.meta.url), { layout: this.layout, sabs: this.sabs, shards, backend, mbKeys: MB_KEYS });
      this.threads.push(w);
      ready.push(new Promise<void>((resolve, reject) => {
        w.once('message', (m: { type: string; message?: string }) => (m.type === 'ready' ? resolve() : reject(new Error(`gradient worker for shards [${shards}] failed to start: ${m.message}`))));
        w.once('error', reject);
      }));
      w.on('message', (m: { type: string; message?: string }) => {
        if (m.type === 'error') this.errors.push(m.message ?? 'unknown gradient worker error');
      });
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  get threadCount(): number {
    return this.threads.length + 1;
  }

  /**
   * The whole minibatch's gradient [P] (optimizer order) and mean loss terms, at the networks' current variables.
   * The returned array is reused by the next call.
   */
  compute(actor: TfMlp, critic: TfMlp, logStd: Float32Array): { grad: Float32Array; stats: { surrogate: number; valueLoss: number; entropy: number; kl: number; clipFraction: number } } {
    const L = this.layout;
    const P = L.P;
    if (this.threads.length) {
      // Parameters to shared memory (workers read them), then wake the workers.
      let o = 0;
      for (const v of actor.variables) {
        const d = v.dataSync() as Float32Array;
        this.params.set(d, o);
        o += d.length;
      }
      this.params.set(logStd, o);
      o += L.A;
      for (const v of critic.variables) {
        const d = v.dataSync() as Float32Array;
        this.params.set(d, o);
        o += d.length;
      }
      Atomics.store(this.ctrl, CTRL.DONE, 0);
      Atomics.add(this.ctrl, CTRL.SEQ, 1);
      Atomics.notify(this.ctrl, CTRL.SEQ);
    }
    for (let k = this.mine[0]; k < this.mine[1]; k++) {
      shardGradient(L, actor, critic, logStd, this.mb, k, this.grads.subarray(k * P, (k + 1) * P), this.stats.subarray(k * STATS, (k + 1) * STATS));
    }
    const W = this.threads.length;
    for (;;) {
      const d = Atomics.load(this.ctrl, CTRL.DONE);
      if (d >= W || Atomics.load(this.ctrl, CTRL.ERROR)) break;
      if (Atomics.wait(this.ctrl, CTRL.DONE, d, 60_000) === 'timed-out') throw new Error(`PPO gradient workers did not answer within 60 s (${d}/${W} done)`);
    }
    if (Atomics.load(this.ctrl, CTRL.ERROR)) throw new Error(`PPO gradient worker failed: ${this.errors.join('\n') || 'see its error message'}`);
    // Fixed order, float64 accumulation: the sum is the same whoever computed each slot.
    this.sum.fill(0);
    const st = [0, 0, 0, 0, 0];
    for (let k = 0; k < L.K; k++) {
      const g = this.grads.subarray(k * P, (k + 1) * P);
      for (let i = 0; i < P; i++) this.sum[i] += g[i]!;
      for (let j = 0; j < STATS; j++) st[j] += this.stats[k * STATS + j]!;
    }
    for (let i = 0; i < P; i++) this.out[i] = this.sum[i]!;
    return { grad: this.out, stats: { surrogate: st[0]!, valueLoss: st[1]!, entropy: st[2]!, kl: st[3]!, clipFraction: st[4]! } };
  }

  async close(): Promise<void> {
    if (!this.threads.length) return;
    Atomics.store(this.ctrl, CTRL.STOP, 1);
    Atomics.add(this.ctrl, CTRL.SEQ, 1);
    Atomics.notify(this.ctrl, CTRL.SEQ);
    await Promise.all(this.threads.map((t) => t.terminate()));
    this.threads = [];
  }
}

