/**
 * SimHardware: the s2r simulator as a robot in its own real-time thread, with injected latency, noise and drops.
 * Driven directly from the test thread (its read/write are shared memory, usable from any thread).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/helpers/wait.ts';
import { fileURLToPath } from 'node:url';
import { SimHardware, type SimHardwareOptions } from '../src/hardware/sim.ts';
import { makeCommand } from '../src/command.ts';

const ARM = fileURLToPath(new URL('../../../hardware/robots/s2r-arm/s2r-arm.urdf', import.meta.url));
const pose = { joint1: 0, joint2: 1.0, joint3: -1.0, joint4: 0, joint5: 0, joint6: 0 };
let hw: SimHardware | null = null;
afterEach(async () => {
  await hw?.deactivate();
  hw = null;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function arm(extra: Partial<SimHardwareOptions> = {}): Promise<SimHardware> {
  hw = new SimHardware({ urdf: ARM, fixedBase: true, actuator: 'motor', spawnPose: pose, holdKp: 60, holdKd: 2, baseHeight: 0, warmupSteps: 200, ...extra });
  await hw.configure();
  await hw.activate();
  return hw;
}

type Sample = { t: number; stamp: number; q: number[] };

/**
 * Read fresh states for at least `ms` milliseconds and until `done(samples)` holds (a loaded host delivers fewer
 * states per window: wait on the condition, not on the clock), failing after `maxMs`.
 */
async function collect(h: SimHardware, ms: number, done: (s: Sample[]) => boolean = () => true, maxMs = 20_000): Promise<Sample[]> {
  const out: Sample[] = [];
  const t0 = performance.now();
  for (;;) {
    const s = h.read(0, 0.002);
    if (s) out.push({ t: performance.now(), stamp: s.stamp, q: Array.from(s.jointPos) });
    const el = performance.now() - t0;
    if (el >= ms && done(out)) return out;
    if (el > maxMs) throw new Error(`collect: condition not met after ${maxMs} ms (${out.length} states)`);
    await sleep(1);
  }
}

function step(h: SimHardware, joint: number, q: number): void {
  const c = makeCommand(h.jointNames.length);
  h.jointNames.forEach((j, i) => (c.position[i] = (pose as Record<string, number>)[j]!));
  c.position[joint] = q;
  c.kp.fill(60);
  c.kd.fill(2);
  h.write(0, 0.002, c);
}

describe('SimHardware', () => {
  it('runs the URDF robot in real time and reports joints in URDF order, base position and IMU', async () => {
    const h = await arm();
    expect(h.jointNames).toEqual(['joint1', 'joint2', 'joint3', 'joint4', 'joint5', 'joint6']);
    const t0 = performance.now();
    const steps0 = h.stats().physics_steps;
    const states = await collect(h, 300, (s) => s.length > 20);
    const dt = (performance.now() - t0) * 1e-3;
    const steps = h.stats().physics_steps - steps0;
    // Real time: ~dt / 0.002 physics steps. Never faster than real time; slower only by what a loaded host
    // steals (the thread re-anchors after long stalls), so the lower bound is loose.
    expect(steps).toBeGreaterThan((dt / 0.002) * 0.2);
    expect(steps).toBeLessThan((dt / 0.002) * 1.2 + 5);
    const last = states[states.length - 1]!.q;
    expect(last[1]).toBeCloseTo(1.0, 1); // holding the spawn pose
    let s = h.read(0, 0.002);
    await waitFor(() => s ?? (s = h.read(0, 0.002)), 'the next fresh state', { timeoutMs: 20_000, stepMs: 1 });
    expect(s, 'a fresh state').not.toBeNull();
    expect(s!.basePosition).toBeDefined();
    expect(s!.imu!.projectedGravity[2]).toBeCloseTo(-1, 3);
  });

  it('injects command latency: a step takes effect only after latencyMs', async () => {
    const h = await arm({ latencyMs: 150 });
    await collect(h, 100);
    const t0 = performance.now();
    step(h, 0, 0.4);
    const states = await collect(h, 0, (s) => s.some((x) => x.q[0]! > 0.02));
    const moved = states.find((s) => s.q[0]! > 0.02)!;
    // Never before the injected latency; late only by the host's scheduling.
    expect(moved.t - t0).toBeGreaterThan(140);
    expect(moved.t - t0).toBeLessThan(5_000);
  });

  it('without latency the same step shows within a few physics steps', async () => {
    const h = await arm();
    await collect(h, 100);
    const t0 = performance.now();
    const before = await collect(h, 0, (s) => s.length > 0);
    step(h, 0, 0.4);
    const states = await collect(h, 0, (s) => s.some((x) => x.q[0]! > 0.02));
    const moved = states.find((s) => s.q[0]! > 0.02)!;
    // Measured on the simulator's clock (state stamps), not wall time, so a loaded host cannot fail it: within
    // 80 ms of simulated time, where the test above injects 150 ms.
    expect(moved.stamp - before[before.length - 1]!.stamp).toBeLessThan(0.08);
    expect(moved.t - t0).toBeLessThan(5_000);
  });

  it('adds seeded Gaussian sensor noise of the configured size', async () => {
    const h = await arm({ noise: { jointPos: 0.05 }, seed: 11 });
    const states = await collect(h, 1000, (s) => s.length >= 100);
    const xs = states.map((s) => s.q[3]!); // a joint at rest at 0
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    expect(xs.length).toBeGreaterThan(20);
    expect(std).toBeGreaterThan(0.035);
    expect(std).toBeLessThan(0.065);
  });

  it('drops command and state packets at the configured rate', async () => {
    const h = await arm({ dropRate: 0.5, seed: 5 });
    for (let i = 0; i < 200; i++) {
      step(h, 0, 0.1);
      await sleep(2);
    }
    const st = h.stats();
    const cmdTotal = st.commands_dropped + st.commands_applied;
    expect(st.commands_dropped / cmdTotal).toBeGreaterThan(0.3);
    expect(st.commands_dropped / cmdTotal).toBeLessThan(0.7);
    expect(st.states_dropped / st.physics_steps).toBeGreaterThan(0.4);
    expect(st.states_dropped / st.physics_steps).toBeLessThan(0.6);
  });

  it('returns no state before the simulator has published one (never a zero pose to ramp from)', async () => {
    hw = new SimHardware({ urdf: ARM, fixedBase: true, actuator: 'motor', spawnPose: pose, warmupSteps: 0 });
    await hw.configure();
    expect(hw.read(0, 0.002)).toBeNull(); // configured, not active: nothing stepped, nothing published
    await hw.activate();
    let s = null;
    for (let i = 0; i < 200 && !s; i++) {
      await sleep(2);
      s = hw.read(0, 0.002);
    }
    expect(s!.jointPos[1]).toBeCloseTo(1.0, 1); // the first state is the real spawn pose
  });

  it('rejects bad options clearly', () => {
    expect(() => new SimHardware({ urdf: ARM, dropRate: 1.5 })).toThrow(/dropRate/);
    expect(() => new SimHardware({ urdf: '' })).toThrow(/urdf/);
    // A floating base needs its spawn height (s2r.json spawnHeight); there is no made-up default.
    expect(() => new SimHardware({ urdf: ARM })).toThrow(/options\.baseHeight \(m, s2r\.json spawnHeight\) is required/);
  });

  it('names a spawn-pose joint the URDF lacks', async () => {
    hw = new SimHardware({ urdf: ARM, fixedBase: true, spawnPose: { elbow_joint: 1 }, warmupSteps: 0 });
    await expect(hw.configure()).rejects.toThrow(/elbow_joint/);
  });
});
