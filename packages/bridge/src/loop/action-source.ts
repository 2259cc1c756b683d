/**
 * Where the controller's actions come from on a policy tick.
 * - InlineSource: a synchronous `act(obs)` on the control thread (small MLPs: tens of µs).
 * - QueuedSource: inference in a separate worker; actions arrive in chunks and wait in a queue indexed by policy
 *   step. A new chunk is requested while the queue still holds more steps than the measured inference latency,
 *   so the robot never waits on inference. When a chunk arrives, the actions whose time already passed (requested
 *   at step r, arrived at step p → the first p − r actions) are dropped, as in Diffusion Policy's real-robot code.
 */
import type { ChunkSpec, DeployPolicy } from '../policy/types.ts';
import { LatencyStats } from '../timing/latency-stats.ts';

export interface ActionSource {
  /** Action for policy step `step` (observation `obs` is for this step), or null: hold the previous targets. */
  next(step: number, obs: Float32Array, now: number): Float32Array | null;
  reset(): void;
  stats(): Record<string, unknown>;
  close(): void;
}

export class InlineSource implements ActionSource {
  private readonly a: Float32Array;
  private errors = 0;
  private lastError = '';
  // Inference takes ms, not µs: 10 µs bins up to 2 s, so p50/p99 stay meaningful past the loop histogram's 20 ms.
  readonly inference = new LatencyStats(undefined, { resUs: 10, bins: 200_000 });
  constructor(private readonly policy: DeployPolicy, private readonly clock: () => number) {
    if (!policy.act) throw new Error('InlineSource: this policy has no act(obs); chunked policies run in the inference worker');
    this.a = new Float32Array(policy.actSize);
  }
  next(_step: number, obs: Float32Array): Float32Array | null {
    const t0 = this.clock();
    try {
      const r = this.policy.act!(obs);
      if (r.length !== this.a.length) throw new Error(`policy returned ${r.length} actions, expected ${this.a.length}`);
      this.a.set(r);
    } catch (e) {
      // The loop never dies on a policy error: the controller holds its targets and the error is counted.
      this.errors++;
      this.lastError = String((e as Error)?.message ?? e);
      return null;
    }
    this.inference.add((this.clock() - t0) * 1e6);
    return this.a;
  }
  reset(): void {
    this.policy.reset();
  }
  stats(): Record<string, unknown> {
    return { mode: 'inline', inference: this.inference.summary(), errors: this.errors, ...(this.lastError ? { last_error: this.lastError } : {}) };
  }
  close(): void {}
}

/** Int32 cells of the inference channel. */
/** RESET_SEQ: bumped by QueuedSource.reset(); the worker resets its policy before the next request it serves. */
export const INF = { REQ_SEQ: 0, RES_SEQ: 1, REQ_STEP: 2, RES_STEP: 3, ERRORS: 4, SHUTDOWN: 5, READY: 6, RESET_SEQ: 7, SIZE: 8 } as const;

export interface InferenceChannel {
  ctrl: SharedArrayBuffer;
  /** obsHistory × obsSize float32, oldest first. */
  obs: SharedArrayBuffer;
  /** horizon × actSize float32. */
  chunk: SharedArrayBuffer;
  /** [inference seconds of the last result] */
  info: SharedArrayBuffer;
}

export function makeInferenceChannel(spec: ChunkSpec, obsSize: number, actSize: number): InferenceChannel {
  return {
    ctrl: new SharedArrayBuffer(INF.SIZE * 4),
    obs: new SharedArrayBuffer(spec.obsHistory * obsSize * 4),
    chunk: new SharedArrayBuffer(spec.horizon * actSize * 4),
    info: new SharedArrayBuffer(8),
  };
}

export class QueuedSource implements ActionSource {
  private readonly ctrl: Int32Array;
  private readonly reqObs: Float32Array;
  private readonly resChunk: Float32Array;
  private readonly info: Float64Array;
  private readonly H: number;
  private readonly A: number;
  private readonly D: number;
  private readonly hist: Float32Array[];
  private histFilled = false;
  private readonly cap: number;
  private readonly queue: Float32Array;
  private readonly out: Float32Array;
  /** Queue covers policy steps [queueStart, queueEnd). */
  private queueStart = 0;
  private queueEnd = 0;
  private pending = false;
  private reqTime = 0;
  private reqStep = 0;
  private seenErrors = 0;
  /** Conservative inference latency estimate (s): the last one, or a slowly decaying max. */
  private latencyEst = 0;
  readonly latency = new LatencyStats(undefined, { resUs: 10, bins: 200_000 }); // ms-scale, see above
  underruns = 0;
  dropped = 0;
  chunks = 0;
  requests = 0;

