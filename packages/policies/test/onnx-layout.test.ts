/**
 * ONNX layouts resolved against the real s2r-go1 URDF and the committed PyTorch-exported fixtures
 * (test/fixtures/onnx, built by make.py): joint orders, the mjlab metadata read, and one clear error for every
 * kind of bad layout.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadUrdf } from '@s2r/core/robot/load.ts';
import { loadRobotConfig } from '@s2r/core/robot/load-config.ts';
import { OnnxPolicy, OrtSession, jointOrderByRule, loadLayout, readOnnxInfo, resolveLayout, describeLayout, PRESETS } from '../src/onnx/index.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const ROBOT = join(ROOT, 'hardware/robots/s2r-go1/s2r-go1.urdf');
const FIX = join(import.meta.dirname, 'fixtures/onnx');
const model = loadUrdf(ROBOT);
const robotConfig = loadRobotConfig(model);
const tmp = mkdtempSync(join(tmpdir(), 's2r-layout-'));
const LEGS = ['FL', 'FR', 'RL', 'RR'];
const BF = ['hip', 'thigh', 'calf'].flatMap((p) => LEGS.map((l) => `${l}_${p}_joint`));

function files(name: string) {
  const bytes = readFileSync(join(FIX, `${name}.onnx`));
  const s = new OrtSession(bytes, name);
  const r = { inputs: s.inputs, outputs: s.outputs, metadata: readOnnxInfo(bytes, name).metadata };
  s.dispose();
  return r;
}

function resolveWith(layout: string, onnx: string, extra: { jointOrder?: string[]; zeroTerms?: string[]; measures?: string[] } = { measures: ['base_lin_vel'] }) {
  const { spec, where } = loadLayout(layout);
  return resolveLayout({ spec, where, onnxWhere: `${onnx}.onnx`, model, robotConfig, ...files(onnx), ...extra });
}

function layoutFile(json: unknown): string {
  const p = join(tmp, `l${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(p, typeof json === 'string' ? json : JSON.stringify(json));
  return p;
}

describe('joint orders from the URDF tree', () => {
  it('breadth-first is all hips, then thighs, then calves (legs by name: FL, FR, RL, RR), as PhysX orders Go1/Go2', () => {
    expect(jointOrderByRule(model, 'breadth_first')).toEqual(BF);
  });
  it('depth-first is leg by leg with legs by name (Isaac Gym), urdf is the file order (FR, FL, RR, RL)', () => {
    expect(jointOrderByRule(model, 'depth_first')).toEqual(LEGS.flatMap((l) => ['hip', 'thigh', 'calf'].map((p) => `${l}_${p}_joint`)));
    expect(jointOrderByRule(model, 'urdf')).toEqual(model.actuatedJoints);
    expect(model.actuatedJoints.slice(0, 4)).toEqual(['FR_hip_joint', 'FR_thigh_joint', 'FR_calf_joint', 'FL_hip_joint']);
  });
});

describe('presets resolved against their fixtures', () => {
  it('isaaclab: 48 unscaled terms, breadth-first, scale 0.25, offset and gains from s2r.json', () => {
    const l = resolveWith('isaaclab', 'isaaclab');
    expect(l.obsSize).toBe(48);
    expect(l.terms.map((t) => t.name)).toEqual(['base_lin_vel', 'base_ang_vel', 'projected_gravity', 'velocity_command', 'joint_pos_rel', 'joint_vel', 'last_action']);
    expect(l.terms.every((t) => t.scale.every((s) => s === 1))).toBe(true);
    expect(l.actionJoints).toEqual(BF);
    expect([...l.actionScale]).toEqual(new Array(12).fill(0.25));
    // FL_hip +0.1, RR_thigh 1.0 from hardware/robots/s2r-go1/s2r.json, mapped by name into breadth-first order.
    expect(l.defaultPose[BF.indexOf('FL_hip_joint')]).toBeCloseTo(0.1);
    expect(l.defaultPose[BF.indexOf('RR_hip_joint')]).toBeCloseTo(-0.1);
    expect(l.defaultPose[BF.indexOf('RR_thigh_joint')]).toBeCloseTo(1.0);
    expect([...l.kp]).toEqual(new Array(12).fill(20));
    expect(l.from).toMatchObject({ joints: 'breadth_first', defaultPose: 's2r.json', kp: 's2r.json' });
  });

  it('--joint-order overrides the preset order; names are mapped, not positions', () => {
    const l = resolveWith('isaaclab', 'isaaclab', { jointOrder: model.actuatedJoints, measures: ['base_lin_vel'] });
    expect(l.actionJoints).toEqual(model.actuatedJoints);
    expect(l.from.joints).toBe('--joint-order');
    expect(l.defaultPose[0]).toBeCloseTo(-0.1); // FR_hip
  });

  it('mjlab: joints, default pose, stiffness, damping, action scale and term order come from the ONNX metadata', () => {
    const meta = JSON.parse(readFileSync(join(FIX, 'mjlab.json'), 'utf8')).metadata as Record<string, string>;
    const l = resolveWith('mjlab', 'mjlab');
    expect(l.actionJoints).toEqual(meta.joint_names!.split(','));
    expect(l.actionJoints[0]).toBe('FL_hip_joint');
    expect([...l.kp]).toEqual(meta.joint_stiffness!.split(',').map(Number));
    expect([...l.defaultPose]).toEqual(meta.default_joint_pos!.split(',').map(Number));
    expect(l.actionScale[11]).toBeCloseTo(0.36);
    expect(l.terms.map((t) => t.source)).toEqual(meta.observation_names!.split(','));
    expect(l.terms[l.terms.length - 1]!.name).toBe('velocity_command'); // the command last
    expect(l.from).toMatchObject({ joints: 'ONNX metadata', defaultPose: 'ONNX metadata', kp: 'ONNX metadata', actionScale: 'ONNX metadata', observation: 'ONNX metadata' });
  });

  it('legged_gym / unitree_rl_gym: obs scales 2, 0.25, [2, 2, 0.25], 0.05, clip 100, action scale 0.25', () => {
    for (const name of ['legged_gym', 'unitree_rl_gym']) {
      const l = resolveWith(name, 'legged_gym');
      const sc = Object.fromEntries(l.terms.map((t) => [t.source, t.scale]));
      expect(sc.base_lin_vel).toEqual([2, 2, 2]);
      expect(sc.base_ang_vel).toEqual([0.25, 0.25, 0.25]);
      expect(sc.commands).toEqual([2, 2, 0.25]);
      expect(sc.dof_vel![0]).toBe(0.05);
      expect(l.observationClip).toBe(100);
      expect(l.actionClip).toBe(100);
      expect(l.actionScale[0]).toBe(0.25);
    }
  });

  it('playground: linvel … command, output continuous_actions, action scale 0.5', () => {
    const l = resolveWith('playground', 'playground');
    expect(l.terms.map((t) => t.source)).toEqual(['linvel', 'gyro', 'gravity', 'joint_angles', 'joint_vel', 'last_act', 'command']);
    expect(l.output).toBe('continuous_actions');
    expect(l.actionScale[0]).toBe(0.5);
  });

  it('recurrent (rsl_rl LSTM): h_in/c_in → h_out/c_out found by name and carried', () => {
    const l = resolveWith('isaaclab', 'isaaclab-lstm');
    expect(l.recurrent).toEqual([{ input: 'h_in', output: 'h_out', dims: [1, 1, 8] }, { input: 'c_in', output: 'c_out', dims: [1, 1, 8] }]);
    const lines = describeLayout(l).join('\n');
    expect(lines).toContain('h_in→h_out');
  });

  it('the printed mapping names every term and joint with gains and scale', () => {
    const lines = describeLayout(resolveWith('isaaclab', 'isaaclab', { zeroTerms: ['base_lin_vel'] }));
    expect(lines.join('\n')).toMatch(/base_lin_vel .*ZEROED/);
    for (const j of BF) expect(lines.some((x) => x.includes(j) && x.includes('0.25') && x.includes('20'))).toBe(true);
    expect(lines.some((x) => x.startsWith('  WARNING: --zero-terms base_lin_vel'))).toBe(true);
  });
});

describe('bad layouts: one clear error each', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['size ≠ ONNX input', () => resolveWith(layoutFile({ extends: 'isaaclab', observation: [{ term: 'base_ang_vel' }, { term: 'projected_gravity' }, { term: 'velocity_commands' }, { term: 'joint_pos' }, { term: 'joint_vel' }, { term: 'actions' }] }), 'isaaclab'), /sum to 45 values .* ONNX input "obs" takes 48/],
    ['unknown term', () => resolveWith(layoutFile({ extends: 'isaaclab', observation: [{ term: 'base_lin_vel' }, { term: 'height_scan' }] }), 'isaaclab'), /unknown observation term "height_scan"/],
    ['unknown joint', () => resolveWith('isaaclab', 'isaaclab', { jointOrder: [...BF.slice(0, 11), 'FL_knee_joint'] }), /--joint-order: unknown joint "FL_knee_joint"/],
    ['missing joint', () => resolveWith('isaaclab', 'isaaclab', { jointOrder: BF.slice(0, 11) }), /robot joint\(s\) RR_calf_joint missing/],
    ['duplicate joint', () => resolveWith('isaaclab', 'isaaclab', { jointOrder: [...BF.slice(0, 11), 'FL_hip_joint'] }), /"FL_hip_joint" listed twice/],
    ['wrong input tensor', () => resolveWith('playground', 'isaaclab'), /output tensor "continuous_actions" is not in isaaclab.onnx \(outputs: actions \[1, 12\]\)/],
    ['mjlab layout, no metadata', () => resolveWith('mjlab', 'isaaclab'), /carries no mjlab metadata/],
    ['recurrent state not fed', () => resolveWith(layoutFile({ extends: 'isaaclab', recurrent: [] }), 'isaaclab-lstm'), /inputs the layout does not feed: h_in \[1, 1, 8\], c_in/],
    ['unmeasured term off the sim', () => resolveWith('isaaclab', 'isaaclab', {}), /"base_lin_vel" .* not measured by this hardware; pass --zero-terms base_lin_vel/],
    ['--zero-terms names no term', () => resolveWith('isaaclab', 'isaaclab', { zeroTerms: ['foot_contact'] }), /--zero-terms: "foot_contact" is not a term/],
    ['unknown field', () => loadLayout(layoutFile({ extends: 'isaaclab', actionscale: 0.5 })), /unknown field "actionscale"/],
    ['unknown preset', () => loadLayout('isaacgym'), /neither a preset .* nor an existing layout file/],
    ['extends unknown preset', () => loadLayout(layoutFile({ extends: 'gym' })), /"extends": unknown preset "gym"/],
    ['not JSON', () => loadLayout(layoutFile('{ "observation": ')), /not valid JSON/],
    ['no observation', () => loadLayout(layoutFile({ input: 'obs' })), /missing "observation"/],
    ['bad per-joint field', () => loadLayout(layoutFile({ extends: 'isaaclab', kp: 'twenty' })), /"kp" must be a number/],
    ['per-joint array length', () => resolveWith(layoutFile({ extends: 'isaaclab', kp: [1, 2, 3] }), 'isaaclab'), /"kp" has 3 values, expected 12/],
    ['per-joint record unknown joint', () => resolveWith(layoutFile({ extends: 'isaaclab', defaultPose: { knee: 1 } }), 'isaaclab'), /"defaultPose" names unknown joint "knee"/],
    ['term scale length', () => resolveWith(layoutFile({ extends: 'isaaclab', observation: [{ term: 'velocity_commands', scale: [1, 2] }] }), 'isaaclab'), /"velocity_commands" has 2 scales, expected 3/],
    ['bad term field', () => loadLayout(layoutFile({ extends: 'isaaclab', observation: [{ term: 'base_ang_vel', offset: 1 }] })), /observation\[0\] \("base_ang_vel"\): unknown field "offset"/],
  ];
  for (const [what, fn, re] of cases) {
    it(what, () => {
      expect(fn).toThrow(re);
    });
  }

  it('mjlab metadata with a wrong count names the key', () => {
    const { spec, where } = loadLayout('mjlab');
    const f = files('mjlab');
    const metadata = { ...f.metadata, joint_stiffness: '20,20' };
    expect(() => resolveLayout({ spec, where, onnxWhere: 'm.onnx', model, robotConfig, ...f, metadata, measures: ['base_lin_vel'] })).toThrow(/"joint_stiffness" has 2 values but "joint_names" has 12/);
  });

  it('a file that is not ONNX', () => {
    const p = join(tmp, 'x.onnx');
    writeFileSync(p, 'hello, not a model');
    expect(() => new OnnxPolicy({ path: p, layout: 'isaaclab', robot: ROBOT })).toThrow(/ONNX policy .*x.onnx: not an ONNX model file/);
  });
});

describe('OnnxPolicy runs the fixtures', () => {
  it('isaaclab: actions = W·obs + b (the sidecar PyTorch weights)', () => {
    const side = JSON.parse(readFileSync(join(FIX, 'isaaclab.json'), 'utf8')) as { w: number[][]; b: number[] };
    const p = new OnnxPolicy({ path: join(FIX, 'isaaclab.onnx'), layout: 'isaaclab', robot: ROBOT, measures: ['base_lin_vel'] });
    const obs = Float32Array.from({ length: 48 }, (_, i) => Math.sin(i));
    const a = p.act(obs);
    side.w.forEach((row, j) => expect(a[j]).toBeCloseTo(row.reduce((s, w, i) => s + w * obs[i]!, side.b[j]!), 5));
    p.dispose();
  });

  for (const rnn of ['lstm', 'gru']) it(`${rnn.toUpperCase()}: state carried across steps matches the PyTorch rollout; reset() starts over`, () => {
    const side = JSON.parse(readFileSync(join(FIX, `isaaclab-${rnn}.json`), 'utf8')) as { obs: number[][]; actions: number[][] };
    const p = new OnnxPolicy({ path: join(FIX, `isaaclab-${rnn}.onnx`), layout: 'isaaclab', robot: ROBOT, measures: ['base_lin_vel'] });
    expect(p.layout.recurrent.map((r) => r.input)).toEqual(rnn === 'lstm' ? ['h_in', 'c_in'] : ['h_in']);
    const run = () => side.obs.map((o) => Array.from(p.act(Float32Array.from(o))));
    const first = run();
    first.forEach((a, t) => a.forEach((v, j) => expect(v).toBeCloseTo(side.actions[t]![j]!, 5)));
    // Without a reset the state carries on: step 1 again gives something else.
    const carried = Array.from(p.act(Float32Array.from(side.obs[0]!)));
    expect(Math.max(...carried.map((v, j) => Math.abs(v - side.actions[0]![j]!)))).toBeGreaterThan(1e-4);
    p.reset();
    run().forEach((a, t) => a.forEach((v, j) => expect(v).toBeCloseTo(side.actions[t]![j]!, 5)));
    p.dispose();
  });

  it('every preset has a fixture that resolves', () => {
    const fixture: Record<string, string> = { isaaclab: 'isaaclab', mjlab: 'mjlab', legged_gym: 'legged_gym', unitree_rl_gym: 'legged_gym', playground: 'playground' };
    for (const name of Object.keys(PRESETS)) expect(resolveWith(name, fixture[name]!).obsSize).toBe(48);
  });
});
