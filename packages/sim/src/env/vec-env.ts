/**
 * makeVecEnv: N envs of a registered task across W worker_threads over SharedArrayBuffer batches, with auto-reset.
 * W ≤ 1 steps every env in this thread. Each env has its own Rapier world and its own RNG stream
 * (`Rng.seed(seed).split('env').split(i)`), so the buffers are identical whatever W is.
 *
 * Signalling: the main thread writes actions, bumps CTRL.SEQ and notifies; each worker steps its slice and adds
 * one to CTRL.DONE; the main thread awaits DONE = W with Atomics.waitAsync (it never blocks its event loop).
 */
import type { Worker } from 'node:worker_threads';
import { spawnWorker, Rng } from '@s2r/core';
import { load } from '../tasks/registry.ts';
import { EnvSlice } from './env-slice.ts';
import type { EnvOptions } from './manager-env.ts';
import type { ActionSpec, EpisodeStats, SpaceSpec, TaskEnv, VecEnv } from './types.ts';
import { allocSabs, CMD, CTRL, layoutFromEnv, SEED_BYTE_OFFSET, viewSabs, type VecBuffers, type VecLayout, type VecSabs } from './vec-buffers.ts';

export interface VecEnvOptions {
  numEnvs: number;
  /** Worker threads; 0 or 1 runs every env in this thread. Clamped to numEnvs. */
  workers?: number;
  seed?: number;
  /** Deep-merge overrides of the task's defaultConfig(); plain data only (it crosses to workers). */
  overrides?: unknown;
  /** Print the term tables once (default true). */
  print?: boolean;
  log?: EnvOptions['log'];
}

export interface TaskVecEnv extends VecEnv {
  readonly task: string;
  readonly workers: number;
  /** The resolved task config (identical in every env). */
  readonly config: unknown;
  readonly layout: VecLayout;
  readonly termsTable: string;
}

// Atomics.waitAsync exists in Node ≥ 16 but is typed only from lib es2024.
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number, t?: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

/** Split N envs into W contiguous slices whose sizes differ by at most one. */
export function partition(n: number, w: number): [number, number][] {
  const out: [number, number][] = [];
  let s = 0;
  for (let i = 0; i < w; i++) {
    const k = Math.floor(n / w) + (i < n % w ? 1 : 0);
    out.push([s, s + k]);
    s += k;
  }
  return out;
}

export async function makeVecEnv(task: string, opts: VecEnvOptions): Promise<TaskVecEnv> {
  const N = opts.numEnvs;
  if (!Number.isInteger(N) || N < 1) throw new RangeError(`makeVecEnv(${task}): numEnvs must be a positive integer, got ${N}`);
  const W = Math.min(Math.max(0, Math.floor(opts.workers ?? 0)), N);
  // A probe env gives the specs and the layout (and prints the tables once); it is freed before stepping so
  // every stepped env starts from a fresh world in every configuration.
  const probe = await load(task, opts.overrides as never, { print: false });
  let layout: VecLayout;
  let info: { obs: SpaceSpec; priv: SpaceSpec | null; act: ActionSpec; dt: number; maxSteps: number; config: unknown; table: string };
  try {
    probe.reset(Rng.seed(opts.seed ?? 0));
    layout = layoutFromEnv(probe, N);
    info = { obs: probe.observationSpec, priv: probe.privilegedSpec, act: probe.actionSpec, dt: probe.dt, maxSteps: probe.maxEpisodeSteps, config: probe.config, table: probe.termsTable() };
  } finally {
    probe.close();
  }
  if (opts.print !== false) (opts.log ?? console.log)(`${info.table}\n\nVecEnv: ${N} envs on ${W <= 1 ? 'this thread' : `${W} worker threads`}`);
  const sabs = allocSabs(layout);
  const v = new VecEnvImpl(task, layout, sabs, info, W, opts.seed ?? 0);
  if (W <= 1) {
    const envs: TaskEnv[] = [];
    for (let i = 0; i < N; i++) envs.push(await load(task, opts.overrides as never, { print: false }));
    v.local = new EnvSlice(envs, 0, viewSabs(sabs), layout, () => load(task, opts.overrides as never, { print: false }));
  } else {
    await v.startWorkers(opts.overrides);
  }
  await v.reset();
  return v;
}

class VecEnvImpl implements TaskVecEnv {
  readonly numEnvs: number;
  readonly observationSpec: SpaceSpec;
  readonly privilegedSpec: SpaceSpec | null;
  readonly actionSpec: ActionSpec;
  readonly dt: number;
  readonly maxEpisodeSteps: number;
  readonly config: unknown;
  readonly termsTable: string;
  readonly obs: Float32Array;
  readonly privileged: Float32Array;
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  local: EnvSlice | null = null;
  private readonly buf: VecBuffers;
  private readonly ctrl: Int32Array;
  private readonly seedView: Float64Array;
  private threads: Worker[] = [];
  private errors: string[] = [];
  private closed = false;
  private closing = false;
  private busy = false;