  constructor(
    ch: InferenceChannel,
    private readonly spec: ChunkSpec,
    obsSize: number,
    actSize: number,
    /** Policy period (s). */
    private readonly policyPeriod: number,
    /** Extra policy steps of margin when deciding to request (default 1). */
    private readonly marginSteps = 1,
  ) {
    this.ctrl = new Int32Array(ch.ctrl);
    this.reqObs = new Float32Array(ch.obs);
    this.resChunk = new Float32Array(ch.chunk);
    this.info = new Float64Array(ch.info);
    this.H = spec.horizon;
    this.A = actSize;
    this.D = obsSize;
    if (!(spec.execute >= 1 && spec.execute <= spec.horizon)) throw new Error(`chunk: execute (${spec.execute}) must be within 1..horizon (${spec.horizon})`);
    this.hist = Array.from({ length: spec.obsHistory }, () => new Float32Array(obsSize));
    this.cap = 2 * this.H + 2;
    this.queue = new Float32Array(this.cap * actSize);
    this.out = new Float32Array(actSize);
  }

  reset(): void {
    this.histFilled = false;
    this.queueStart = this.queueEnd = 0;
    // The worker's policy may keep state (observation history, a residual's base chunk): it must start over too.
    Atomics.add(this.ctrl, INF.RESET_SEQ, 1);
    // A request still in flight belongs to the previous episode; its result is ignored by step bookkeeping below.
    this.reqStep = -1e9;
  }

  next(step: number, obs: Float32Array, now: number): Float32Array | null {
    // Observation history, most recent last. At the start it is filled with the first observation (as at training).
    if (!this.histFilled) {
      for (const h of this.hist) h.set(obs);
      this.histFilled = true;
    } else {
      const first = this.hist.shift()!;
      first.set(obs);
      this.hist.push(first);
    }
    this.poll(step, now);
    // Request the next chunk while the queue still covers the expected inference latency (+ margin).
    const latencySteps = Math.ceil(this.latencyEst / this.policyPeriod);
    const remaining = this.queueEnd - (step + 1);
    if (!this.pending && remaining <= latencySteps + this.marginSteps) this.request(step, now);
    if (step >= this.queueStart && step < this.queueEnd) {
      const s = (step % this.cap) * this.A;
      this.out.set(this.queue.subarray(s, s + this.A));
      return this.out;
    }
    this.underruns++;
    return null;
  }

  private request(step: number, now: number): void {
    for (let k = 0; k < this.hist.length; k++) this.reqObs.set(this.hist[k]!, k * this.D);
    this.reqStep = step;
    Atomics.store(this.ctrl, INF.REQ_STEP, step);
    this.reqTime = now;
    this.pending = true;
    this.requests++;
    Atomics.add(this.ctrl, INF.REQ_SEQ, 1);
    Atomics.notify(this.ctrl, INF.REQ_SEQ);
  }

  private poll(step: number, now: number): void {
    if (!this.pending) return;
    if (Atomics.load(this.ctrl, INF.RES_SEQ) !== Atomics.load(this.ctrl, INF.REQ_SEQ)) return;
    this.pending = false;
    const lat = now - this.reqTime;
    this.latency.add(lat * 1e6);
    this.latencyEst = Math.max(lat, this.latencyEst * 0.9);
    const errors = Atomics.load(this.ctrl, INF.ERRORS);
    if (errors !== this.seenErrors) {
      this.seenErrors = errors;
      return; // inference failed: no new actions; the queue (or a hold) covers us and the next request retries
    }
    const base = this.reqStep;
    if (base < 0) return; // result of a request from before reset()
    this.chunks++;
    // Actions for steps before `step` are in the past: drop them; execute the next `execute` from there.
    let off = step - base;
    if (off < 0) off = 0;
    if (off > this.H - 1) off = this.H - 1; // everything is stale: the chunk's last action is still the best guess
    this.dropped += off;
    const n = Math.min(this.spec.execute, this.H - off);
    for (let k = 0; k < n; k++) {
      const s = ((step + k) % this.cap) * this.A;
      this.queue.set(this.resChunk.subarray((off + k) * this.A, (off + k + 1) * this.A), s);
    }
    this.queueStart = step;
    this.queueEnd = step + n;
  }

  stats(): Record<string, unknown> {
    return {
      mode: 'worker',
      requests: this.requests,
      chunks: this.chunks,
      underruns: this.underruns,
      dropped_actions: this.dropped,
      inference_latency: this.latency.summary(),
      errors: this.seenErrors,
    };
  }

  close(): void {
    Atomics.store(this.ctrl, INF.SHUTDOWN, 1);
    Atomics.add(this.ctrl, INF.REQ_SEQ, 1);
    Atomics.notify(this.ctrl, INF.REQ_SEQ);
  }

  /** Last measured inference time inside the worker (s). */
  get workerSeconds(): number {
    return this.info[0]!;
  }
}
