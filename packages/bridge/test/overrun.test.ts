/**
 * ControlLoop timing logic on a simulated clock (no real sleeping): absolute deadlines, the two overrun policies,
 * missed-deadline counting, and hold vs interpolate between policy ticks.
 */
import { describe, expect, it } from 'vitest';
import { ControlLoop, type Controller, type OverrunPolicy } from '../src/loop/control-loop.ts';
import { SafetyLayer } from '../src/safety/safety-layer.ts';
import { limitTable } from '../src/safety/limits.ts';
import { MockHardware } from '../src/hardware/mock.ts';
import { PolicyController } from '../src/loop/policy-controller.ts';
import { InlineSource } from '../src/loop/action-source.ts';
import { constantPolicy } from './helpers/policies.ts';
import { makeCommand } from '../src/command.ts';

const P = 0.002; // 500 Hz

function rig(overrun: OverrunPolicy, stallAtTick: number, stallPeriods: number) {
  let now = 100; // s, arbitrary origin
  const wakes: number[] = [];
  const ts: number[] = [];
  const hw = new MockHardware({ jointNames: ['a'], initialPos: [0] });
  const safety = new SafetyLayer({ limits: limitTable(['a'], { lower: [-1], upper: [1], velocity: [10], effort: [10] }), period: P, defaultPose: [0], kp: 1, kd: 0, softStartS: 0 });
  let tick = 0;
  const controller: Controller = {
    update(t) {
      ts.push(t);
      if (tick++ === stallAtTick) now += stallPeriods * P; // this tick's work takes stallPeriods periods
      now += 10e-6; // 10 µs of work per tick otherwise
      return null;
    },
    stats: () => ({}),
  };
  const loop = new ControlLoop({
    hardware: hw, safety, controller, rateHz: 1 / P, overrun, durationS: 40 * P,
    clock: () => now,
    sleep: (d) => {
      now = Math.max(now, d) + 1e-6; // wake 1 µs late
      wakes.push(now);
      return now;
    },
  });
  return { loop, wakes, ts, safety };
}

describe('ControlLoop overrun policies (simulated clock)', () => {
  it("'skip': a 3.5-period stall skips the whole cycles it missed and keeps the original grid", async () => {
    // Tick 10 (deadline D10) ends at D10 + 3.5 P: D11 and D12 are gone (skipped), D13 runs 0.5 P late.
    const { loop, wakes, ts } = rig('skip', 10, 3.5);
    const res = await loop.run();
    expect(res.skipped).toBe(2);
    // Missed: the stalled tick ran past its successor's deadline (1) + 2 skipped cycles.
    expect(res.missed).toBe(3);
    // Scheduled times stay on the 2 ms grid, jumping over the skipped ones.
    const gaps = ts.slice(1).map((t, i) => Math.round((t - ts[i]!) / P));
    expect(gaps.filter((g) => g === 3)).toHaveLength(1);
    expect(gaps.every((g) => g === 1 || g === 3)).toBe(true);
    // Wakes after the stall are still on the original grid (phase preserved).
    const phase = (w: number) => (((w - wakes[0]!) / P) % 1 + 1) % 1;
    const ph = phase(wakes[wakes.length - 5]!);
    expect(Math.min(ph, 1 - ph)).toBeLessThan(0.01);
    expect(res.lateness.max_us).toBeLessThan(P * 1e6); // after skipping, lateness is within one period
  });

  it("'late-once': the stalled cycle runs once, late, and the grid re-anchors at that moment", async () => {
    const { loop, wakes, ts } = rig('late-once', 10, 3.5);
    const res = await loop.run();
    expect(res.skipped).toBe(0);
    expect(res.missed).toBe(2); // the stalled tick overran its successor; the successor ran late once
    expect(res.lateness.max_us).toBeGreaterThan(2.4 * P * 1e6); // ran ~2.5 periods late, once
    // No scheduled tick was dropped: t advances one period per tick.
    const gaps = ts.slice(1).map((t, i) => Math.round((t - ts[i]!) / P));
    expect(gaps.every((g) => g === 1)).toBe(true);
    // After the late tick the phase moved by half a period (new grid).
    const phase = (w: number) => (((w - wakes[0]!) / P) % 1 + 1) % 1;
    expect(Math.abs(phase(wakes[wakes.length - 5]!) - 0.5)).toBeLessThan(0.01);
  });

  it('no stall: no missed deadlines, lateness is the wake error only', async () => {
    const { loop } = rig('skip', -1, 0);
    const res = await loop.run();
    expect(res.missed).toBe(0);
    expect(res.lateness.max_us).toBeCloseTo(1, 0);
  });
});

