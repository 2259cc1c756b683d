/**
 * Behaviour fingerprints for bench:policies' cache keys (stage-keys.ts): a hash of what a task and its scripted
 * expert *do*, so a refactor that keeps behaviour bit for bit (moving DR code, renaming) keeps the cache, and any
 * change of dynamics, observations, rewards, DR or the expert invalidates it.
 *
 * Env: `episodes` seeded resets with the task's default DR on, `steps` steps each under a fixed, smooth action
 * sequence; the hash covers every observation (float32 bytes), reward, terminated/truncated flag and success.
 * Expert: the same resets driven by the scripted expert; the hash covers its actions and the observations.
 * Costs a few hundred env steps (well under a second on an idle core).
 */
import { createHash } from 'node:crypto';
import { Rng } from '@s2r/core';
import type { Env } from '@s2r/sim/env/types.ts';
import { scriptedExpert } from '../src/demos/experts.ts';

export interface FingerprintOptions {
  episodes?: number;
  steps?: number;
  seed?: number;
}

function feed(h: ReturnType<typeof createHash>, x: Float32Array | Float64Array | number[], asF32 = true): void {
  const a = asF32 ? Float32Array.from(x) : Float64Array.from(x);
  h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

/** Fixed action at step t (action units): small sinusoids, different per joint, inside any sane action range. */
function probeAction(t: number, A: number, out: Float32Array): Float32Array {
  for (let j = 0; j < A; j++) out[j] = 0.3 * Math.sin(0.07 * t + 1.3 * j);
  return out;
}

async function rollout(makeEnv: () => Env | Promise<Env>, act: (env: Env, obs: Float32Array, t: number) => ArrayLike<number>, onReset: (env: Env, r: Rng) => void, o: FingerprintOptions, h: ReturnType<typeof createHash>): Promise<void> {
  const env = await makeEnv();
  try {
    const episodes = o.episodes ?? 3;
    const steps = o.steps ?? 60;
    for (let e = 0; e < episodes; e++) {
      const r = Rng.seed(o.seed ?? 4242).split('fingerprint').split(e);
      let { obs } = env.reset(r);
      onReset(env, r.split('expert'));
      feed(h, obs);
      for (let t = 0; t < steps; t++) {
        const a = act(env, obs, t);
        feed(h, Array.from(a));
        const s = env.step(a instanceof Float32Array ? a : Float32Array.from(a));
        feed(h, s.obs);
        feed(h, [s.reward, s.terminated ? 1 : 0, s.truncated ? 1 : 0, s.info.success === true ? 1 : 0]);
        obs = s.obs;
        if (s.terminated || s.truncated) break;
      }
    }
  } finally {
    env.close();
  }
}

/** Hash of the task's observations, rewards and ends under fixed actions, DR on (hex). */
export async function envFingerprint(makeEnv: () => Env | Promise<Env>, o: FingerprintOptions = {}): Promise<string> {
  const h = createHash('sha256');
  let a: Float32Array | null = null;
  await rollout(makeEnv, (env, _obs, t) => probeAction(t, env.actionSpec.size, (a ??= new Float32Array(env.actionSpec.size))), () => {}, o, h);
  return h.digest('hex');
}

/** Hash of the scripted expert's actions (and what they lead to) on seeded resets (hex). */
export async function expertFingerprint(task: string, makeEnv: () => Env | Promise<Env>, o: FingerprintOptions = {}): Promise<string> {
  const h = createHash('sha256');
  const probe = await makeEnv();
  const x = await scriptedExpert(task, probe);
  probe.close();
  await rollout(makeEnv, (env, obs) => x.act(obs, env), (env, r) => x.reset(env, r), { steps: 120, ...o }, h);
  return h.digest('hex');
}
