/**
 * Where the controller's actions come from on a policy tick.
 * - InlineSource: a synchronous `act(obs)` on the control thread (small MLPs: tens of µs).
 * - QueuedSource: inference in a separate worker; actions arrive in chunks and wait in a queue indexed by policy
 *   step. A new chunk is requested while the queue still holds more steps than the measured inference latency,
 *   so the robot never waits on inference. When a chunk arrives, the actions whose time already passed (requested
 *   at step r, arrived at step p → the first p − r actions) are dropped, as in Diffusion Policy's real-robot code.
 *
 * Timing against training (the env's rollout, packages/policies' DiffusionPolicy.act):
 * - Step 0: the first chunk of an episode is never stale. Its a₀ is executed on the step it arrives, and that step is
 *   the episode's step 0; before it the robot holds its default pose (it is at rest after the soft start).
 * - A step the queue does not cover (a single-step policy every step; a chunk that ran out) is held only until its
 *   result arrives: the controller asks `late()` on the ticks between policy ticks, so the action still runs in its
 *   own step, one inference latency late, as an inline policy's does, never one whole policy step late.
 * - With instant inference and marginSteps 0 the executed sequence equals the env's step for step (a test checks).
 * - Temporal ensembling (ACT; Diffusion Policy's "temporal_agg"), when asked: a chunk every `execute` steps, and each
 *   step executes the exp(−m·i)-weighted mean of every live chunk's prediction for it, i = 0 the oldest (ACT's
 *   convention and DiffusionPolicy.act's).
 */
import type { ChunkSpec, DeployPolicy } from '../policy/types.ts';
import { LatencyStats } from '../timing/latency-stats.ts';

export interface ActionSource {
  /** Action for policy step `step` (observation `obs` is for this step), or null: hold the previous targets. */
  next(step: number, obs: Float32Array, now: number): Float32Array | null;
  /** Between policy ticks, after next() returned null for `step`: its action if it has arrived since, else null. */
  late?(step: number, now: number): Float32Array | null;
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

/** `--ensemble`: 'artifact' (the policy's chunk settings decide; the default), 'off', 'on', or a decay m ≥ 0. */
export type EnsembleChoice = 'artifact' | 'off' | 'on' | number;

/** ACT's decay, used when ensembling is switched on for a policy that names none. */
export const DEFAULT_ENSEMBLE_DECAY = 0.01;

/** The ensembling decay the queue runs with, or null for the receding horizon. */
export function resolveEnsemble(spec: ChunkSpec, choice: EnsembleChoice = 'artifact'): number | null {
  if (choice === 'off') return null;
  if (typeof choice === 'number') {
    if (!(choice >= 0 && Number.isFinite(choice))) throw new Error(`--ensemble: decay must be a finite number ≥ 0, got ${choice}`);
    return choice;
  }
  if (choice === 'artifact' && !spec.ensemble) return null;
  return spec.ensembleDecay ?? DEFAULT_ENSEMBLE_DECAY;
}

export interface QueueOptions {
  /**
   * Policy steps of margin when deciding to request (default 1): a chunk is requested when the queue covers at most
   * latency + margin more steps. 0 with instant inference replans exactly when the env does.
   */
  marginSteps?: number;
  /** Temporal ensembling decay m (per prediction, ≥ 0); null or absent: receding horizon (execute, then replan). */
  ensembleDecay?: number | null;
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
  /** Live chunks, a ring, oldest first: actions, the step of action 0, and the first step not served from it. */
  private readonly slots: Float32Array[];
  private readonly slotStart: Float64Array;
  private readonly slotEnd: Float64Array;
  private head = 0;
  private count = 0;
  /** A chunk arrived since reset(): only the first one of an episode is rebased to step 0. */
  private started = false;
  /** Step at which the next chunk is due (the queue runs out, or the next ensemble plan). */
  private nextPlan = -Infinity;
  /** The step next() could not serve and late() may still serve (−1: none). */
  private holding = -1;
  private pending = false;
  private reqTime = 0;
  private reqStep = 0;
  private seenErrors = 0;
  /** Conservative inference latency estimate (s): the last one, or a slowly decaying max. */
  private latencyEst = 0;
  private readonly out: Float32Array;
  private readonly marginSteps: number;
  private readonly decay: number | null;
  readonly latency = new LatencyStats(undefined, { resUs: 10, bins: 200_000 }); // ms-scale, see above
  underruns = 0;
  /** Steps first held and then served within their own step by late(). */
  lateServed = 0;
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
    opts: QueueOptions | number = {},
  ) {
    const o = typeof opts === 'number' ? { marginSteps: opts } : opts;
    this.ctrl = new Int32Array(ch.ctrl);
    this.reqObs = new Float32Array(ch.obs);
    this.resChunk = new Float32Array(ch.chunk);
    this.info = new Float64Array(ch.info);
    this.H = spec.horizon;
    this.A = actSize;
    this.D = obsSize;
    if (!(spec.execute >= 1 && spec.execute <= spec.horizon)) throw new Error(`chunk: execute (${spec.execute}) must be within 1..horizon (${spec.horizon})`);
    this.marginSteps = o.marginSteps ?? 1;
    if (!(Number.isInteger(this.marginSteps) && this.marginSteps >= 0)) throw new Error(`chunk queue: marginSteps must be an integer ≥ 0, got ${this.marginSteps}`);
    this.decay = o.ensembleDecay ?? null;
    if (this.decay !== null && !(this.decay >= 0 && Number.isFinite(this.decay))) throw new Error(`chunk queue: ensemble decay must be a finite number ≥ 0, got ${this.decay}`);
    this.hist = Array.from({ length: spec.obsHistory }, () => new Float32Array(obsSize));
    // Ensembling keeps every chunk that still covers the step: at most one per step over a horizon (+ slack).
    const cap = this.decay === null ? 2 : this.H + 2;
    this.slots = Array.from({ length: cap }, () => new Float32Array(this.H * actSize));
    this.slotStart = new Float64Array(cap);
    this.slotEnd = new Float64Array(cap);
    this.out = new Float32Array(actSize);
  }

