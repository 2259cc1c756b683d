/**
 * Roll a policy out for episodes × seeds on fresh envs and report success with a 95% confidence interval.
 * Episode e of seed s resets with Rng.seed(s).split('eval').split(e): the same starts for every policy, so
 * policies are compared on identical task instances.
 */
import { Rng } from '@s2r/core';
import type { Env } from '@s2r/sim/env/types.ts';

export interface ActingPolicy {
  reset(): void;
  act(obs: Float32Array): ArrayLike<number>;
}

export interface EvalResult {
  episodes: number;
  successes: number;
  success: number;
  /** Wilson score 95% interval of the pooled success rate. */
  ci95: [number, number];
  perSeed: { seed: number; success: number; meanReturn: number }[];
  meanReturn: number;
  meanLength: number;
}

/** Wilson score interval (z = 1.96); well behaved at 0% and 100%, unlike the normal approximation. */
export function wilson(successes: number, n: number, z = 1.959964): [number, number] {
  if (n === 0) return [0, 1];
  const p = successes / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, c - h), Math.min(1, c + h)];
}

export async function evaluatePolicy(makeEnv: () => Env | Promise<Env>, policy: ActingPolicy | (() => ActingPolicy), opts: { seeds: number[]; episodes: number; maxSteps?: number }): Promise<EvalResult> {
  const env = await makeEnv();
  const pol = typeof policy === 'function' ? policy() : policy;
  let n = 0;
  let succ = 0;
  let retSum = 0;
  let lenSum = 0;
  const perSeed: EvalResult['perSeed'] = [];
  try {
    for (const seed of opts.seeds) {
      let s = 0;
      let r = 0;
      for (let e = 0; e < opts.episodes; e++) {
        let { obs } = env.reset(Rng.seed(seed).split('eval').split(e));
        pol.reset();
        let ok = false;
        let ret = 0;
        let t = 0;
        const cap = opts.maxSteps ?? env.maxEpisodeSteps;
        for (; t < cap; t++) {
          const res = env.step(pol.act(obs));
          ret += res.reward;
          if (res.info.success === true) ok = true;
          obs = res.obs;
          if (res.terminated || res.truncated) {
            t++;
            break;
          }
        }
        n++;
        lenSum += t;
        retSum += ret;
        r += ret;
        if (ok) {
          succ++;
          s++;
        }
      }
      perSeed.push({ seed, success: s / opts.episodes, meanReturn: r / opts.episodes });
    }
  } finally {
    env.close();
  }
  return { episodes: n, successes: succ, success: n ? succ / n : 0, ci95: wilson(succ, n), perSeed, meanReturn: retSum / n, meanLength: lenSum / n };
}
