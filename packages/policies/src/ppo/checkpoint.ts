/**
 * Training checkpoints: everything needed to continue a run bit-for-bit in the learner (network weights, log σ,
 * Adam moments and step, normalizer statistics in float64, RNG states, counters). Env states are not saved:
 * a resumed run restarts its episodes (documented in `s2r train --help`).
 * One JSON file; float32 arrays as base64 (EncodedTensor), float64 statistics as plain numbers.
 */
import { readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeTensor, encodeTensor, type EncodedTensor } from '../artifact.ts';
import type { MlpLayerData } from '../nn/mlp.ts';
import type { PpoState } from './ppo.ts';
import { writeFileAtomic } from '../run-dir.ts';

export const CHECKPOINT_VERSION = 1;

export interface CheckpointCounters {
  iteration: number;
  envSteps: number;
  /** Wall-clock seconds spent training so far (across resumes). */
  elapsedS: number;
  /** Episodes finished so far. */
  episodes: number;
}

interface EncodedLayer {
  in: number;
  out: number;
  w: EncodedTensor;
  b: EncodedTensor;
}

const encLayers = (ls: MlpLayerData[]): EncodedLayer[] => ls.map((l) => ({ in: l.in, out: l.out, w: encodeTensor(l.w, [l.in, l.out]), b: encodeTensor(l.b, [l.out]) }));
const decLayers = (ls: EncodedLayer[], where: string): MlpLayerData[] =>
  ls.map((l, i) => ({ in: l.in, out: l.out, w: decodeTensor(l.w, `${where} layer ${i} w`, [l.in, l.out]), b: decodeTensor(l.b, `${where} layer ${i} b`, [l.out]) }));

export function encodeCheckpoint(state: PpoState, counters: CheckpointCounters, config: unknown): string {
  return JSON.stringify({
    format: 's2r-ppo-checkpoint',
    version: CHECKPOINT_VERSION,
    counters,
    config,
    actor: encLayers(state.actor),
    critic: encLayers(state.critic),
    logStd: encodeTensor(state.logStd),
    adam: { step: state.adam.step, lr: state.adam.lr, m: state.adam.m.map((x) => encodeTensor(x)), v: state.adam.v.map((x) => encodeTensor(x)) },
    obsNorm: state.obsNorm,
    criticNorm: state.criticNorm,
    rng: state.rng,
  });
}

export function decodeCheckpoint(text: string, where: string): { state: PpoState; counters: CheckpointCounters; config: unknown } {
  const j = JSON.parse(text);
  if (j.format !== 's2r-ppo-checkpoint') throw new Error(`${where}: not a PPO checkpoint (format ${JSON.stringify(j.format)})`);
  if (j.version !== CHECKPOINT_VERSION) throw new Error(`${where}: checkpoint version ${j.version}, this trainer reads ${CHECKPOINT_VERSION}`);
  return {
    counters: j.counters,
    config: j.config,
    state: {
      actor: decLayers(j.actor, `${where} actor`),
      critic: decLayers(j.critic, `${where} critic`),
      logStd: decodeTensor(j.logStd, `${where} logStd`),
      adam: {
        step: j.adam.step,
        lr: j.adam.lr,
        m: j.adam.m.map((t: EncodedTensor, i: number) => decodeTensor(t, `${where} adam.m[${i}]`)),
        v: j.adam.v.map((t: EncodedTensor, i: number) => decodeTensor(t, `${where} adam.v[${i}]`)),
      },
      obsNorm: j.obsNorm,
      criticNorm: j.criticNorm,
      rng: j.rng,
    },
  };
}

const NAME = /^ckpt-(\d+)\.json$/;

export async function writeCheckpoint(dir: string, iteration: number, text: string, keep: number): Promise<string> {
  const path = join(dir, `ckpt-${String(iteration).padStart(6, '0')}.json`);
  await writeFileAtomic(path, text);
  if (keep > 0) {
    const all = (await readdir(dir)).filter((f) => NAME.test(f)).sort();
    for (const f of all.slice(0, Math.max(0, all.length - keep))) await unlink(join(dir, f)).catch(() => {});
  }
  return path;
}

/** Newest checkpoint file in a checkpoints folder, or null. */
export async function latestCheckpoint(dir: string): Promise<string | null> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => NAME.test(f)).sort();
  } catch {
    return null;
  }
  return files.length ? join(dir, files[files.length - 1]!) : null;
}

export async function readCheckpoint(path: string): Promise<ReturnType<typeof decodeCheckpoint>> {
  return decodeCheckpoint(await readFile(path, 'utf8'), path);
}
