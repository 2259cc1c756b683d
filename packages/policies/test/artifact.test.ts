import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '@s2r/core';
import { initBackend } from '../src/backend.ts';
import { PPO } from '../src/ppo/ppo.ts';
import { defaultPpoConfig } from '../src/ppo/config.ts';
import { exportPpoArtifact, type EnvFacts } from '../src/ppo/export.ts';
import { saveArtifact, specHash, canonicalJson, buildArtifact } from '../src/artifact.ts';
import { loadPolicy, policyFromArtifact } from '../src/policy.ts';

const obsSpec = {
  size: 48,
  terms: [
    { name: 'base_lin_vel', size: 3, unit: 'm/s' },
    { name: 'base_ang_vel', size: 3, unit: 'rad/s' },
    { name: 'projected_gravity', size: 3, unit: '1' },
    { name: 'commands', size: 3, unit: 'm/s' },
    { name: 'joint_pos_rel', size: 12, unit: 'rad' },
    { name: 'joint_vel', size: 12, unit: 'rad/s' },
    { name: 'last_action', size: 12, unit: '1' },
  ],
};
const joints = ['FR_hip', 'FR_thigh', 'FR_calf', 'FL_hip', 'FL_thigh', 'FL_calf', 'RR_hip', 'RR_thigh', 'RR_calf', 'RL_hip', 'RL_thigh', 'RL_calf'].map((j) => `${j}_joint`);
const actSpec = { size: 12, joints, low: -10, high: 10, mode: 'position' as const, scale: 0.25, unit: 'rad' };
const facts: EnvFacts = {
  task: 'go1-flat', observationSpec: obsSpec, privilegedSpec: null, actionSpec: actSpec, dt: 0.02, envConfig: { note: 'test' },
  defaultPose: joints.map((j) => (j.includes('hip') ? 0.1 : j.includes('thigh') ? 0.8 : -1.5)), kp: joints.map(() => 20), kd: joints.map(() => 0.5),
  pipeline: {
    mode: 'position', joints, low: -10, high: 10, scale: 0.25, offset: joints.map((j) => (j.includes('hip') ? 0.1 : j.includes('thigh') ? 0.8 : -1.5)),
    lower: joints.map(() => null), upper: joints.map(() => null), maxRate: joints.map(() => 25), substepDt: 0.005,
  },
};

let dir: string;
let path: string;
let ppo: PPO;