  constructor(
    readonly task: string,
    readonly layout: VecLayout,
    private readonly sabs: VecSabs,
    info: { obs: SpaceSpec; priv: SpaceSpec | null; act: ActionSpec; dt: number; maxSteps: number; config: unknown; table: string },
    readonly workers: number,
    private seed: number,
  ) {
    this.numEnvs = layout.numEnvs;
    this.observationSpec = info.obs;
    this.privilegedSpec = info.priv;
    this.actionSpec = info.act;
    this.dt = info.dt;
    this.maxEpisodeSteps = info.maxSteps;
    this.config = info.config;
    this.termsTable = info.table;
    this.buf = viewSabs(sabs);
    this.obs = this.buf.obs;
    this.privileged = this.buf.privileged;
    this.rewards = this.buf.rewards;
    this.terminated = this.buf.terminated;
    this.truncated = this.buf.truncated;
    this.ctrl = new Int32Array(sabs.control, 0, CTRL.SIZE);
    this.seedView = new Float64Array(sabs.control, SEED_BYTE_OFFSET, 1);
  }

  async startWorkers(overrides: unknown): Promise<void> {
    const parts = partition(this.numEnvs, this.workers);
    const ready: Promise<void>[] = [];
    for (const [start, end] of parts) {
      const w = spawnWorker(new URL('./vec-worker.ts', import.meta.url), { task: this.task, overrides, start, end, layout: this.layout, sabs: this.sabs });
      this.threads.push(w);
      ready.push(new Promise<void>((resolve, reject) => {
        const onMsg = (m: { type: string; message?: string }) => {
          if (m.type === 'ready') resolve();
          else if (m.type === 'error') reject(new Error(`VecEnv worker [${start}, ${end}) failed to start: ${m.message}`));
        };
        w.once('message', onMsg);
        w.once('error', (e) => reject(e));
      }));
      w.on('message', (m: { type: string; message?: string }) => {
        if (m.type === 'error') this.errors.push(m.message ?? 'unknown worker error');
      });
      w.on('error', (e) => this.fail(`VecEnv worker [${start}, ${end}) crashed: ${e.stack ?? e.message}`));
      w.on('exit', (code) => {
        if (!this.closed && !this.closing) this.fail(`VecEnv worker [${start}, ${end}) exited with code ${code}`);
      });
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  async reset(seed?: number): Promise<void> {
    if (seed !== undefined) this.seed = seed;
    if (this.local) await this.local.reset(this.seed);
    else {
      this.seedView[0] = this.seed;
      await this.command(CMD.RESET);
    }
  }

  async step(actions: Float32Array): Promise<EpisodeStats[]> {
    const L = this.layout;
    if (actions.length !== L.numEnvs * L.actSize) throw new RangeError(`VecEnv.step: actions has ${actions.length} values, expected ${L.numEnvs}×${L.actSize}`);
    this.buf.actions.set(actions);
    if (this.local) this.local.step();
    else await this.command(CMD.STEP);
    return this.collectStats();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.local) {
      this.closed = true;
      this.local.close();
      return;
    }
    this.closing = true;
    if (!this.errors.length && this.threads.length && !this.busy) {
      try {
        await this.command(CMD.CLOSE);
      } catch {
        /* terminate below */
      }
    }
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.terminate()));
  }

  private collectStats(): EpisodeStats[] {
    const L = this.layout;
    const st = this.buf.stats;
    const out: EpisodeStats[] = [];
    const T = L.termNames.length;
    for (let g = 0; g < L.numEnvs; g++) {
      const o = g * L.statsStride;
      if (st[o] !== 1) continue;
      const terms: Record<string, number> = {};
      for (let k = 0; k < T; k++) terms[L.termNames[k]!] = st[o + 4 + k]!;
      const dr: Record<string, number | number[]> = {};
      let p = o + 4 + T;
      for (const [name, size] of L.dr) {
        dr[name] = size === 1 ? st[p]! : Array.from(st.subarray(p, p + size));
        p += size;
      }
      const e: EpisodeStats = { env: g, return: st[o + 1]!, length: st[o + 2]!, terms, terminated: this.terminated[g] === 1, truncated: this.truncated[g] === 1, dr };
      if (st[o + 3] !== -1) e.success = st[o + 3] === 1;
      out.push(e);
    }
    return out;
  }

  private fail(msg: string): void {
    this.errors.push(msg);
    Atomics.store(this.ctrl, CTRL.ERROR, 1);
    Atomics.notify(this.ctrl, CTRL.DONE);
  }

  private async command(cmd: number): Promise<void> {
    if (this.closed) throw new Error('VecEnv is closed');
    if (this.busy) throw new Error('VecEnv: a reset/step is already in flight; await it first');
    this.busy = true;
    try {
      const c = this.ctrl;
      Atomics.store(c, CTRL.DONE, 0);
      Atomics.store(c, CTRL.CMD, cmd);
      Atomics.add(c, CTRL.SEQ, 1);
      Atomics.notify(c, CTRL.SEQ);
      const W = this.threads.length;
      for (;;) {
        if (Atomics.load(c, CTRL.ERROR)) break;
        const d = Atomics.load(c, CTRL.DONE);
        if (d >= W) break;
        const r = waitAsync(c, CTRL.DONE, d, 30_000);
        if (r.async && (await r.value) === 'timed-out') {
          throw new Error(`VecEnv: workers did not answer within 30 s (${Atomics.load(c, CTRL.DONE)}/${W} done)`);
        }
      }
      if (Atomics.load(c, CTRL.ERROR)) {
        // The worker posts its message before raising the flag; give the event loop a turn to deliver it.
        for (let i = 0; i < 50 && !this.errors.length; i++) await new Promise((r) => setTimeout(r, 10));
        const msg = this.errors.join('\n') || 'unknown worker error';
        this.closed = true;
        await Promise.all(this.threads.map((t) => t.terminate()));
        throw new Error(`VecEnv(${this.task}): ${msg}`);
      }
    } finally {
      this.busy = false;
    }
  }
}
