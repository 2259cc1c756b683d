import { describe, expect, it } from 'vitest';
import { SafetyLayer } from '../src/safety/safety-layer.ts';
import { limitTable } from '../src/safety/limits.ts';
import { makeCommand, makeState } from '../src/command.ts';
import type { RobotCommand, RobotState } from '../src/types.ts';

const DT = 0.002; // 500 Hz
const names = ['a', 'b'];
const limits = limitTable(names, { lower: [-1, -2], upper: [1, 2], velocity: [10, 10], effort: [5, 100] });

/** Rate and effort limits out of the way, to test one clamp at a time. */
const wide = limitTable(names, { lower: [-1, -2], upper: [1, 2], velocity: [1e3, 1e3], effort: [1e3, 1e3] });

function layer(extra: Partial<ConstructorParameters<typeof SafetyLayer>[0]> = {}) {
  return new SafetyLayer({ limits, period: DT, defaultPose: [0.5, -0.5], kp: 20, kd: 0.5, maxStep: 0.01, softStartS: 0.1, watchdogPeriods: 5, softStopS: 0.02, ...extra });
}
function state(q: number[], t: number, qd = [0, 0]): RobotState {
  const s = makeState(2);
  s.jointPos.set(q);
  s.jointVel.set(qd);
  s.stamp = s.receivedAt = t;
  return s;
}
function cmd(q: number[], kp = 20, kd = 0.5): RobotCommand {
  const c = makeCommand(2);
  c.position.set(q);
  c.kp.fill(kp);
  c.kd.fill(kd);
  return c;
}
/** Run the soft start to completion holding the robot at `q`, returning the time reached. */
function toRunning(s: SafetyLayer, q = [0.5, -0.5]): number {
  let t = 0;
  s.start(t);
  while (s.phase !== 'running') {
    s.update(t, state(q, t), null);
    t += DT;
    if (t > 1) throw new Error('never reached running');
  }
  return t;
}

