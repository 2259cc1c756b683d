import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectDemos } from '../src/demos/collect.ts';
import { loadDemos, saveDemos } from '../src/demos/store.ts';
import { buildWindows } from '../src/demos/windows.ts';
import { wilson } from '../src/evaluate.ts';
import { ToyReach, toyExpert } from './toy-env.ts';

describe('demonstration storage', () => {
  it('collects deterministically, round-trips every column bit for bit, and indexes episodes', async () => {
    const opts = { task: 'toy-reach', makeEnv: () => new ToyReach(), expert: toyExpert([0, 0], 0.5), episodes: 6, noise: 0.1, seed: 3 };
    const a = await collectDemos(opts);
    const b = await collectDemos(opts);
    expect(Buffer.from(a.obs.buffer).equals(Buffer.from(b.obs.buffer))).toBe(true);
    expect(Buffer.from(a.action.buffer).equals(Buffer.from(b.action.buffer))).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 's2r-demos-'));
    const idx = saveDemos(dir, a);
    expect(idx.summary.episodes).toBe(6);
    expect(idx.summary.successes).toBe(a.episodes.filter((e) => e.success).length);
    const c = loadDemos(dir);
    for (const k of ['obs', 'action', 'expertAction', 'reward', 'terminated', 'truncated', 'episode', 'step'] as const) {
      expect(Buffer.from(c[k].buffer).equals(Buffer.from(a[k].buffer))).toBe(true);
    }
    // Episode boundaries: the last row of each episode carries terminated xor truncated; rows are contiguous.
    for (const e of c.episodes) {
      const last = e.start + e.length - 1;
      expect(c.terminated[last]! + c.truncated[last]!).toBe(1);
      expect(c.episode[e.start]).toBe(e.index);
      expect(c.step[last]).toBe(e.length - 1);
      expect(Boolean(c.terminated[last])).toBe(e.success); // toy-reach terminates only on success
    }
    // Normalization statistics over successful episodes.
    expect(c.stats.action.min.every((v, i) => v <= c.stats.action.max[i]!)).toBe(true);

    // Failures name what is wrong and where.
    truncateSync(join(dir, 'obs.f32'), 8);
    expect(() => loadDemos(dir)).toThrow(/obs\.f32 has 8 bytes/);
    const idxJson = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    writeFileSync(join(dir, 'index.json'), JSON.stringify({ ...idxJson, version: 9 }));
    expect(() => loadDemos(dir)).toThrow(/version 9/);
    expect(() => loadDemos(join(dir, 'nope'))).toThrow(/index\.json not found/);
  });

  it('windows pad the history with the first frame and the chunk with the last action', () => {
    const w = buildWindows([{ index: 0, start: 10, length: 3, success: true, return: 0, terminated: true }], 2, 4);
    expect(w.count).toBe(3);
    expect(Array.from(w.obsRows)).toEqual([10, 10, 10, 11, 11, 12]);
    expect(Array.from(w.actRows)).toEqual([10, 11, 12, 12, 11, 12, 12, 12, 12, 12, 12, 12]);
  });

  it('Wilson intervals', () => {
    const [lo, hi] = wilson(45, 50);
    expect(lo).toBeCloseTo(0.786, 2);
    expect(hi).toBeCloseTo(0.957, 2);
    expect(wilson(50, 50)[1]).toBeCloseTo(1, 12);
    expect(wilson(0, 50)[0]).toBe(0);
  });
});
