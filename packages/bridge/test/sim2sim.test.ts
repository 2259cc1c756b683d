/**
 * sim2sim: the committed Go1 policy in Rapier and in MuJoCo WASM (mujoco-js), through the deploy stack, side by side.
 * Both engines must read the robot the same way (w-first quaternions, body-frame gyro) and the policy must walk in
 * both without falling, within a band of each other; the CLI prints both columns and ends with one JSON line.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { makeState } from '../src/command.ts';
import { createRapierEngine } from '../src/sim2sim/rapier-engine.ts';
import { createMujocoEngine } from '../src/sim2sim/mujoco-engine.ts';
import type { Engine } from '../src/sim2sim/engine.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const ROBOT = join(ROOT, 'hardware/robots/s2r-go1/s2r-go1.urdf');
const POLICY = join(ROOT, 'hardware/policies/go1-flat/policy.json');
const Q0 = [-0.1, 0.8, -1.5, 0.1, 0.8, -1.5, -0.1, 1, -1.5, 0.1, 1, -1.5]; // URDF order

describe('sim2sim engines read the robot the same way', () => {
  it('a Go1 spawned at yaw 90° and held by PD: same settling in both engines, upright, yaw 90°, w-first quaternion handled', async () => {
    const traces: Record<string, number[][]> = {};
    for (const make of [createRapierEngine, createMujocoEngine]) {
      const e: Engine = await make({ urdf: ROBOT, dt: 0.005, baseHeight: 0.34 });
      try {
        e.reset(Q0, Math.PI / 2);
        const s = makeState(12);
        e.apply({ mode: 'position', position: Float64Array.from(Q0), velocity: new Float64Array(12), effort: new Float64Array(12), kp: new Float64Array(12).fill(20), kd: new Float64Array(12).fill(0.5) });
        const trace: number[][] = [];
        for (let k = 1; k <= 600; k++) {
          e.step();
          if (k % 50 === 0) {
            e.read(s);
            const q = s.imu!.quat!;
            trace.push([...s.basePosition!, ...s.baseLinVel!, ...s.imu!.angVel, Math.atan2(2 * (q[3] * q[2] + q[0] * q[1]), 1 - 2 * (q[1] * q[1] + q[2] * q[2])), s.imu!.projectedGravity[2]]);
          }
        }
        traces[e.name] = trace;
        const last = trace[trace.length - 1]!;
        expect(last[9], `${e.name} yaw`).toBeCloseTo(Math.PI / 2, 1);
        expect(last[10], `${e.name} gravity z`).toBeLessThan(-0.99);
        expect(last[2], `${e.name} height`).toBeGreaterThan(0.2);
      } finally {
        e.dispose();
      }
    }
    // The landing and the soft PD's slow rocking (pitch about the world x axis at this yaw) match step by step: a
    // wrong quaternion order or a world-frame gyro would put the motion on other axes.
    const R = traces.rapier!, M = traces.mujoco!;
    for (let t = 0; t < R.length; t++) {
      for (let i = 0; i < 3; i++) expect(Math.abs(R[t]![i]! - M[t]![i]!), `t=${t} position ${i}`).toBeLessThan(0.01);
      for (let i = 3; i < 9; i++) expect(Math.abs(R[t]![i]! - M[t]![i]!), `t=${t} velocity ${i}`).toBeLessThan(0.1);
    }
    expect(Math.max(...R.map((r) => Math.abs(r[7]!)))).toBeGreaterThan(0.1); // it did rock (body-frame pitch rate)
  }, 60_000);
});

describe('s2r sim2sim', () => {
  it('the committed Go1 policy walks in both engines with 0 falls; distances within −10% … +10%', () => {
    const r = spawnSync('node', [join(ROOT, 'packages/cli/bin/s2r.mjs'), 'sim2sim', POLICY, '--seeds', '1,2', '--duration', '8', '--commands', '0.8,0,0@0;0.6,0,0.6@4'],
      { encoding: 'utf8', cwd: ROOT, timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.some((l) => /│\s+rapier\s+│\s+mujoco\s+│/.test(l))).toBe(true);
    const j = JSON.parse(lines[lines.length - 1]!);
    expect(j.sim2sim).toBe('done');
    expect(j.per_seed).toHaveLength(4);
    expect(j.rapier.falls).toBe(0);
    expect(j.mujoco.falls).toBe(0);
    expect(j.rapier.distance_m).toBeGreaterThan(3);
    expect(j.mujoco_over_rapier_distance).toBeGreaterThan(0.9);
    expect(j.mujoco_over_rapier_distance).toBeLessThan(1.1);
    for (const e of j.per_seed) expect(e.policy_steps).toBe(8 * 50); // 50 Hz for the 8 s after the 0.5 s soft start
  }, 240_000);

  it('--dt runs finer physics with the decimation scaled, and bad flags are refused', () => {
    const bin = join(ROOT, 'packages/cli/bin/s2r.mjs');
    const r = spawnSync('node', [bin, 'sim2sim', POLICY, '--seeds', '1', '--duration', '3', '--dt', '0.0025', '--json'], { encoding: 'utf8', cwd: ROOT, timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout.trim());
    expect(j).toMatchObject({ dt: 0.0025, decimation: 8, policy_rate_hz: 50 });
    expect(j.mujoco.falls + j.rapier.falls).toBe(0);
    const bad = spawnSync('node', [bin, 'sim2sim', POLICY, '--dt', '0.003'], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--dt 0.003 s does not divide the policy period 0.02 s/);
    const eng = spawnSync('node', [bin, 'sim2sim', POLICY, '--engine', 'bullet'], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
    expect(eng.status).toBe(2);
  }, 240_000);
});
