import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CARTPOLE, GO1_URDF, REPO, S2R_ARM, S2R_GO1, tmpDir } from '../../../test/helpers/robots.ts';

/** Run `node packages/cli/bin/s2r.mjs robot ...` as a child process, as a user would. */
function s2r(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO, 'packages/cli/bin/s2r.mjs'), 'robot', ...args], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
  const lines = r.stdout.trim().split('\n');
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, last: lines[lines.length - 1] ?? '' };
}

describe('npx s2r robot', () => {
  it('prints the real Go1 and stands it at a configured default pose; the last line is the JSON summary', () => {
    const dir = tmpDir();
    const cfg = join(dir, 'go1.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        defaultJointPos: {
          FR_hip_joint: -0.1, FL_hip_joint: 0.1, RR_hip_joint: -0.1, RL_hip_joint: 0.1,
          FR_thigh_joint: 0.8, FL_thigh_joint: 0.8, RR_thigh_joint: 1.0, RL_thigh_joint: 1.0,
          FR_calf_joint: -1.5, FL_calf_joint: -1.5, RR_calf_joint: -1.5, RL_calf_joint: -1.5,
        },
        kp: 20,
        kd: 0.5,
      }),
    );
    const r = s2r(GO1_URDF, '--stand', '4', '--config', cfg);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // The parsed model: links, joints with limits, mass, warnings.
    expect(r.stdout).toMatch(/links: 46 in the URDF, 13 rigid bodies after merging fixed joints/);
    expect(r.stdout).toMatch(/FR_calf_joint\s+revolute\s+pos \[-2\.818, -0\.888\] rad\s+vel 20\.06 rad\/s\s+effort 35\.55 N·m/);
    expect(r.stdout).toMatch(/total mass: 13\.10\d kg/);
    expect(r.stdout).toMatch(/warnings \(1\):\n\s+- visual mesh "package:\/\/go1_description\/meshes\/trunk\.dae"/);
    const json = JSON.parse(r.last);
    expect(json).toMatchObject({ robot: 'go1', dof: 12, stand: { stable: true } });
    expect(json.mass_kg).toBeCloseTo(13.1, 1);
    expect(json.stand.height_m).toBeGreaterThan(0.22);
    expect(json.stand.height_swing_m).toBeLessThan(0.02);
    expect(json.stand.drift_m).toBeLessThan(0.05);
    expect(Object.keys(json)).toEqual(['robot', 'dof', 'mass_kg', 'stand']);
    expect(Object.keys(json.stand)).toEqual(['height_m', 'height_swing_m', 'drift_m', 'stable']);
  });

  it("stands the project's robots from their s2r.json", () => {
    for (const [urdf, name, dof] of [[S2R_GO1, 's2r-go1', 12], [S2R_ARM, 's2r-arm', 6], [CARTPOLE, 'cartpole', 2]] as const) {
      const r = s2r(urdf, '--stand', '3');
      expect(r.code, r.stderr).toBe(0);
      const json = JSON.parse(r.last);
      expect(json).toMatchObject({ robot: name, dof, stand: { stable: true } });
    }
  });

  it('reports an unstable stand honestly: the Go1 with no config (straight legs at zero) falls', () => {
    const r = s2r(GO1_URDF, '--stand', '4');
    expect(r.stdout).toMatch(/no s2r\.json: zero pose, Kp 20, Kd 0\.5/);
    const json = JSON.parse(r.last);
    expect(json.stand.stable).toBe(false);
    expect(r.code).toBe(3);
  });

  it('--stand 0 skips the stand; errors name the file; --help works', () => {
    const r = s2r(S2R_GO1, '--stand', '0');
    expect(JSON.parse(r.last)).toEqual({ robot: 's2r-go1', dof: 12, mass_kg: 13.1, stand: null });
    const dir = tmpDir();
    const bad = join(dir, 'bad.urdf');
    writeFileSync(bad, '<robot name="x">\n<link name="a">\n</robot>\n');
    const e = s2r(bad);
    expect(e.code).toBe(1);
    expect(e.stderr).toContain(`${bad}:3: closing tag </robot> does not match <link> opened on line 2`);
    const u = s2r();
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/expected one URDF file/);
    const h = s2r('--help');
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/Usage: npx s2r robot <file\.urdf>/);
  });
});
