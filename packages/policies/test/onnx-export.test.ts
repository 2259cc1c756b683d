/**
 * `s2r export --onnx`: the committed Go1 policy as ONNX, run by onnxruntime-node against s2r's own runtime on 1,000
 * observations recorded from the policy walking in the go1-flat env (max |Δ| ≤ 1e-5), its mjlab metadata read back
 * through `--layout mjlab` into the artifact's own facts, and the CLI's errors.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadPolicy } from '../src/index.ts';
import { exportArtifactToOnnx, exportPolicyFileToOnnx, OrtSession, readOnnxInfo, OnnxPolicy, EXPORT_OPSET } from '../src/onnx/index.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const POLICY = join(ROOT, 'hardware/policies/go1-flat/policy.json');
const ROBOT = join(ROOT, 'hardware/robots/s2r-go1/s2r-go1.urdf');
const tmp = mkdtempSync(join(tmpdir(), 's2r-export-'));

describe('ONNX export of the committed Go1 policy', () => {
  it('matches s2r runtime on 1,000 recorded observations (max |Δ| ≤ 1e-5)', async () => {
    const p = await loadPolicy(POLICY);
    const e = await exportPolicyFileToOnnx(POLICY);
    const s = new OrtSession(e.bytes, 'go1 export');
    // Observations the policy meets while walking (commands and DR as trained), recorded from the env.
    const { makeVecEnv } = await import('@s2r/sim/env/vec-env.ts');
    const trained = (p.meta as { envConfig?: { commands?: Record<string, unknown> } }).envConfig;
    const vec = await makeVecEnv('go1-flat', { numEnvs: 1, workers: 0, seed: 7, overrides: trained?.commands ? { commands: trained.commands } : {}, print: false });
    const D = vec.observationSpec.size;
    let maxDiff = 0;
    let maxAbsObs = 0;
    try {
      for (let t = 0; t < 1000; t++) {
        const obs = Float32Array.from(vec.obs.subarray(0, D));
        for (const v of obs) maxAbsObs = Math.max(maxAbsObs, Math.abs(v));
        const ref = p.act(obs);
        const got = s.run({ obs: { data: obs, dims: [1, D] } }).actions!;
        for (let j = 0; j < ref.length; j++) maxDiff = Math.max(maxDiff, Math.abs(got[j]! - ref[j]!));
        await vec.step(ref);
      }
    } finally {
      await vec.close();
      s.dispose();
    }
    expect(maxAbsObs).toBeGreaterThan(0.5); // real, varied observations, not zeros
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
  }, 120_000);

  it('input obs [1,45] → actions [1,12], opset ≥ 11, mjlab metadata in the network input order', async () => {
    const e = await exportPolicyFileToOnnx(POLICY);
    const info = readOnnxInfo(e.bytes, 'export');
    expect(info.opset).toBe(EXPORT_OPSET);
    expect(info.opset).toBeGreaterThanOrEqual(11);
    const s = new OrtSession(e.bytes, 'export');
    expect(s.inputs).toEqual([{ name: 'obs', type: 'float32', dims: [1, 45] }]);
    expect(s.outputs).toEqual([{ name: 'actions', type: 'float32', dims: [1, 12] }]);
    s.dispose();
    const art = JSON.parse(readFileSync(POLICY, 'utf8'));
    // s2r's terms base_ang_vel, projected_gravity, velocity_command, joint_pos_rel, joint_vel, last_action, as mjlab names.
    expect(info.metadata.observation_names).toBe('base_ang_vel,projected_gravity,command,joint_pos,joint_vel,actions');
    expect(info.metadata.observation_sizes).toBe('3,3,3,12,12,12');
    expect(info.metadata.joint_names!.split(',')).toEqual(art.control.jointNames);
    expect(info.metadata.default_joint_pos!.split(',').map(Number)).toEqual(art.control.defaultPose.map((x: number) => Number(x.toPrecision(7))));
    expect(info.metadata.joint_stiffness).toBe(new Array(12).fill(20).join(','));
    expect(info.metadata.action_scale).toBe(new Array(12).fill(0.25).join(','));
  });

  it('--layout mjlab reads the export back into the artifact’s own joints, pose, gains and scale', async () => {
    const e = await exportPolicyFileToOnnx(POLICY);
    const f = join(tmp, 'go1.onnx');
    (await import('node:fs')).writeFileSync(f, e.bytes);
    const art = JSON.parse(readFileSync(POLICY, 'utf8'));
    // No base_lin_vel in s2r's observation: it resolves on hardware that measures nothing extra.
    const p = new OnnxPolicy({ path: f, layout: 'mjlab', robot: ROBOT, measures: [] });
    expect(p.layout.actionJoints).toEqual(art.control.jointNames);
    [...p.layout.defaultPose].forEach((x, i) => expect(x).toBeCloseTo(art.control.defaultPose[i], 6));
    expect([...p.layout.kp]).toEqual(art.control.kp);
    expect([...p.layout.kd]).toEqual(art.control.kd);
    expect([...p.layout.actionScale]).toEqual(new Array(12).fill(0.25));
    expect(p.layout.terms.map((t) => t.name)).toEqual(art.specs.observation.terms.map((t: { name: string }) => t.name));
    p.dispose();
  });

  it('refuses what it cannot describe: another kind, a term mjlab has no name for, a torque policy', () => {
    const art = JSON.parse(readFileSync(POLICY, 'utf8'));
    expect(() => exportArtifactToOnnx({ ...art, kind: 'diffusion' }, 'x.json')).toThrow(/ONNX export supports kind "mlp" .* this artifact is "diffusion"/);
    const terms = art.specs.observation.terms.map((t: { name: string }, i: number) => (i === 0 ? { ...t, name: 'object_pose' } : t));
    expect(() => exportArtifactToOnnx({ ...art, specs: { ...art.specs, observation: { ...art.specs.observation, terms } } }, 'x.json')).toThrow(/observation term "object_pose" has no mjlab name/);
    expect(() => exportArtifactToOnnx({ ...art, control: { ...art.control, actionMode: 'torque' } }, 'x.json')).toThrow(/needs a position policy/);
  });

  it('CLI: writes the file and one JSON line; refuses without --onnx', () => {
    const out = join(tmp, 'cli.onnx');
    const bin = join(ROOT, 'packages/cli/bin/s2r.mjs');
    const r = spawnSync('node', [bin, 'export', POLICY, '--onnx', out], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(j).toMatchObject({ export: 'done', onnx: out, opset: EXPORT_OPSET, obs_size: 45, act_size: 12 });
    expect(readFileSync(out).length).toBe(j.bytes);
    const bad = spawnSync('node', [bin, 'export', POLICY], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--onnx <out.onnx> is required');
  });
});
