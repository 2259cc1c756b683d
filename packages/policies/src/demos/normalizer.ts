/**
 * Normalizers shipped inside BC / diffusion artifacts.
 * - Observations: z-score clipped to ±clip, with the one arithmetic of ../normalizer.ts (a float32 mean and a
 *   multiply by the float32 reciprocal of the std, as PPO and the ONNX export do). A dimension whose std is below
 *   `minStd` (e.g. a constant goal) is only centred, so it never blows up to ±clip on a tiny deviation at deployment.
 * - Actions: min-max to [−1, 1] (Diffusion Policy's limits normalizer), since the sampler clips x̂₀ to ±1.
 */
import type { FeatureStats } from './dataset.ts';
import { invStd32, normalizeValue } from '../normalizer.ts';

export interface ObsNormalizer {
  mean: number[];
  std: number[];
  clip: number;
  /** 1 keeps a dimension, 0 zeroes it after normalization (observation terms the learner must ignore). */
  mask?: number[];
}

/** The 0/1 mask that drops the named observation terms (e.g. 'last_action', against copycat BC). */
export function termMask(spec: { terms: { name: string; size: number }[]; size: number }, ignore: string[]): number[] | undefined {
  if (ignore.length === 0) return undefined;
  const names = spec.terms.map((t) => t.name);
  for (const n of ignore) if (!names.includes(n)) throw new Error(`ignoreObsTerms: no observation term "${n}" (terms: ${names.join(', ')})`);
  const m: number[] = [];
  for (const t of spec.terms) for (let i = 0; i < t.size; i++) m.push(ignore.includes(t.name) ? 0 : 1);
  return m;
}

export interface ActionNormalizer {
  min: number[];
  max: number[];
}

/**
 * The normalizer from dataset statistics, already rounded the way the artifact stores it (float32 mean, float32
 * var = std²): training sees exactly the numbers deployment will decode, not a float64 original 1 ulp away.
 */
export function makeObsNormalizer(s: FeatureStats, minStd = 1e-3, clip = 5, mask?: number[]): ObsNormalizer {
  return {
    mean: s.mean.map((v) => Math.fround(v)),
    std: s.std.map((v) => (v < minStd ? 1 : Math.sqrt(Math.fround(v * v)))),
    clip,
    ...(mask ? { mask } : {}),
  };
}

export function makeActionNormalizer(s: Pick<FeatureStats, 'min' | 'max'>, minRange = 1e-4): ActionNormalizer {
  // A constant action dimension gets a tiny symmetric range so normalize/denormalize stay finite.
  const min = s.min.map((v, i) => (s.max[i]! - v < minRange ? v - minRange : v));
  const max = s.max.map((v, i) => (v - s.min[i]! < minRange ? v + minRange : v));
  return { min, max };
}

export function checkNormalizer(n: ObsNormalizer | undefined, dim: number, where: string): ObsNormalizer {
  if (!n || !Array.isArray(n.mean) || !Array.isArray(n.std)) throw new Error(`${where}: observation normalizer is missing (mean/std)`);
  if (n.mean.length !== dim || n.std.length !== dim) throw new Error(`${where}: observation normalizer has ${n.mean.length}/${n.std.length} entries, observation size is ${dim}`);
  if (n.std.some((s) => !(s > 0))) throw new Error(`${where}: observation normalizer has a non-positive std`);
  return n;
}

export function checkActionNormalizer(n: ActionNormalizer | undefined, dim: number, where: string): ActionNormalizer {
  if (!n || !Array.isArray(n.min) || !Array.isArray(n.max)) throw new Error(`${where}: action normalizer is missing (min/max)`);
  if (n.min.length !== dim || n.max.length !== dim) throw new Error(`${where}: action normalizer has ${n.min.length}/${n.max.length} entries, action size is ${dim}`);
  if (n.min.some((v, i) => !(n.max[i]! > v))) throw new Error(`${where}: action normalizer has max ≤ min`);
  return n;
}

/** Each normalizer's float32 mean and reciprocal std, worked out on first use (normalizers are never mutated). */
const float32Of = new WeakMap<ObsNormalizer, { mean32: Float32Array; inv32: Float32Array }>();

export function normalizeObs(n: ObsNormalizer, x: ArrayLike<number>, out: Float32Array, off = 0): void {
  let f = float32Of.get(n);
  if (!f) float32Of.set(n, (f = { mean32: Float32Array.from(n.mean), inv32: Float32Array.from(n.std, invStd32) }));
  const { mean32, inv32 } = f;
  for (let i = 0; i < mean32.length; i++) {
    const v = normalizeValue(x[i]!, mean32[i]!, inv32[i]!, n.clip);
    out[off + i] = n.mask ? v * n.mask[i]! : v;
  }
}

export function normalizeAction(n: ActionNormalizer, a: ArrayLike<number>, out: Float32Array, off = 0): void {
  for (let i = 0; i < n.min.length; i++) out[off + i] = (2 * (a[i]! - n.min[i]!)) / (n.max[i]! - n.min[i]!) - 1;
}

export function denormalizeAction(n: ActionNormalizer, a: ArrayLike<number>, aOff: number, out: Float32Array, off = 0): void {
  for (let i = 0; i < n.min.length; i++) out[off + i] = ((a[aOff + i]! + 1) / 2) * (n.max[i]! - n.min[i]!) + n.min[i]!;
}