  /** Temporal ensembling decay in use, or null (receding horizon). */
  get ensembleDecay(): number | null {
    return this.decay;
  }

  reset(): void {
    this.histFilled = false;
    this.count = 0;
    this.started = false;
    this.nextPlan = -Infinity;
    this.holding = -1;
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
    this.holding = -1;
    this.poll(step, now);
    // Request the next chunk while the queue still covers the expected inference latency (+ margin).
    const latencySteps = Math.ceil(this.latencyEst / this.policyPeriod);
    if (!this.pending && this.nextPlan - step <= latencySteps + this.marginSteps) this.request(step, now);
    // A chunk requested on the very step it is due is waited for within the step (late()), as the env has it at
    // once: with ensembling the older chunks could serve the step, but without the new chunk's prediction for it.
    const dueNow = this.pending && this.reqStep === step && this.nextPlan <= step;
    const a = dueNow ? null : this.actionAt(step);
    if (a) return a;
    this.underruns++;
    this.holding = step;
    return null;
  }

  /**
   * Between policy ticks: the action for `step` if next() could not serve it and its chunk has arrived since, else
   * null. Non-blocking; the controller applies it at once, so the step is late by the inference time only.
   */
  late(step: number, now: number): Float32Array | null {
    if (this.holding !== step || !this.pending) return null;
    this.poll(step, now);
    const a = this.actionAt(step);
    if (a) {
      this.holding = -1;
      this.lateServed++;
    }
    return a;
  }

  /** The action for `step` from the live chunks (newest, or the ensemble), or null if none covers it. */
  private actionAt(step: number): Float32Array | null {
    const cap = this.slots.length;
    const A = this.A;
    // Forget chunks that no longer cover this step (oldest first).
    while (this.count > 0 && this.slotEnd[this.head]! <= step) {
      this.head = (this.head + 1) % cap;
      this.count--;
    }
    if (this.count === 0) return null;
    if (this.decay === null) {
      const k = (this.head + this.count - 1) % cap;
      if (step < this.slotStart[k]!) return null;
      const o = (step - this.slotStart[k]!) * A;
      this.out.set(this.slots[k]!.subarray(o, o + A));
      return this.out;
    }
    // ACT: weights exp(−m·i) over the live predictions for this step, i = 0 the oldest.
    this.out.fill(0);
    let wsum = 0;
    let i = 0;
    for (let c = 0; c < this.count; c++) {
      const k = (this.head + c) % cap;
      if (step < this.slotStart[k]! || step >= this.slotEnd[k]!) continue;
      const w = Math.exp(-this.decay * i++);
      const s = this.slots[k]!;
      const o = (step - this.slotStart[k]!) * A;
      for (let j = 0; j < A; j++) this.out[j]! += w * s[o + j]!;
      wsum += w;
    }
    if (wsum === 0) return null;
    for (let j = 0; j < A; j++) this.out[j]! /= wsum;
    return this.out;
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
    if (this.reqStep < 0) return; // result of a request from before reset()
    this.chunks++;
    // The first chunk of an episode is not stale: the episode starts on the step it arrives (a₀ at step 0).
    const base = this.started ? this.reqStep : step;
    this.started = true;
    // Actions for steps before `step` are in the past: drop them.
    let off = step - base;
    if (off > this.H - 1) off = this.H - 1; // everything is stale: the chunk's last action is still the best guess
    this.dropped += off;
    const cap = this.slots.length;
    if (this.decay === null) {
      // Receding horizon: only the newest chunk is served, `execute` actions from now on.
      this.head = 0;
      this.count = 1;
      this.slots[0]!.set(this.resChunk);
      this.slotStart[0] = step - off;
      this.slotEnd[0] = step + Math.min(this.spec.execute, this.H - off);
      this.nextPlan = this.slotEnd[0]!;
    } else {
      if (this.count === cap) {
        this.head = (this.head + 1) % cap;
        this.count--;
      }
      const k = (this.head + this.count) % cap;
      this.count++;
      this.slots[k]!.set(this.resChunk);
      this.slotStart[k] = step - off;
      this.slotEnd[k] = step - off + this.H;
      // One chunk every `execute` steps from its own step 0, as DiffusionPolicy.act plans.
      this.nextPlan = step - off + this.spec.execute;
    }
  }

  stats(): Record<string, unknown> {
    return {
      mode: 'worker',
      ...(this.decay !== null ? { ensemble_decay: this.decay } : {}),
      requests: this.requests,
      chunks: this.chunks,
      underruns: this.underruns,
      late_served: this.lateServed,
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