describe('policy artifact', () => {
  beforeAll(async () => {
    await initBackend('wasm', { quiet: true });
    dir = mkdtempSync(join(tmpdir(), 's2r-artifact-'));
    path = join(dir, 'policy.json');
    const cfg = { ...defaultPpoConfig('go1-flat'), actorHidden: [256, 256], criticHidden: [256, 256], numEnvs: 4, stepsPerEnv: 2, numMinibatches: 1 };
    ppo = new PPO(cfg, { obs: 48, priv: 0, act: 12 }, Rng.seed(9), actSpec);
    // give the normalizer non-trivial statistics
    const rng = Rng.seed(10);
    const x = Float32Array.from({ length: 64 * 48 }, () => rng.normal(0.3, 2));
    ppo.obsNorm.update(x, 64);
    await saveArtifact(path, exportPpoArtifact(ppo, facts, { iterations: 0 }));
  });

  it('round trips: loaded policy gives bitwise the same actions as the in-memory export, and matches the trainer', async () => {
    const a = exportPpoArtifact(ppo, facts, { iterations: 0 });
    const mem = await policyFromArtifact(JSON.parse(JSON.stringify(a)));
    const disk = await loadPolicy(path);
    expect(disk.kind).toBe('mlp');
    expect(disk.obsSize).toBe(48);
    expect(disk.actSize).toBe(12);
    expect(disk.meta.control.jointNames).toEqual(joints);
    expect(disk.meta.control.defaultPose[1]).toBe(0.8);
    expect(disk.meta.control.kp).toEqual(joints.map(() => 20));
    expect(disk.meta.control.dt).toBe(0.02);
    expect(disk.meta.specHash).toBe(specHash(obsSpec, actSpec));
    const rng = Rng.seed(11);
    const raw = new Float32Array(48);
    for (let k = 0; k < 20; k++) {
      for (let i = 0; i < 48; i++) raw[i] = rng.normal(0, 2);
      const am = mem.act(raw);
      const ad = disk.act(raw);
      expect(Buffer.from(ad.buffer).equals(Buffer.from(am.buffer))).toBe(true);
      // and the deterministic action is the trainer's mean action (normalize → actor)
      const norm = ppo.obsNorm.normalize(raw, 1, new Float32Array(48));
      const mu = ppo.actorRt.forward(norm, 1);
      for (let j = 0; j < 12; j++) expect(ad[j]).toBeCloseTo(mu[j]!, 4);
    }
  });

  it('is small: a [256, 256] actor is well under 1 MB', () => {
    expect(statSync(path).size).toBeLessThan(1_000_000);
  });

  it('a tampered weight is rejected by the integrity hash', async () => {
    const j = JSON.parse(readFileSync(path, 'utf8'));
    const b = Buffer.from(j.tensors['actor.1.w'].data, 'base64');
    b[100] ^= 0x01;
    j.tensors['actor.1.w'].data = b.toString('base64');
    const p = join(dir, 'tampered.json');
    writeFileSync(p, JSON.stringify(j));
    await expect(loadPolicy(p)).rejects.toThrow(/integrity\.sha256: does not match the content/);
  });

  it('a missing normalizer key is an error naming it, never a pass-through', async () => {
    const j = JSON.parse(readFileSync(path, 'utf8'));
    delete j.normalizer.var;
    const p = join(dir, 'nonorm.json');
    writeFileSync(p, JSON.stringify(j));
    await expect(loadPolicy(p)).rejects.toThrow(/normalizer\.var: missing/);
    delete j.normalizer;
    writeFileSync(p, JSON.stringify(j));
    await expect(loadPolicy(p)).rejects.toThrow(/normalizer: missing/);
  });

  it('a spec hash that does not match its specs, or the robot, is an error', async () => {
    const j = JSON.parse(readFileSync(path, 'utf8'));
    j.specs.observation.terms[0].unit = 'km/h';
    const p = join(dir, 'spec.json');
    writeFileSync(p, JSON.stringify(j));
    await expect(loadPolicy(p)).rejects.toThrow(/specs\.hash: does not match the specs it ships/);
    const otherAct = { ...actSpec, scale: 0.5 };
    await expect(loadPolicy(path, { observationSpec: obsSpec, actionSpec: otherAct })).rejects.toThrow(/action scale: 0\.25 vs 0\.5/);
    await expect(loadPolicy(path, { specHash: 'f'.repeat(64) })).rejects.toThrow(/does not match the robot/);
    await expect(loadPolicy(path, { jointNames: [...joints].reverse() })).rejects.toThrow(/jointNames/);
    await expect(loadPolicy(path, { observationSpec: obsSpec, actionSpec: actSpec, jointNames: joints })).resolves.toBeTruthy();
  });

  it('truncated files, wrong versions and wrong observation sizes fail with clear messages', async () => {
    const text = readFileSync(path, 'utf8');
    const p = join(dir, 'bad.json');
    writeFileSync(p, text.slice(0, text.length / 2));
    await expect(loadPolicy(p)).rejects.toThrow(/is not valid JSON/);
    const j = JSON.parse(text);
    j.schemaVersion = 99;
    writeFileSync(p, JSON.stringify(j));
    await expect(loadPolicy(p)).rejects.toThrow(/schemaVersion: this reader understands 1, file has 99/);
    await expect(loadPolicy(join(dir, 'nope.json'))).rejects.toThrow(/cannot read \(ENOENT\)/);
    const pol = await loadPolicy(path);
    expect(() => pol.act(new Float32Array(47))).toThrow(/47 values, policy expects 48/);
  });

  it('an unknown kind names itself', async () => {
    const j = JSON.parse(readFileSync(path, 'utf8'));
    const { integrity: _i, format: _f, schemaVersion: _s, specs, ...rest } = j;
    const a = buildArtifact({ ...rest, kind: 'warp-drive', specs: { observation: specs.observation, action: specs.action, privileged: null } });
    await expect(policyFromArtifact(a)).rejects.toThrow(/kind "warp-drive" is not supported/);
  });

  it("the control block is the contract's PolicyControl: loaded as stored, a pipeline that disagrees with it is refused naming the field", async () => {
    const j = JSON.parse(readFileSync(path, 'utf8'));
    const disk = await loadPolicy(path);
    expect(disk.meta.control).toEqual(j.control); // one shape: what the file stores is what the policy carries
    const reseal = (edit: (c: Record<string, any>) => void) => {
      const { integrity: _i, format: _f, schemaVersion: _s, specs, ...rest } = structuredClone(j);
      edit(rest.control);
      return buildArtifact({ ...rest, specs: { observation: specs.observation, action: specs.action, privileged: null } });
    };
    await expect(policyFromArtifact(reseal((c) => (c.pipeline.scale = 0.5)))).rejects.toThrow(/control\.pipeline\.scale: is 0\.5 but control says 0\.25/);
    await expect(policyFromArtifact(reseal((c) => (c.pipeline.high = 3)))).rejects.toThrow(/control\.pipeline\.high: is 3 but control says 10/);
    await expect(policyFromArtifact(reseal((c) => (c.pipeline.offset[2] = -1.4)))).rejects.toThrow(/control\.pipeline\.offset of joint "FR_calf_joint": is -1\.4 but control says -1\.5/);
    await expect(policyFromArtifact(reseal((c) => delete c.actionMode))).rejects.toThrow(/control\.actionMode: must be "position" or "torque", got undefined/);
    // A file written before issue 11 has no pipeline: it reads without one (never a default), the bridge takes its task's.
    const old = await policyFromArtifact(reseal((c) => delete c.pipeline));
    expect(old.meta.control.pipeline).toBeUndefined();
  });

  it('loads the committed go1-flat policy (schemaVersion 1, before stored pipelines) with its control block as written', async () => {
    const committed = new URL('../../../hardware/policies/go1-flat/policy.json', import.meta.url);
    const raw = JSON.parse(readFileSync(committed, 'utf8'));
    const p = await loadPolicy(fileURLToPath(committed));
    expect(raw.schemaVersion).toBe(1);
    expect(p.meta.control).toEqual(raw.control);
    expect(p.meta.control.pipeline).toBeUndefined();
    expect(1 / p.meta.control.dt).toBeCloseTo(50, 9); // Hz
  });

  it('canonical JSON sorts keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
  });
});
