import { describe, expect, it } from 'vitest';
import { load } from '../src/tasks/registry.ts';
import { disabledDrConfig } from '../src/dr/config.ts';

describe('go1-flat joint targets', () => {
  it('are clamped to the URDF position limits, as the bridge safety layer clamps them on hardware', async () => {
    const env = await load('go1-flat', { dr: disabledDrConfig() }, { print: false });
    try {
      env.reset(1);
      const target = (env as unknown as { pipeline: { goal: Float32Array } }).pipeline.goal;
      const robot = (env as unknown as { robot: { jointNames: readonly string[]; model: { joints: { name: string; limits: { lower: number; upper: number } }[] } } }).robot;
      const lim = robot.jointNames.map((n) => robot.model.joints.find((j) => j.name === n)!.limits);
      for (const sign of [1, -1]) {
        env.step(new Float32Array(12).fill(10 * sign)); // default ± 2.5 rad: past every stop
        for (let i = 0; i < 12; i++) {
          expect(target[i]).toBeGreaterThanOrEqual(lim[i]!.lower - 1e-6);
          expect(target[i]).toBeLessThanOrEqual(lim[i]!.upper + 1e-6);
        }
        // …and at least one joint sits exactly on its stop, so the clamp did something.
        expect(target.some((q, i) => Math.abs(q - (sign > 0 ? lim[i]!.upper : lim[i]!.lower)) < 1e-6)).toBe(true);
      }
    } finally {
      env.close();
    }
  });

  it('can be switched off (clampTargetsToLimits: false) for robots whose stops are meant to be used', async () => {
    const env = await load('go1-flat', { dr: disabledDrConfig(), control: { clampTargetsToLimits: false } }, { print: false });
    try {
      env.reset(1);
      env.step(new Float32Array(12).fill(10));
      const target = (env as unknown as { pipeline: { goal: Float32Array } }).pipeline.goal;
      const q0 = (env as unknown as { defaultJointPos: Float32Array }).defaultJointPos;
      expect(target[2]).toBeCloseTo(q0[2]! + 2.5, 5); // calf: default −1.5 + 0.25·10, past its −0.888 stop
    } finally {
      env.close();
    }
  });
});

describe('go1-flat target rate limit', () => {
  it('moves the tracked target toward the commanded one by at most rate × physics dt per substep', async () => {
    const env = await load('go1-flat', { dr: disabledDrConfig() }, { print: false });
    try {
      env.reset(1);
      const e = env as unknown as { pipeline: { target: Float32Array }; physicsDt: number; decimation: number };
      env.step(new Float32Array(12)); // move toward the default pose
      const before = Float32Array.from(e.pipeline.target);
      env.step(new Float32Array(12).fill(-4)); // a 1 rad jump on every joint
      // 4 substeps × 0.005 s × min(URDF velocity, 25 rad/s): hips/thighs 25, calves 20.06 rad/s.
      for (let i = 0; i < 12; i++) {
        const moved = Math.abs(e.pipeline.target[i]! - before[i]!);
        const rate = i % 3 === 2 ? 20.06 : 25;
        expect(moved).toBeLessThanOrEqual(rate * e.physicsDt * e.decimation + 1e-4);
        expect(moved).toBeGreaterThan(0.3); // it did move, at the limited rate
      }
    } finally {
      env.close();
    }
  });
});
