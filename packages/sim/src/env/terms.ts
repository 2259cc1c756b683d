/**
 * Manager terms as data, in the style of IsaacLab's RewardTerm / EventTerm / ObservationTerm / TerminationTerm.
 * A term is a plain object: a name, a pure function of the env, and its parameters. Tasks list their terms in
 * `defaultConfig()`-driven builders; the env runs them in order and prints them as a table at start.
 */
import type { Rng } from '@s2r/core';

/** A reward term. The env multiplies `fn(env, params) × weight × dt` (legged_gym convention) unless the task says not to. */
export interface RewardTerm<E, P = any> {
  name: string;
  fn: (env: E, params: P) => number;
  weight: number;
  params?: P;
}

export type EventMode = 'startup' | 'reset' | 'interval';

/**
 * A domain-randomization (or other) event. `fn` draws from its own `rng` (a stream split by the term's name, so
 * adding or removing a term never shifts another term's draws) and returns the values it drew, which the env
 * reports per episode (`info.dr`, `env.drValues()`) so recordings can store them.
 */
export interface EventTerm<E, P = any> {
  name: string;
  fn: (env: E, rng: Rng, params: P) => DrValue | void;
  mode: EventMode;
  /** For mode 'interval': period in seconds (s). */
  intervalS?: number;
  params: P;
  /** One line for the printed table, e.g. 'U(0.5, 1.25)'. Defaults to JSON of params. */
  describe?: string;
}

/** Values an event drew: a scalar or a vector (e.g. per-joint offsets). */
export type DrValue = number | number[];

/** An observation term writes `size` values at `out[offset..]`. Noise is uniform ±noise (units of the term). */
export interface ObservationTerm<E> {
  name: string;
  size: number;
  unit: string;
  fn: (env: E, out: Float32Array, offset: number) => void;
  /** Half-width of uniform noise added when observation noise is enabled (legged_gym noise scales), in `unit`. */
  noise?: number;
  low?: number;
  high?: number;
  labels?: string[];
}

/** A termination term. `timeOut: true` marks a truncation (time limit), which is not a termination. */
export interface TerminationTerm<E> {
  name: string;
  fn: (env: E) => boolean;
  timeOut?: boolean;
}

/** Format rows as a fixed-width text table (for the printed term tables). */
export function formatTable(title: string, header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  return [title, line(header), sep, ...rows.map(line)].join('\n');
}

export function describeParams(p: unknown): string {
  if (p === undefined || p === null) return '';
  const s = JSON.stringify(p);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}
