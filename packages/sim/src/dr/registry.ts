/**
 * Domain-randomization terms as registered functions, the way Isaac Lab's event terms are: a term is a name, the
 * schema of its config, its published defaults and an `apply` run at the mode its config names (startup, reset or
 * interval). A task's `dr` config holds one entry per registered term, under the term's key; the env turns the
 * enabled entries into EventTerms (buildDrEvents) and reads the few terms that act outside events through hooks
 * (latency buffer length, gravity restored at reset, observation noise).
 *
 * Adding a term touches one file: the file that calls `registerDrTerm` (the built-in ones are dr/builtin.ts).
 * Validation comes from the schemas: an unknown term, an unknown key or a wrong type is an error naming it.
 */
import type { Rng } from '@s2r/core';
import type { DrValue, EventMode, EventTerm } from '../env/terms.ts';
import type { DrTarget } from './state.ts';

/** The type of one config field. Every term also has `enabled: boolean`. */
export type DrField =
  | { type: 'boolean' }
  /** A number, optionally ≥ min (or > min with exclusiveMin). */
  | { type: 'number'; min?: number; exclusiveMin?: boolean }
  /** [lo, hi], both finite, lo ≤ hi. */
  | { type: 'range' }
  | { type: 'enum'; values: readonly string[] }
  /** name → number (e.g. noise scale per observation term). */
  | { type: 'record' };

/** Every term's config: `enabled` plus the fields of its schema. */
export interface DrParams {
  enabled: boolean;
}

/** The mode field of terms whose config chooses startup or reset. */
export const MODE_FIELD: DrField = { type: 'enum', values: ['startup', 'reset'] };

export interface DrTermDef<P extends DrParams = any> {
  /** Key of the term's entry in a task's `dr` config (camelCase), e.g. 'linkMassScale'. */
  key: string;
  /**
   * Event name (snake_case): the key of its drawn values in `info.dr`, its row in the printed table and the name its
   * RNG stream is split by — renaming a term changes its draws.
   */
  name: string;
  /** The fields of its config besides `enabled`, with their types. */
  schema: Record<string, DrField>;
  /** Published defaults (REFERENCE.md), `enabled` included: what `defaultDrConfig()` holds. */
  defaults: P;
  /**
   * When it runs: a fixed mode, or 'config' to take `params.mode` ('startup' | 'reset'). 'interval' terms take their
   * period from `params.intervalS` (s). 'step' terms are not events: they act through a hook every step.
   */
  mode: EventMode | 'config' | 'step';
  /** One line for the printed table, e.g. 'U(0.5, 1.25)'. */
  describe(p: P): string;
  /** Draw from `rng` (the term's own stream), write into the target, return what was drawn. Not for 'step' terms. */
  apply?(t: DrTarget, rng: Rng, p: P): DrValue | void;
  /** Semantic checks beyond the field types; throw naming `where` (e.g. 'go1-flat.dr.friction'). */
  check?(p: P, where: string): void;
  // Hooks for terms that act outside an event, read by the env only when the term is enabled:
  /** Control steps of action history the env must keep (action latency). */
  actionBufferSteps?(p: P): number;
  /** At every episode start, before reset events (e.g. gravity back to nominal). */
  episodeStart?(t: DrTarget, p: P): void;
  /** Half-width of uniform noise on one observation term (its unit), given the term's own `noise`. */
  observationNoise?(p: P, term: string, termNoise: number | undefined): number;
}

const TERMS = new Map<string, DrTermDef>();

/** Register a DR term. Keys and names are unique; the order of registration is the order terms run in. */
export function registerDrTerm<P extends DrParams>(def: DrTermDef<P>): void {
  if (TERMS.has(def.key)) throw new Error(`DR term "${def.key}" is already registered`);
  for (const t of TERMS.values()) if (t.name === def.name) throw new Error(`DR term name "${def.name}" is already used by "${t.key}"`);
  if (def.mode === 'config' && !def.schema.mode) throw new Error(`DR term "${def.key}": mode 'config' needs a mode field in its schema`);
  if (def.mode === 'interval' && !def.schema.intervalS) throw new Error(`DR term "${def.key}": mode 'interval' needs an intervalS field in its schema`);
  if (def.mode !== 'step' && !def.apply) throw new Error(`DR term "${def.key}": an event term needs apply()`);
  checkParams(def, def.defaults, `DR term "${def.key}" defaults`);
  TERMS.set(def.key, def as DrTermDef);
}

/** Registered terms in registration order. */
export function listDrTerms(): readonly DrTermDef[] {
  return [...TERMS.values()];
}

