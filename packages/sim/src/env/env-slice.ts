/**
 * A contiguous slice [start, start + n) of a VecEnv's envs, stepped in one thread over the shared buffers.
 * Used in-process (workers ≤ 1) and inside each worker, so both paths run the same code.
 *
 * Seeding: env g is reset from `Rng.seed(seed).split('env').split(g)` and then continues its own streams across
 * auto-resets, so what env g sees never depends on which thread runs it.
 */
import { Rng } from '@s2r/core';
import type { TaskEnv } from './types.ts';
import type { VecBuffers, VecLayout } from './vec-buffers.ts';

export class EnvSlice {
  /** True once any env has stepped: a seeded reset then rebuilds the envs (see reset). */
  private stepped = false;
  private readonly ret: Float64Array;
  private readonly len: Int32Array;
  private readonly termSums: Float64Array;
  private episodeDr: Record<string, number | number[]>[] = [];

  constructor(
    public envs: TaskEnv[],
    readonly start: number,
    readonly buf: VecBuffers,
    readonly layout: VecLayout,
    /** Builds a fresh env of the task (for rebuilds). */
    private readonly factory: () => Promise<TaskEnv>,
  ) {
    this.ret = new Float64Array(envs.length);
    this.len = new Int32Array(envs.length);
    this.termSums = new Float64Array(envs.length * layout.termNames.length);
  }

  /**
   * Reset every env from `seed`. Envs that have stepped are rebuilt first: Rapier keeps solver warm-start caches
   * (joint and contact impulses) across teleports, so only a fresh world makes a seed reproduce its episodes
   * exactly. Auto-resets inside a run don't rebuild (they continue each env's own streams).
   */
  async reset(seed: number): Promise<void> {
    if (this.stepped) {
      const fresh: TaskEnv[] = [];
      try {
        for (let i = 0; i < this.envs.length; i++) fresh.push(await this.factory());
      } catch (e) {
        for (const f of fresh) f.close();
        throw e;
      }
      for (const e of this.envs) e.close();
      this.envs = fresh;
      this.stepped = false;
    }
    const root = Rng.seed(seed).split('env');
    for (let i = 0; i < this.envs.length; i++) {
      const g = this.start + i;
      const r = this.envs[i]!.reset(root.split(g));
      this.afterReset(i, r.obs, r.info.privileged as Float32Array | undefined);
      this.buf.rewards[g] = 0;
      this.buf.terminated[g] = 0;
      this.buf.truncated[g] = 0;
      this.buf.stats[g * this.layout.statsStride] = 0;
    }
  }

  step(): void {
    this.stepped = true;
    const { obsSize: D, actSize: A, privSize: P, termNames, statsStride: S } = this.layout;
    const T = termNames.length;
    const b = this.buf;
    for (let i = 0; i < this.envs.length; i++) {
      const g = this.start + i;
      const env = this.envs[i]!;
      const r = env.step(b.actions.subarray(g * A, (g + 1) * A));
      b.rewards[g] = r.reward;
      b.terminated[g] = r.terminated ? 1 : 0;
      b.truncated[g] = r.truncated ? 1 : 0;
      this.ret[i]! += r.reward;
      this.len[i]!++;
      for (let k = 0; k < T; k++) this.termSums[i * T + k]! += (r.info.rewardTerms[termNames[k]!] ?? 0);
      const st = b.stats;
      const o = g * S;
      if (r.terminated || r.truncated) {
        st[o] = 1;
        st[o + 1] = this.ret[i]!;
        st[o + 2] = this.len[i]!;
        st[o + 3] = r.info.success === undefined ? -1 : r.info.success ? 1 : 0;
        for (let k = 0; k < T; k++) st[o + 4 + k] = this.termSums[i * T + k]!;
        writeDr(st, o + 4 + T, this.layout, this.episodeDr[i]!);
        const n = env.reset();
        this.afterReset(i, n.obs, n.info.privileged as Float32Array | undefined);
      } else {
        st[o] = 0;
        b.obs.set(r.obs, g * D);
        if (P) b.privileged.set(r.info.privileged as Float32Array, g * P);
      }
    }
  }

  close(): void {
    for (const e of this.envs) e.close();
  }

  private afterReset(i: number, obs: Float32Array, priv: Float32Array | undefined): void {
    const g = this.start + i;
    const { obsSize: D, privSize: P, termNames } = this.layout;
    this.buf.obs.set(obs, g * D);
    if (P) this.buf.privileged.set(priv!, g * P);
    this.ret[i] = 0;
    this.len[i] = 0;
    this.termSums.fill(0, i * termNames.length, (i + 1) * termNames.length);
    this.episodeDr[i] = this.envs[i]!.drValues();
  }
}

function writeDr(st: Float64Array, o: number, layout: VecLayout, dr: Record<string, number | number[]>): void {
  for (const [name, size] of layout.dr) {
    const v = dr[name];
    for (let k = 0; k < size; k++) st[o + k] = v === undefined ? NaN : typeof v === 'number' ? v : (v[k] ?? NaN);
    o += size;
  }
}