describe('PolicyController between policy ticks', () => {
  function run(between: 'hold' | 'interpolate'): number[] {
    const joints = ['a'];
    const policy = constantPolicy({ joints, defaultPose: [0], action: 1, actionScale: 0.4 });
    const c = new PolicyController({ policy, source: new InlineSource(policy, () => 0), hwJoints: joints, decimation: 4, period: P, between, clock: () => 0 });
    const hw = new MockHardware({ jointNames: joints });
    const out: number[] = [];
    for (let k = 0; k < 8; k++) out.push(c.update(k * P, hw.read(k * P), true)!.position[0]!);
    return out;
  }
  it('hold (the default, as the env) jumps to the new target on the policy tick and holds it when nothing limits the rate', () => {
    expect(run('hold')).toEqual([0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4].map((x) => expect.closeTo(x, 6))); // float32, as the env computes it
  });
  it('interpolate ramps linearly over the k ticks of a policy period', () => {
    expect(run('interpolate')).toEqual([0.1, 0.2, 0.3, 0.4, 0.4, 0.4, 0.4, 0.4].map((x) => expect.closeTo(x, 6))); // float32, as the env computes it
  });
  it('clips actions to the trained bounds, and observes the clipped action as last_action (as the env does)', () => {
    const joints = ['a', 'b'];
    const policy = constantPolicy({ joints, defaultPose: [0, 0], action: 5, actionScale: 0.1, actionLow: -2, actionHigh: 2 });
    const c = new PolicyController({ policy, source: new InlineSource(policy, () => 0), hwJoints: joints, decimation: 1, period: P, clock: () => 0 });
    const hw = new MockHardware({ jointNames: joints });
    const cmd = c.update(0, hw.read(0), true)!;
    expect(cmd.position[0]).toBeCloseTo(0.2, 6); // 0.1 · clip(5, ±2), float32 as in the env
    expect(Array.from(c.lastAction)).toEqual([2, 2]);
  });

  it('refine corrects each queued action on the control thread; a refine error holds the step and is counted', () => {
    const joints = ['a'];
    let fail = false;
    const policy = {
      ...constantPolicy({ joints, defaultPose: [0], action: 1, actionScale: 0.5 }),
      refine: (_obs: Float32Array, a: Float32Array, out: Float32Array) => {
        if (fail) throw new Error('residual broke');
        out[0] = a[0]! + 0.2;
      },
    };
    const c = new PolicyController({ policy, source: new InlineSource(policy, () => 0), hwJoints: joints, decimation: 1, period: P, between: 'hold', clock: () => 0 });
    const hw = new MockHardware({ jointNames: joints });
    expect(c.update(0, hw.read(0), true)!.position[0]).toBeCloseTo(0.6, 6); // 0.5 · (1 + 0.2), float32 action
    expect(c.lastAction[0]).toBeCloseTo(1.2, 6);
    fail = true;
    expect(c.update(P, hw.read(P), true)!.position[0]).toBeCloseTo(0.6, 6); // held
    expect(c.stats()).toMatchObject({ holds: 1, refine_errors: 1, last_refine_error: 'residual broke' });
  });

  it('torque policies send effort with zero gains', () => {
    const joints = ['a'];
    const policy = constantPolicy({ joints, defaultPose: [0], action: 0.5, actionScale: 2, actionMode: 'torque' });
    const c = new PolicyController({ policy, source: new InlineSource(policy, () => 0), hwJoints: joints, decimation: 1, period: P, clock: () => 0 });
    const cmd = c.update(0, new MockHardware({ jointNames: joints }).read(0), true)!;
    expect(cmd.effort[0]).toBeCloseTo(1, 9);
    expect(cmd.kp[0]).toBe(0);
    void makeCommand;
  });
});
