/**
 * One evaluator: the success-rate report (bench:policies' evaluateEpisodes, imported there as demos' evaluatePolicy)
 * runs on the same episode loop as `s2r eval`, and reports exactly what the former standalone loop reported.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '@s2r/core';
import { load } from '@s2r/sim/tasks/registry.ts';
import { makeZ1PushExpert } from '@s2r/sim/tasks/z1-push-expert.ts';
import type { Env } from '@s2r/sim/env/types.ts';
import { evaluateEpisodes, wilson, type ActingPolicy } from '../src/evaluate.ts';
import { evaluateEpisodes as demosEvaluate } from '../src/evaluate.ts';

/** The loop the demos evaluator ran before it moved onto runEpisodes, kept here as the reference. */
async function formerLoop(env: Env, pol: ActingPolicy, opts: { seeds: number[]; episodes: number; maxSteps?: number }) {
  let n = 0, succ = 0, retSum = 0, lenSum = 0;
  const perSeed: { seed: number; success: number; meanReturn: number }[] = [];
  for (const seed of opts.seeds) {
    let s = 0, r = 0;
    for (let e = 0; e < opts.episodes; e++) {
      let { obs } = env.reset(Rng.seed(seed).split('eval').split(e));
      pol.reset();
      let ok = false, ret = 0, t = 0;
      const cap = opts.maxSteps ?? env.maxEpisodeSteps;
      for (; t < cap; t++) {
        const res = env.step(pol.act(obs));
        ret += res.reward;
        if (res.info.success === true) ok = true;
        obs = res.obs;
        if (res.terminated || res.truncated) { t++; break; }
      }
      n++; lenSum += t; retSum += ret; r += ret;
      if (ok) { succ++; s++; }
    }
    perSeed.push({ seed, success: s / opts.episodes, meanReturn: r / opts.episodes });
  }
  return { episodes: n, successes: succ, success: n ? succ / n : 0, ci95: wilson(succ, n), perSeed, meanReturn: retSum / n, meanLength: lenSum / n };
}

/** A cart-pole controller that balances some starts and drops others, with a reset that draws (like an expert's). */
function controller(): ActingPolicy & { resets: number } {
  let gain = 0;
  const p = {
    resets: 0,
    reset() { gain = 0.6 + 0.4 * Rng.seed(p.resets++).float(); },
    act(o: Float32Array) { return Float32Array.of(Math.max(-1, Math.min(1, gain * (2 * o[2]! + 0.5 * o[3]! + 0.1 * o[1]!)))); },
  };
  return p;
}

describe('evaluateEpisodes (one loop)', () => {
  it('reports what the former standalone loop reported, field for field, with and without a step cap', async () => {
    for (const opts of [{ seeds: [1, 2], episodes: 3 }, { seeds: [4], episodes: 2, maxSteps: 30 }]) {
      const a = controller();
      const now = await demosEvaluate(() => load('cartpole', {}, { print: false }), a, opts);
      const b = controller();
      const env = await load('cartpole', {}, { print: false });
      const before = await formerLoop(env, b, opts);
      env.close();
      expect(now).toEqual(before);
      expect(a.resets).toBe(b.resets); // one policy reset per episode, none after the last
      expect(now.episodes).toBe(opts.seeds.length * opts.episodes);
    }
  });

  it("counts the task's success flag the same way: z1-push with its noisy scripted expert", async () => {
    const expert = (noise: number): ActingPolicy & { resets: number } => {
      const x = makeZ1PushExpert(undefined, { actionNoise: noise });
      let rng = Rng.seed(0);
      const p = { resets: 0, reset() { rng = Rng.seed(100 + p.resets++); }, act: (o: Float32Array) => x(o, rng) };
      return p;
    };
    const opts = { seeds: [3], episodes: 4 };
    const now = await demosEvaluate(() => load('z1-push', {}, { print: false }), expert(0.05), opts);
    const env = await load('z1-push', {}, { print: false });
    const before = await formerLoop(env, expert(0.05), opts);
    env.close();
    expect(now).toEqual(before);
    expect(now.successes).toBeGreaterThan(0); // the flag is read, not defaulted
  });

  it('is the same function under both import paths', () => {
    expect(demosEvaluate).toBe(evaluateEpisodes);
  });
});