describe('SafetyLayer', () => {
  it('soft start ramps from the measured pose to the default pose over softStartS, ignoring the controller', () => {
    const s = layer({ maxStep: 10 }); // coarse time steps below: keep the per-command step limit out of the way
    s.start(0);
    const first = s.update(0, state([0, 0], 0), cmd([1, 1]));
    expect(first.mode).toBe('position');
    expect(Array.from(first.position)).toEqual([0, 0]); // ramp starts at the measured pose, not at the controller's target
    const mid = s.update(0.05, state([0, 0], 0.05), cmd([1, 1]));
    expect(mid.position[0]).toBeCloseTo(0.25, 6); // smoothstep(0.5) = 0.5 of the way to 0.5
    expect(mid.position[1]).toBeCloseTo(-0.25, 6);
    expect(s.phase).toBe('soft_start');
    const end = s.update(0.1, state([0, 0], 0.1), null);
    expect(Array.from(end.position)).toEqual([0.5, -0.5]);
    expect(s.phase).toBe('running');
    expect(s.counts.soft_start).toBe(2);
  });

  it('waits in damping until the first measured state before ramping', () => {
    const s = layer();
    s.start(0);
    const c = s.update(0, null, cmd([1, 1]));
    expect(c.mode).toBe('damping');
    expect(Array.from(c.kp)).toEqual([0, 0]);
  });

  it('clamps position targets to the URDF limits', () => {
    const s = layer({ maxStep: 10, softStartS: 0, limits: wide });
    let t = toRunning(s, [0.95, -0.5]);
    const c = s.update(t, state([0.95, -0.5], t), cmd([3, -0.5]));
    expect(c.position[0]).toBe(1);
    expect(s.counts.position_limit).toBe(1);
    const ev = s.events().find((e) => e.kind === 'position_limit')!;
    expect(ev).toMatchObject({ joint: 0, requested: 3, sent: 1 });
  });

  it('bounds the change of target per tick (max step), and leaves rate limiting to the action pipeline', () => {
    const s = layer();
    let t = toRunning(s);
    const c = s.update(t, state([0.5, -0.5], t), cmd([0.8, -0.5]));
    expect(c.position[0]).toBeCloseTo(0.51, 12); // maxStep 0.01 rad
    expect(s.counts.max_step).toBe(1);
    // A 0.4 rad step within maxStep at a URDF velocity of 1 rad/s: the pipeline's rate limit (per physics substep)
    // is the filter, so the layer sends it unchanged and counts nothing.
    const v = layer({ maxStep: 10, limits: limitTable(names, { lower: [-1, -2], upper: [1, 2], velocity: [1, 10], effort: [100, 100] }) });
    t = toRunning(v);
    const c2 = v.update(t, state([0.5, -0.5], t), cmd([0.9, -0.5]));
    expect(c2.position[0]).toBe(0.9);
    expect(v.interventions()).toEqual({ soft_start: expect.any(Number) });
    // A commanded joint velocity beyond the URDF limit is a violated bound: clamped and counted.
    const vc = cmd([0.9, -0.5]);
    vc.velocity[0] = 3;
    t += DT;
    expect(v.update(t, state([0.9, -0.5], t), vc).velocity[0]).toBe(1);
    expect(v.counts.velocity_limit).toBe(1);
  });

  it('counts a PD torque estimate over the effort limit as a diagnostic, without changing the command', () => {
    const s = layer({ maxStep: 10, limits: limitTable(names, { lower: [-1, -2], upper: [1, 2], velocity: [1e3, 1e3], effort: [5, 100] }) });
    let t = toRunning(s);
    // kp 20 × 0.4 rad = 8 N·m > 5 N·m on joint a: the drive clamps its torque itself; the target is sent as asked.
    const c = s.update(t, state([0.5, -0.5], t), cmd([0.9, -0.5]));
    expect(c.position[0]).toBe(0.9);
    expect(c.position[1]).toBe(-0.5);
    expect(s.counts.effort_limit).toBe(0);
    expect(s.diagnostics()).toEqual({ effort_estimate: 1 });
    // A feed-forward effort beyond the limit is a command the layer changes: an intervention.
    const ff = cmd([0.5, -0.5]);
    ff.effort[0] = 9;
    t += DT;
    expect(s.update(t, state([0.5, -0.5], t), ff).effort[0]).toBe(5);
    expect(s.counts.effort_limit).toBe(1);
  });

  it('counts apart what it changed while the policy was in control: a NaN and a watchdog trip, not the ramp', () => {
    const s = layer();
    let t = toRunning(s);
    expect(s.counts.soft_start).toBeGreaterThan(0);
    expect(s.interventionsWhileRunning()).toEqual({});
    s.update(t, state([0.5, -0.5], t), cmd([NaN, -0.5]));
    expect(s.interventionsWhileRunning()).toEqual({ nonfinite: 1 });
    // Stale state trips the watchdog from running (counted once), then the layer damps in phase watchdog.
    for (let k = 0; k < 8; k++) s.update((t += DT), null, cmd([0.5, -0.5]));
    expect(s.phase).toBe('watchdog');
    expect(s.counts.watchdog).toBeGreaterThan(1);
    expect(s.interventionsWhileRunning()).toEqual({ nonfinite: 1, watchdog: 1 });
  });

  it('holds the last safe command when the controller emits NaN or Inf', () => {
    const s = layer();
    let t = toRunning(s);
    const good = s.update(t, state([0.5, -0.5], t), cmd([0.505, -0.5]));
    const kept = Array.from(good.position);
    t += DT;
    const bad = s.update(t, state([0.5, -0.5], t), cmd([NaN, -0.5]));
    expect(Array.from(bad.position)).toEqual(kept);
    expect(bad.mode).toBe('position');
    const inf = cmd([0.5, -0.5]);
    inf.kp[1] = Infinity;
    const bad2 = s.update(t + DT, state([0.5, -0.5], t + DT), inf);
    expect(Array.from(bad2.kp)).toEqual([20, 20]);
    expect(s.counts.nonfinite).toBe(2);
  });

  it('watchdog: N periods without fresh state → damping; fresh state → ramps back from the measured pose', () => {
    const s = layer();
    let t = toRunning(s);
    for (let k = 0; k < 4; k++) {
      t += DT;
      expect(s.update(t, null, cmd([0.5, -0.5])).mode).toBe('position');
    }
    t += DT;
    const d = s.update(t, null, cmd([0.5, -0.5]));
    expect(d.mode).toBe('damping');
    expect(s.phase).toBe('watchdog');
    expect(Array.from(d.kp)).toEqual([0, 0]);
    // Garbage state does not count as fresh.
    t += DT;
    expect(s.update(t, state([NaN, 0], t), cmd([0.5, -0.5])).mode).toBe('damping');
    expect(s.counts.bad_state).toBe(1);
    t += DT;
    const back = s.update(t, state([0.2, -0.1], t), cmd([0.5, -0.5]));
    expect(s.phase).toBe('soft_start');
    expect(Array.from(back.position)).toEqual([0.2, -0.1]);
    expect(s.counts.watchdog).toBeGreaterThanOrEqual(2);
    // The resume ramp is the short one (resumeRampS = min(softStartS 0.1, 0.25) here → 0.1 s; set 0.02 below).
    const r = layer({ resumeRampS: 0.02, softStartS: 0.5 });
    let tr = toRunning(r);
    for (let k = 0; k < 6; k++) r.update((tr += DT), null, cmd([0.5, -0.5]));
    expect(r.phase).toBe('watchdog');
    r.update((tr += DT), state([0.3, -0.3], tr), null);
    let ticks = 0;
    while (r.phase !== 'running' && ticks < 1000) {
      r.update((tr += DT), state([0.3, -0.3], tr), null);
      ticks++;
    }
    expect(ticks).toBeLessThanOrEqual(11); // 0.02 s at 500 Hz, not the 0.5 s start-up ramp
  });

  it('e-stop latches damping; only reset() clears it, then it soft-starts again', () => {
    const s = layer();
    let t = toRunning(s);
    s.estop('test', t);
    for (let k = 0; k < 20; k++) {
      t += DT;
      const c = s.update(t, state([0.5, -0.5], t), cmd([0.5, -0.5]));
      expect(c.mode).toBe('damping');
    }
    s.start(t); // start() must not clear the latch
    s.stop(t); // neither does a stop
    expect(s.phase).toBe('estop');
    expect(s.counts.estop).toBe(20);
    expect(s.estopReason).toBe('test');
    s.reset(t);
    expect(s.phase).toBe('soft_start');
    t += DT;
    expect(s.update(t, state([0.4, -0.4], t), cmd([0.5, -0.5])).mode).toBe('position');
  });

  it('soft stop damps for softStopS and then reports finished', () => {
    const s = layer();
    let t = toRunning(s);
    s.stop(t);
    let c = s.update(t, state([0.5, -0.5], t), cmd([0.5, -0.5]));
    expect(c.mode).toBe('damping');
    expect(c.kd[0]).toBe(2);
    while (!s.finished) {
      t += DT;
      c = s.update(t, state([0.5, -0.5], t), cmd([0.5, -0.5]));
      expect(c.mode).toBe('damping');
      if (t > 1) throw new Error('soft stop never finished');
    }
    expect(s.counts.soft_stop).toBeGreaterThan(5);
  });

  it('rejects a default pose outside the limits, naming the joint', () => {
    expect(() => layer({ defaultPose: [0, 5] })).toThrow(/joint "b"/);
  });
});

describe('SafetyLayer ramp after a stall', () => {
  it('a soft start that skipped cycles still moves at most maxStep per command', () => {
    const s = new SafetyLayer({ limits: wide, period: DT, defaultPose: [0.5, -0.5], kp: 20, kd: 0.5, maxStep: 0.01, softStartS: 0.1 });
    s.start(0);
    s.update(0, state([0, 0], 0), null);
    const c = s.update(0.06, state([0, 0], 0.06), null); // 30 cycles skipped: the schedule says 0.32 rad by now
    expect(c.position[0]).toBeCloseTo(0.01, 9);
    expect(s.counts.max_step).toBe(1);
  });
});
