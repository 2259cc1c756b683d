import { describe, expect, it } from 'vitest';
import { ActionPipeline, checkPipelineSpec, substepsDue } from '../src/action/pipeline.ts';
import type { ActionPipelineSpec } from '../src/contract/deploy.ts';

const pos: ActionPipelineSpec = {
  mode: 'position', joints: ['a', 'b'], low: -1, high: 1, scale: 0.5, offset: [0.1, -0.2],
  lower: [-0.3, null], upper: [0.3, null], maxRate: [10, null], substepDt: 0.005,
};

describe('ActionPipeline', () => {
  it('position: clip → scale and offset → clamp → rate limit per substep, counting each stage', () => {
    // Binary-exact numbers: 16 rad/s × 2⁻⁷ s = 0.125 rad per substep; upper limit 0.375 rad.
    const p = new ActionPipeline({ ...pos, offset: [0, -0.25], upper: [0.375, null], maxRate: [16, null], substepDt: 2 ** -7 });
    p.reset([0, -0.25]);
    const a = p.clip([3, -0.5], new Float32Array(2));
    expect(Array.from(a)).toEqual([1, -0.5]);
    p.command(a);
    expect(Array.from(p.goal)).toEqual([0.375, -0.5]); // 0.5 clamped to 0.375; b: −0.25 + 0.5·(−0.5)
    expect(Array.from(p.substep())).toEqual([0.125, -0.5]); // b has no rate limit
    expect(p.substep()[0]).toBe(0.25);
    expect(p.substep()[0]).toBe(0.375); // the last step is within the rate: not counted
    expect(p.substep()[0]).toBe(0.375);
    expect(p.counts).toEqual({ clip: 1, position_limit: 1, effort_limit: 0, rate_limit: 2 });
  });

  it('position with a sensor bias: the clamp is in measured space, the target shifts by −bias', () => {
    const p = new ActionPipeline({ ...pos, maxRate: [null, null] });
    p.reset([0, 0]);
    p.command([1, 0], [0.05, 0.01]);
    expect(p.goal[0]).toBeCloseTo(0.3 - 0.05, 6);
    expect(p.substep()[1]).toBeCloseTo(-0.2 - 0.01, 6);
  });

  it('torque: scale, clamp to ±effort, no rate limit', () => {
    const p = new ActionPipeline({ mode: 'torque', joints: ['slider'], low: -1, high: 1, scale: 40, offset: [0], lower: [-30], upper: [30], maxRate: [null], substepDt: 0.005 });
    p.reset([0]);
    expect(p.target[0]).toBe(0);
    p.command([0.5]);
    expect(p.substep()[0]).toBe(20);
    p.command([1]);
    expect(p.substep()[0]).toBe(30);
    expect(p.counts.effort_limit).toBe(1);
    expect(p.hasRateLimit).toBe(false);
  });

  it('refuses settings that would defeat a stage, naming the field and joint', () => {
    expect(() => checkPipelineSpec({ ...pos, maxRate: [0, null] })).toThrow(/maxRate of joint "a" must be > 0/);
    expect(() => checkPipelineSpec({ ...pos, lower: [0.5, null] })).toThrow(/joint "a": lower 0.5 above upper 0.3/);
    expect(() => checkPipelineSpec({ ...pos, offset: [0] })).toThrow(/offset has 1 entries, expected 2/);
    expect(() => checkPipelineSpec({ ...pos, substepDt: 0 })).toThrow(/substepDt/);
    expect(() => new ActionPipeline(pos).reset([0])).toThrow(/reset pose has 1 values, expected 2/);
  });

  it('substepsDue: the substep in progress at a time after the policy tick, robust to float rounding', () => {
    expect([0, 0.002, 0.004, 0.005, 0.006, 0.0099999999, 0.01, 0.03 - 0.02].map((t) => substepsDue(t, 0.005))).toEqual([1, 1, 1, 2, 2, 2, 3, 3]);
  });
});
