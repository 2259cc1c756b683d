/**
 * Loading a Rapier build once per process. 'simd' (rapier3d-simd-compat 0.20) is ~1.5x faster here and the
 * default; 'deterministic' is bitwise reproducible across machines; 'compat' is the plain 0.21 build.
 * All three share one API; the types come from rapier3d-compat.
 */
import type { RapierFlavor } from './types.ts';

export type Rapier = typeof import('@dimforge/rapier3d-compat');

const loaded = new Map<RapierFlavor, Promise<Rapier>>();

export function loadRapier(flavor: RapierFlavor = 'simd'): Promise<Rapier> {
  let p = loaded.get(flavor);
  if (!p) {
    p = (async () => {
      let mod: { default?: Rapier } & Rapier;
      if (flavor === 'simd') mod = (await import('@dimforge/rapier3d-simd-compat')) as unknown as typeof mod;
      else if (flavor === 'deterministic') mod = (await import('@dimforge/rapier3d-deterministic-compat')) as unknown as typeof mod;
      else if (flavor === 'compat') mod = (await import('@dimforge/rapier3d-compat')) as unknown as typeof mod;
      else throw new Error(`unknown Rapier flavor "${String(flavor)}" (expected simd, compat or deterministic)`);
      const R = (mod.default ?? mod) as Rapier;
      await R.init();
      return R;
    })();
    loaded.set(flavor, p);
  }
  return p;
}
