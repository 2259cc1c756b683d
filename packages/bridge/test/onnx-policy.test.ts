/**
 * ONNX policies as the loop runs them: the observation each preset builds from robot readings (through the bridge's
 * one observation function), term by term and joint by joint by name; per-joint action scales; the last-action slot
 * holding the network's own raw output; clips; and a deploy that refuses a mismatched file before anything moves.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadDeployPolicy } from '../src/policy/load.ts';
import type { DeployPolicy, ObsInput } from '../src/policy/types.ts';
import { deploy } from '../src/deploy.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const ROBOT = join(ROOT, 'hardware/robots/s2r-go1/s2r-go1.urdf');
const FIX = join(ROOT, 'packages/policies/test/fixtures/onnx');
const URDF_ORDER = ['FR', 'FL', 'RR', 'RL'].flatMap((l) => ['hip', 'thigh', 'calf'].map((p) => `${l}_${p}_joint`));
// s2r-go1's s2r.json default pose, by name.
const Q0: Record<string, number> = { hip: 0.1, thigh: 0.8, calf: -1.5 };
const q0 = (j: string) => (j.endsWith('hip_joint') ? (j[1] === 'R' ? -0.1 : 0.1) : j.startsWith('R') && j.includes('thigh') ? 1.0 : Q0[j.split('_')[1]!]!);

// Readings by joint name, distinct per joint so a wrong order shows: q = q0 + 0.01·(k+1), qd = 0.1·(k+1).
const k = (j: string) => URDF_ORDER.indexOf(j) + 1;
const qOf = (j: string) => q0(j) + 0.01 * k(j);
const qdOf = (j: string) => 0.1 * k(j);
const LIN = [0.5, -0.2, 0.05], ANG = [0.1, 0.2, -0.3], GRAV = [0.01, -0.02, -0.99], CMD = [0.6, 0.1, -0.4];

function input(p: DeployPolicy): ObsInput {
  // As the controller builds it: arrays in the policy's joint order.
  const J = p.jointNames;
  return {
    jointPos: Float64Array.from(J, qOf), jointVel: Float64Array.from(J, qdOf), defaultPose: Float64Array.from(p.defaultPose),
    angVel: Float64Array.from(ANG), projectedGravity: Float64Array.from(GRAV), linVel: Float64Array.from(LIN), command: Float64Array.from(CMD),
    lastAction: new Float32Array(J.length).fill(99), // the controller's (scaled/clipped) copy: ONNX policies must not use it
  };
}

const load = (file: string, layout: string, extra: { measures?: string[]; zeroTerms?: string[]; jointOrder?: string[] } = { measures: ['base_lin_vel'] }) =>
  loadDeployPolicy({ onnx: join(FIX, file), layout, robot: ROBOT, ...extra });

function linear(file: string) {
  const s = JSON.parse(readFileSync(join(FIX, file.replace('.onnx', '.json')), 'utf8')) as { w: number[][]; b: number[] };
  return (obs: ArrayLike<number>) => s.w.map((row, j) => row.reduce((a, w, i) => a + w * obs[i]!, s.b[j]!));
}

function expectClose(got: ArrayLike<number>, want: number[], digits = 5) {
  expect(got.length).toBe(want.length);
  want.forEach((v, i) => expect(got[i], `index ${i}`).toBeCloseTo(v, digits));
}

describe('ONNX deploy policies per preset', () => {
  it('isaaclab: [lin, ang, grav, cmd, q−q0, qd, last] breadth-first by name, unscaled; last = own raw output', async () => {
    const p = await load('isaaclab.onnx', 'isaaclab');
    const BF = ['hip', 'thigh', 'calf'].flatMap((x) => ['FL', 'FR', 'RL', 'RR'].map((l) => `${l}_${x}_joint`));
    expect(p.jointNames).toEqual(BF);
    expect(p.pipeline.scale).toBe(0.25);
    const inp = input(p);
    const obs = new Float32Array(p.obsSize);
    p.reset();
    p.observe(inp, obs);
    const want = [...LIN, ...ANG, ...GRAV, ...CMD, ...BF.map((j) => qOf(j) - q0(j)), ...BF.map(qdOf), ...new Array(12).fill(0)];
    expectClose(obs, want);
    const a = Array.from(p.act!(obs));
    expectClose(a, linear('isaaclab.onnx')(obs));
    p.observe(inp, obs);
    expectClose(obs.subarray(36), a);
    p.reset();
    p.observe(inp, obs);
    expectClose(obs.subarray(36), new Array(12).fill(0));
    p.dispose?.();
  });

  it('mjlab: command last, metadata joint order, per-joint action scale applied, raw output in the last-action slot', async () => {
    const p = await load('mjlab.onnx', 'mjlab');
    const meta = JSON.parse(readFileSync(join(FIX, 'mjlab.json'), 'utf8')).metadata as Record<string, string>;
    const J = meta.joint_names!.split(',');
    const pose = meta.default_joint_pos!.split(',').map(Number);
    const scale = meta.action_scale!.split(',').map(Number);
    expect(p.jointNames).toEqual(J);
    expect(p.pipeline.scale).toBe(1); // folded into act(): scales differ per joint
    const inp = input(p);
    const obs = new Float32Array(48);
    p.reset();
    p.observe(inp, obs);
    expectClose(obs, [...LIN, ...ANG, ...GRAV, ...J.map((j, i) => qOf(j) - pose[i]!), ...J.map(qdOf), ...new Array(12).fill(0), ...CMD]);
    const raw = linear('mjlab.onnx')(obs);
    expectClose(p.act!(obs), raw.map((v, i) => v * scale[i]!));
    p.observe(inp, obs);
    expectClose(obs.subarray(33, 45), raw);
  });

  it('legged_gym: obs scales and the ±100 clip', async () => {
    const p = await load('legged_gym.onnx', 'legged_gym');
    const J = p.jointNames;
    expect(J.slice(0, 3)).toEqual(['FL_hip_joint', 'FL_thigh_joint', 'FL_calf_joint']);
    const inp = input(p);
    inp.jointVel[0] = 5000; // × 0.05 = 250 → clipped to 100
    const obs = new Float32Array(48);
    p.reset();
    p.observe(inp, obs);
    const qd = J.map((j) => qdOf(j) * 0.05);
    qd[0] = 100;
    expectClose(obs, [...LIN.map((x) => 2 * x), ...ANG.map((x) => 0.25 * x), ...GRAV, CMD[0]! * 2, CMD[1]! * 2, CMD[2]! * 0.25, ...J.map((j) => qOf(j) - q0(j)), ...qd, ...new Array(12).fill(0)]);
  });

  it('playground: linvel, gyro, gravity, q−q0, qd, last_act, command; continuous_actions × 0.5', async () => {
    const p = await load('playground.onnx', 'playground');
    expect(p.jointNames).toEqual(URDF_ORDER);
    expect(p.pipeline.scale).toBe(0.5);
    const inp = input(p);
    const obs = new Float32Array(48);
    p.reset();
    p.observe(inp, obs);
    expectClose(obs, [...LIN, ...ANG, ...GRAV, ...URDF_ORDER.map((j) => qOf(j) - q0(j)), ...URDF_ORDER.map(qdOf), ...new Array(12).fill(0), ...CMD]);
    expectClose(p.act!(obs), linear('playground.onnx')(obs));
  });

  it('--zero-terms feeds zeros; --joint-order remaps by name', async () => {
    const p = await load('isaaclab.onnx', 'isaaclab', { zeroTerms: ['base_lin_vel'], jointOrder: URDF_ORDER });
    expect(p.jointNames).toEqual(URDF_ORDER);
    const obs = new Float32Array(48);
    p.reset();
    p.observe(input(p), obs);
    expectClose(obs.subarray(0, 3), [0, 0, 0]);
    expectClose(obs.subarray(12, 24), URDF_ORDER.map((j) => qOf(j) - q0(j)));
  });

  it('a layout file with a different observation joint order permutes the joint terms', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const dir = mkdtempSync(join((await import('node:os')).tmpdir(), 's2r-onnx-'));
    const f = join(dir, 'layout.json');
    writeFileSync(f, JSON.stringify({ extends: 'playground', jointOrder: 'urdf', observationJointOrder: 'breadth_first' }));
    const p = await load('playground.onnx', f);
    const BF = ['hip', 'thigh', 'calf'].flatMap((x) => ['FL', 'FR', 'RL', 'RR'].map((l) => `${l}_${x}_joint`));
    const obs = new Float32Array(48);
    p.reset();
    p.observe(input(p), obs);
    expectClose(obs.subarray(9, 21), BF.map((j) => qOf(j) - q0(j)));
    const a = Array.from(p.act!(obs));
    p.observe(input(p), obs);
    expectClose(obs.subarray(33, 45), BF.map((j) => a[URDF_ORDER.indexOf(j)]! / 0.5 * 0.5)); // raw, in observation order
  });
});

describe('deploy refuses before anything moves', () => {
  it('a layout whose size does not match the ONNX input', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const dir = mkdtempSync(join((await import('node:os')).tmpdir(), 's2r-onnx-'));
    const f = join(dir, 'short.json');
    writeFileSync(f, JSON.stringify({ extends: 'isaaclab', observation: [{ term: 'base_ang_vel' }, { term: 'projected_gravity' }, { term: 'velocity_commands' }, { term: 'joint_pos' }, { term: 'joint_vel' }, { term: 'actions' }] }));
    const lines: string[] = [];
    await expect(deploy({ policy: join(FIX, 'isaaclab.onnx'), layout: f, robot: ROBOT, hardware: 'mock', durationS: 0.1, handleSigint: false, log: (l) => lines.push(l) })).rejects.toThrow(/sum to 45 values .* takes 48/);
    expect(lines.some((l) => l.startsWith('deploy:'))).toBe(false);
  });

  it('an ONNX policy without --layout, and base_lin_vel on hardware that cannot measure it', async () => {
    await expect(deploy({ policy: join(FIX, 'isaaclab.onnx'), robot: ROBOT, hardware: 'mock', handleSigint: false })).rejects.toThrow(/needs --layout/);
    await expect(deploy({ policy: join(FIX, 'isaaclab.onnx'), layout: 'isaaclab', robot: ROBOT, hardware: 'mock', handleSigint: false })).rejects.toThrow(/pass --zero-terms base_lin_vel/);
  });

  it('mock hardware with --zero-terms: prints the mapping first, runs, records the choice in the summary', async () => {
    const lines: string[] = [];
    const s = await deploy({ policy: join(FIX, 'isaaclab-lstm.onnx'), layout: 'isaaclab', zeroTerms: ['base_lin_vel'], robot: ROBOT, hardware: 'mock', durationS: 0.3, safety: { softStartS: 0.1 }, handleSigint: false, log: (l) => lines.push(l) });
    expect(s.deploy).toBe('done');
    expect(lines[0]).toMatch(/^ONNX layout isaaclab: input "obs" \[1, 48\].*recurrent h_in→h_out/);
    expect(lines.findIndex((l) => l.includes('WARNING: --zero-terms base_lin_vel'))).toBeLessThan(lines.findIndex((l) => l.startsWith('deploy:')));
    expect(s.policy_stats.onnx).toEqual({ layout: 'isaaclab', zero_terms: ['base_lin_vel'] });
    expect(s.policy_stats.policy_steps as number).toBeGreaterThan(5);
    expect(s.policy_stats.errors).toBe(0);
  });
});
