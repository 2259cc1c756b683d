/**
 * DR terms are registered functions: a term registered here, in this one file, with its schema, becomes part of
 * every task's `dr` config, runs at the mode its config names, and a bad config for it is an error naming the term
 * and the key.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { disabledDrConfig } from '../src/dr/config.ts';
import { listDrTerms, MODE_FIELD, registerDrTerm, type DrParams } from '../src/dr/registry.ts';
import { load, resolveTaskConfig } from '../src/tasks/registry.ts';
import type { TaskEnv } from '../src/env/types.ts';
import type { LocomotionEnv } from '../src/tasks/locomotion.ts';
import type { RapierSimWorld } from '../src/physics/world.ts';

/** A test term: vertical gravity g ~ U(range) m/s², written into the real Rapier world. */
interface ProbeGravity extends DrParams {
  mode: 'startup' | 'reset';
  range: [number, number];
}
registerDrTerm<ProbeGravity>({
  key: 'probeGravity', name: 'probe_gravity', mode: 'config',
  schema: { mode: MODE_FIELD, range: { type: 'range' } },
  defaults: { enabled: false, mode: 'reset', range: [9, 10] },
  describe: (p) => `g_z ~ U(${p.range[0]}, ${p.range[1]}) m/s²`,
  apply: (t, rng, p) => {
    const g = rng.uniform(p.range[0], p.range[1]);
    t.world.setGravity([0, 0, -g]);
    return g;
  },
});
/** An interval term: counts its own firings (its draw is the time it fired, in control steps). */
interface Tick extends DrParams {
  intervalS: number;
}
let ticks = 0;
registerDrTerm<Tick>({
  key: 'tick', name: 'tick', mode: 'interval',
  schema: { intervalS: { type: 'number', min: 0, exclusiveMin: true } },
  defaults: { enabled: false, intervalS: 0.1 },
  describe: (p) => `every ${p.intervalS} s`,
  apply: () => ++ticks,
});

const envs: TaskEnv[] = [];
afterAll(() => envs.forEach((e) => e.close()));
async function go1(dr: Record<string, unknown>, log?: (s: string) => void): Promise<LocomotionEnv> {
  const e = await load('go1-flat', { dr: { ...disabledDrConfig(), ...dr } } as never, log ? { log } : { print: false });
  envs.push(e);
  return e as unknown as LocomotionEnv;
}
/** The probe term's draw in a reset's info (m/s²). */
const drawn = (r: { info: object }) => ((r.info as { dr?: Record<string, number> }).dr ?? {}).probe_gravity;
const gz = (e: LocomotionEnv) => (e.world as RapierSimWorld).gravity()[2];

describe('DR terms as registered functions', () => {
  it('a term registered from another file is in every task config (off by its default) and listed after the built-in ones', () => {
    const names = listDrTerms().map((t) => t.name);
    expect(names.slice(-2)).toEqual(['probe_gravity', 'tick']);
    expect(names.slice(0, 3)).toEqual(['friction', 'restitution', 'link_mass_scale']);
    const cfg = resolveTaskConfig<{ dr: Record<string, { enabled: boolean }> }>('go1-flat');
    expect(cfg.dr.probeGravity).toEqual({ enabled: false, mode: 'reset', range: [9, 10] });
    expect(resolveTaskConfig<{ dr: Record<string, { enabled: boolean }> }>('z1-push').dr.tick!.enabled).toBe(false);
  });

  it("mode 'reset' redraws at every episode start and writes the world's gravity; the printed table lists it", async () => {
    const lines: string[] = [];
    const env = await go1({ probeGravity: { enabled: true, mode: 'reset', range: [9, 10] } }, (s) => lines.push(s));
    const g1 = drawn(env.reset(1));
    expect(g1).toBeGreaterThanOrEqual(9);
    expect(g1).toBeLessThanOrEqual(10);
    expect(gz(env)).toBeCloseTo(-g1, 5);
    const g2 = drawn(env.reset());
    expect(g2).not.toBe(g1);
    expect(gz(env)).toBeCloseTo(-g2, 5);
    expect(lines.join('\n')).toMatch(/probe_gravity\s+reset\s+g_z ~ U\(9, 10\) m\/s²/);
  });

  it("mode 'startup' draws once per seeding: every reset keeps it, the same seed reproduces it", async () => {
    const env = await go1({ probeGravity: { enabled: true, mode: 'startup', range: [9, 10] } });
    const g1 = drawn(env.reset(7));
    expect(drawn(env.reset())).toBe(g1);
    expect(drawn(env.reset())).toBe(g1);
    expect(drawn(env.reset(7))).toBe(g1);
    expect(drawn(env.reset(8))).not.toBe(g1);
  });

  it("mode 'interval' fires every intervalS of simulated time", async () => {
    const env = await go1({ tick: { enabled: true, intervalS: 0.06 } }); // 3 control steps of 0.02 s
    env.reset(0);
    const before = ticks;
    for (let k = 0; k < 9; k++) env.step(new Float32Array(12));
    expect(ticks - before).toBe(3);
    expect(env.drValues().tick).toBe(ticks);
  });

  it('a bad config for it is an error naming the term and the key; so is an unknown term', () => {
    const r = (dr: unknown) => () => resolveTaskConfig('go1-flat', { dr } as never);
    expect(r({ probeGravity: { range: 'high' } })).toThrow(/go1-flat\.dr\.probeGravity\.range: expected \[lo, hi\] of finite numbers, got "high" \(DR term "probe_gravity"\)/);
    expect(r({ probeGravity: { range: [10, 9] } })).toThrow(/go1-flat\.dr\.probeGravity\.range: must be \[lo, hi\] with lo ≤ hi/);
    expect(r({ probeGravity: { mode: 'sometimes' } })).toThrow(/go1-flat\.dr\.probeGravity\.mode: expected one of 'startup', 'reset', got "sometimes"/);
    expect(r({ probeGravity: { gain: 2 } })).toThrow(/go1-flat\.dr\.probeGravity\.gain: unknown key of DR term "probe_gravity" \(it takes: enabled, mode, range\)/);
    expect(r({ tick: { enabled: 'yes' } })).toThrow(/go1-flat\.dr\.tick\.enabled: expected true or false/);
    expect(r({ tick: { intervalS: 0 } })).toThrow(/go1-flat\.dr\.tick\.intervalS: must be > 0/);
    expect(r({ probeGravty: { enabled: true } })).toThrow(/go1-flat\.dr\.probeGravty: unknown DR term \(registered: .*probeGravity, tick\)/);
    // Built-in terms are checked by the same schemas.
    expect(r({ push: { maxVelXY: 'fast' } })).toThrow(/go1-flat\.dr\.push\.maxVelXY: expected a finite number, got "fast" \(DR term "push"\)/);
  });

  it('registration refuses a duplicate key or name, and a schema that cannot carry its mode', () => {
    const base = { schema: {}, defaults: { enabled: false }, describe: () => '', apply: () => 0 };
    expect(() => registerDrTerm({ ...base, key: 'tick', name: 'tick2', mode: 'reset' })).toThrow(/"tick" is already registered/);
    expect(() => registerDrTerm({ ...base, key: 'tick2', name: 'friction', mode: 'reset' })).toThrow(/name "friction" is already used by "friction"/);
    expect(() => registerDrTerm({ ...base, key: 'x', name: 'x', mode: 'interval' })).toThrow(/mode 'interval' needs an intervalS field/);
    expect(() => registerDrTerm({ ...base, key: 'y', name: 'y', mode: 'config' })).toThrow(/mode 'config' needs a mode field/);
  });
});