/** Every registered term's defaults, keyed by term key (a fresh copy). */
export function drDefaults(): Record<string, DrParams> {
  const out: Record<string, DrParams> = {};
  for (const t of TERMS.values()) out[t.key] = structuredClone(t.defaults);
  return out;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fieldError(field: DrField, v: unknown): string | null {
  switch (field.type) {
    case 'boolean':
      return typeof v === 'boolean' ? null : 'expected true or false';
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) return 'expected a finite number';
      if (field.min !== undefined && (field.exclusiveMin ? !(v > field.min) : !(v >= field.min))) return `must be ${field.exclusiveMin ? '>' : '≥'} ${field.min}`;
      return null;
    case 'range':
      if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) return 'expected [lo, hi] of finite numbers';
      return v[0] <= v[1] ? null : 'must be [lo, hi] with lo ≤ hi';
    case 'enum':
      return typeof v === 'string' && field.values.includes(v) ? null : `expected one of ${field.values.map((x) => `'${x}'`).join(', ')}`;
    case 'record':
      return isObj(v) && Object.values(v).every((x) => typeof x === 'number' && Number.isFinite(x)) ? null : 'expected an object of finite numbers';
  }
}

const show = (v: unknown) => JSON.stringify(v) ?? String(v);

/** Check one term's (possibly partial) config against its schema; `complete` also requires every field. */
function checkParams(def: DrTermDef, p: unknown, where: string, complete = true): void {
  if (!isObj(p)) throw new TypeError(`${where}: expected an object {enabled, ${Object.keys(def.schema).join(', ')}}, got ${show(p)}`);
  const fields: Record<string, DrField> = { enabled: { type: 'boolean' }, ...def.schema };
  for (const [k, v] of Object.entries(p)) {
    if (v === undefined) continue;
    const f = fields[k];
    if (!f) throw new TypeError(`${where}.${k}: unknown key of DR term "${def.name}" (it takes: ${Object.keys(fields).join(', ')})`);
    const err = fieldError(f, v);
    if (err) throw new TypeError(`${where}.${k}: ${err}, got ${show(v)} (DR term "${def.name}")`);
  }
  if (complete) {
    for (const k of Object.keys(fields)) if (p[k] === undefined) throw new TypeError(`${where}.${k}: missing (DR term "${def.name}")`);
    def.check?.(p as unknown as DrParams, where);
  }
}

function termFor(key: string, where: string): DrTermDef {
  const def = TERMS.get(key);
  if (!def) throw new TypeError(`${where}.dr.${key}: unknown DR term (registered: ${[...TERMS.keys()].join(', ')})`);
  return def;
}

/** Validate `dr` overrides before they are merged: the terms exist, their keys exist and have the right types. */
export function validateDrOverrides(dr: unknown, where: string): void {
  if (dr === undefined) return;
  if (!isObj(dr)) throw new TypeError(`${where}.dr: expected an object of DR terms, got ${show(dr)}`);
  for (const [key, p] of Object.entries(dr)) if (p !== undefined) checkParams(termFor(key, where), p, `${where}.dr.${key}`, false);
}

/** Validate a resolved `dr` config: every entry a registered term, every field present and of its schema's type. */
export function validateDrConfig(dr: Record<string, unknown>, where: string): void {
  for (const [key, p] of Object.entries(dr)) checkParams(termFor(key, where), p, `${where}.dr.${key}`);
}

/** The enabled entries of a resolved config, in registration order, with their definitions. */
function enabled(dr: Record<string, unknown>): [DrTermDef, DrParams][] {
  const out: [DrTermDef, DrParams][] = [];
  for (const def of TERMS.values()) {
    const p = dr[def.key] as DrParams | undefined;
    if (p?.enabled) out.push([def, p]);
  }
  return out;
}

/** The enabled event terms of a resolved `dr` config, in registration order (what the env runs). */
export function buildDrEvents<E extends DrTarget>(dr: Record<string, unknown>): EventTerm<E>[] {
  const ev: EventTerm<E>[] = [];
  for (const [def, p] of enabled(dr)) {
    if (def.mode === 'step') continue;
    const mode: EventMode = def.mode === 'config' ? (p as unknown as { mode: EventMode }).mode : def.mode;
    const apply = def.apply!;
    ev.push({
      name: def.name, mode, params: p, describe: def.describe(p),
      ...(mode === 'interval' ? { intervalS: (p as unknown as { intervalS: number }).intervalS } : {}),
      fn: (t, rng, params) => apply(t, rng, params),
    });
  }
  return ev;
}

/** Longest action history (control steps) any enabled term needs. */
export function drActionBufferSteps(dr: Record<string, unknown>): number {
  let n = 0;
  for (const [def, p] of enabled(dr)) if (def.actionBufferSteps) n = Math.max(n, def.actionBufferSteps(p));
  return n;
}

/** Run the enabled terms' episode-start hooks (before the reset events). */
export function drEpisodeStart(t: DrTarget, dr: Record<string, unknown>): void {
  for (const [def, p] of enabled(dr)) def.episodeStart?.(t, p);
}

/** Noise half-width on one observation term: 0 unless an enabled term adds some. */
export function drObservationNoise(dr: Record<string, unknown>, term: string, termNoise: number | undefined): number {
  let s = 0;
  for (const [def, p] of enabled(dr)) if (def.observationNoise) s += def.observationNoise(p, term, termNoise);
  return s;
}

/** Table rows of the enabled per-step terms (name, 'step', description), printed after the events. */
export function drStepRows(dr: Record<string, unknown>): [string, string][] {
  return enabled(dr).filter(([def]) => def.mode === 'step').map(([def, p]) => [def.name, def.describe(p)]);
}
