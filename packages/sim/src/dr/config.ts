/**
 * Domain-randomization settings: one entry per registered DR term (dr/registry.ts), under the term's key, with the
 * term's published defaults. The built-in terms (dr/builtin.ts) are typed here; terms registered elsewhere (a
 * user's file, a test) appear under their own key once registered.
 */
import './builtin.ts'; // registers the built-in terms before any config is built
import type { BuiltinDrConfig } from './builtin.ts';
import { drDefaults, type DrParams } from './registry.ts';

export type { RangeDr, ComOffsetDr, ObsNoiseDr, PushDr, GravityDr, BuiltinDrConfig } from './builtin.ts';

/** A task's `dr` block: the built-in terms, plus any registered term under its key. */
export interface DrConfig extends BuiltinDrConfig {
  [term: string]: DrParams;
}

/** Every registered term with its published defaults (the built-in ones all enabled). Tasks switch off what does not apply. */
export function defaultDrConfig(): DrConfig {
  return drDefaults() as DrConfig;
}

/** Every term off: a clean, nominal simulation (tests, sim2sim checks). */
export function disabledDrConfig(): DrConfig {
  const c = defaultDrConfig();
  for (const v of Object.values(c)) v.enabled = false;
  return c;
}
