import { afterAll, describe, expect, it } from 'vitest';
import { defaultDrConfig, disabledDrConfig } from '../src/dr/config.ts';
import { load } from '../src/tasks/registry.ts';
import type { LocomotionEnv } from '../src/tasks/locomotion.ts';
import type { TaskEnv } from '../src/env/types.ts';
import type { RapierRobot } from '../src/physics/robot-sim.ts';
import type { RapierSimWorld } from '../src/physics/world.ts';

const envs: TaskEnv[] = [];
afterAll(() => envs.forEach((e) => e.close()));
async function go1(overrides?: unknown): Promise<LocomotionEnv> {
  const e = await load('go1-flat', overrides as never, { print: false });
  envs.push(e);
  return e as unknown as LocomotionEnv;
}
const within = (v: number | number[], lo: number, hi: number) => {
  for (const x of typeof v === 'number' ? [v] : v) {
    expect(x).toBeGreaterThanOrEqual(lo - 1e-4);
    expect(x).toBeLessThanOrEqual(hi + 1e-4);
  }
};

describe('domain randomization: sampled values', () => {
  it('stay within the published ranges over many episodes', async () => {
    const env = await go1();
    const d = defaultDrConfig();
    const seen = new Set<number>();
    for (let ep = 0; ep < 40; ep++) {
      const { info } = env.reset(ep === 0 ? 11 : undefined);
      const dr = info.dr as Record<string, number | number[]>;
      within(dr.friction!, ...d.friction.range);
      within(dr.restitution!, ...d.restitution.range);
      within(dr.link_mass_scale!, ...d.linkMassScale.range);
      within(dr.added_base_mass!, ...d.addedBaseMass.range);
      const com = dr.com_offset as number[];
      within(com.slice(0, 2), -0.05, 0.05);
      within(com[2]!, -0.01, 0.01);
      within(dr.kp_scale!, 0.75, 1.25);
      within(dr.kd_scale!, 0.75, 1.25);
      within(dr.motor_strength!, 0.9, 1.1);
      within(dr.joint_pos_offset!, -0.02, 0.02);
      expect([0, 1]).toContain(dr.action_latency);
      seen.add(dr.action_latency as number);
      expect((dr.link_mass_scale as number[]).length).toBe(env.robot.linkNames.length);
      expect((dr.motor_strength as number[]).length).toBe(12);
    }
    expect(seen.size).toBe(2); // both latencies occur
  });

  it('are reproduced by a seed, and one term never shifts another term\'s draws', async () => {
    const a = await go1();
    const b = await go1();
    const c = await go1({ dr: { restitution: { enabled: false } } });
    const da = [a.reset(5).info.dr, a.reset().info.dr];
    const db = [b.reset(5).info.dr, b.reset().info.dr];
    const dc = [c.reset(5).info.dr, c.reset().info.dr];
    expect(da).toEqual(db);
    expect(b.reset(6).info.dr).not.toEqual(da[0]);
    // Disabling restitution leaves every other term's values unchanged (each term has its own stream).
    for (let i = 0; i < 2; i++) {
      const { restitution, ...rest } = da[i] as Record<string, unknown>;
      expect(restitution).toBeDefined();
      expect(dc[i]).toEqual(rest);
    }
  });

  it('are applied to the simulation: mass, gains, friction, gravity', async () => {
    const env = await go1({ dr: { gravity: { intervalS: 0.04 } } });
    const robot = env.robot as unknown as RapierRobot;
    const nominal = robot.nominalMass;
    const { info } = env.reset(3);
    const dr = info.dr as Record<string, number | number[]>;
    // totalMass = Σ nominal link mass × scale + payload.
    const scales = dr.link_mass_scale as number[];
    const masses = robot.linkNames.map((n) => robot.merged.links.find((l) => l.name === n)!.inertial?.mass ?? 0);
    const expected = nominal + masses.reduce((s, m, i) => s + m * (scales[i]! - 1), 0) + (dr.added_base_mass as number);
    expect(robot.totalMass()).toBeCloseTo(expected, 2);
    expect(robot.totalMass()).not.toBeCloseTo(nominal, 3);
    expect(env.dr.kpScale).toBe(dr.kp_scale);
    // Every robot collider carries the drawn friction and restitution (the ground is nominal: 1 and 0).
    const w = (env.world as RapierSimWorld).world;
    const frictions: number[] = [];
    const restitutions: number[] = [];
    w.forEachCollider((c) => {
      if (c.parent()) {
        frictions.push(c.friction());
        restitutions.push(c.restitution());
      }
    });
    expect(frictions.length).toBeGreaterThan(4);
    for (const f of frictions) expect(f).toBeCloseTo(dr.friction as number, 5);
    for (const r of restitutions) expect(r).toBeCloseTo(dr.restitution as number, 5);
    // Gravity is drawn every 0.04 s (2 control steps) and the world uses it.
    env.step(new Float32Array(12));
    env.step(new Float32Array(12));
    const g = env.drValues().gravity as number[];
    within(g.slice(0, 2), -1, 1);
    within(g[2]!, -10.81, -8.81);
    const wg = (env.world as RapierSimWorld).gravity();
    for (let k = 0; k < 3; k++) expect(wg[k]).toBeCloseTo(g[k]!, 3);
  });

  it('pushes set the base velocity at the configured interval', async () => {
    const env = await go1({ dr: { ...disabledDrConfig(), push: { enabled: true, intervalS: 0.1, maxVelXY: 1 } }, init: { baseVel: 0, jointPosScale: [1, 1] } });
    env.reset(0);
    for (let t = 0; t < 4; t++) env.step(new Float32Array(12));
    expect(env.drValues().push).toBeUndefined();
    env.step(new Float32Array(12)); // 5 steps × 0.02 s = 0.1 s: the push fires before the physics of this step
    const p = env.drValues().push as number[];
    within(p, -1, 1);
    // The push happened before this step's physics, so the base moves roughly at the pushed velocity.
    const v = env.robot.baseLinVel();
    expect(Math.hypot(v[0] - p[0]!, v[1] - p[1]!)).toBeLessThan(0.5);
  });

  it('action latency delays the applied action by whole control steps', async () => {
    const env = await go1({ dr: { ...disabledDrConfig(), actionLatency: { enabled: true, mode: 'reset', range: [1, 1] } } });
    env.reset(0);
    const a1 = Float32Array.from({ length: 12 }, (_, i) => i / 12);
    const a2 = Float32Array.from({ length: 12 }, (_, i) => -i / 12);
    env.step(a1);
    expect(Array.from(env.appliedAction)).toEqual(new Array(12).fill(0));
    env.step(a2);
    expect(env.appliedAction).toEqual(a1);
    expect(env.lastAction).toEqual(a2); // the observation reports what the policy sent
  });

  it('observation noise is uniform within ±scale per group, and off when disabled', async () => {
    const noisy = await go1({ init: { baseVel: 0 } });
    const clean = await go1({ init: { baseVel: 0 }, dr: { obsNoise: { enabled: false } } });
    const sn = noisy.reset(4).obs;
    const sc = clean.reset(4).obs; // same seed: same scene, same DR draws, only the noise differs
    const scales = [0.2, 0.05, 0, 0.01, 1.5, 0]; // ang vel, gravity, command, joint pos, joint vel, last action
    const sizes = [3, 3, 3, 12, 12, 12];
    let o = 0;
    let anyDiff = false;
    for (let g = 0; g < sizes.length; g++) {
      for (let k = 0; k < sizes[g]!; k++, o++) {
        const d = Math.abs(sn[o]! - sc[o]!);
        expect(d).toBeLessThanOrEqual(scales[g]! + 1e-6);
        if (d > 0) anyDiff = true;
      }
    }
    expect(anyDiff).toBe(true);
  });

  it('prints a table of the active terms', async () => {
    const lines: string[] = [];
    const env = await load('go1-flat', { dr: { gravity: { enabled: false } } } as never, { log: (s) => lines.push(s) });
    envs.push(env);
    env.reset(0);
    const t = lines.join('\n');
    expect(t).toMatch(/Active domain-randomization events/);
    expect(t).toMatch(/friction\s+reset\s+U\(0\.5, 1\.25\)/);
    expect(t).toMatch(/push\s+interval 15 s/);
    expect(t).not.toMatch(/\bgravity\s+interval/);
    env.reset();
    expect(lines.length).toBe(1); // printed once
  });
});
