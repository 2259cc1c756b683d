/**
 * First touch with a foreign robot (issue 16), on Unitree's Go1 URDF from ../shared/robots copied without any
 * s2r.json: the zero-pose note, `s2r robot --init`, and the limits on --stand. Real CLI processes, real Rapier.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadUrdf, parseUrdf } from '@s2r/core';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'packages/cli/bin/s2r.mjs');
const SHARED_GO1 = join(ROOT, '../shared/robots/go1');
const dir = mkdtempSync(join(tmpdir(), 's2r-init-'));
const URDF = join(dir, 'go1/urdf/go1.urdf');
const robot = (...args: string[]) => spawnSync(process.execPath, [BIN, 'robot', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

beforeAll(() => {
  cpSync(SHARED_GO1, join(dir, 'go1'), { recursive: true });
  chmodSync(join(dir, 'go1/urdf'), 0o755); // shared/ is read-only; our copy must take the s2r.json
  expect(existsSync(join(dir, 'go1/urdf/s2r.json'))).toBe(false);
});

describe('s2r robot on a robot without s2r.json', () => {
  it('says the zero pose breaks the calf limits, naming joints and ranges and what was done', () => {
    const r = robot(URDF, '--stand', '1');
    const note = r.stdout.split('\n').find((l) => l.startsWith('note: the zero pose'));
    expect(note, r.stdout.slice(-2000)).toBeDefined();
    for (const leg of ['FR', 'FL', 'RR', 'RL']) expect(note).toMatch(new RegExp(`${leg}_calf_joint \\[-2\\.818, -0\\.888\\]`));
    expect(note).not.toMatch(/thigh|hip/);
    expect(note).toMatch(/clamped to the nearest limit/);
    expect(note).toMatch(/--init/);
  });

  it('--init writes an s2r.json whose pose is inside every limit, with feet, base link and a dropped spawn height; the Go1 then stands', () => {
    const r = robot(URDF, '--init', '--stand', '4');
    const cfgPath = join(dir, 'go1/urdf/s2r.json');
    expect(existsSync(cfgPath), r.stderr).toBe(true);
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    const model = loadUrdf(URDF);
    for (const name of model.actuatedJoints) {
      const j = model.joints.find((x) => x.name === name)!;
      expect(cfg.defaultJointPos[name]).toBeGreaterThanOrEqual(j.limits.lower);
      expect(cfg.defaultJointPos[name]).toBeLessThanOrEqual(j.limits.upper);
    }
    expect(cfg.defaultJointPos.FL_calf_joint).toBe(-1.5); // legged_gym's quadruped pose was recognised
    expect(cfg.footLinks.sort()).toEqual(['FL_foot', 'FR_foot', 'RL_foot', 'RR_foot']);
    expect(cfg.baseLink).toBe(model.rootLink);
    expect(cfg.kp).toBeGreaterThan(0);
    expect(cfg.spawnHeight).toBeGreaterThan(0.2);
    expect(cfg.spawnHeight).toBeLessThan(0.4);
    expect(r.stdout).toMatch(/init: dropped under PD .* rests with its base at [\d.]+ m/);
    const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(last.stand.stable, r.stdout.slice(-1500)).toBe(true);
    expect(r.status).toBe(0);
    // The stand at the written spawn height barely drops: it rests within 2 cm of it.
    expect(Math.abs(last.stand.height_m - cfg.spawnHeight)).toBeLessThan(0.02);

    // Never over an existing config.
    const before = readFileSync(cfgPath, 'utf8');
    const again = robot(URDF, '--init', '--stand', '0');
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/s2r\.json exists: --init never overwrites/);
    expect(readFileSync(cfgPath, 'utf8')).toBe(before);
  });

  it('--init --config PATH writes there', () => {
    const p = join(dir, 'elsewhere.json');
    const r = robot(URDF, '--init', '--config', p, '--stand', '0');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(p, 'utf8')).footLinks).toHaveLength(4);
  });

  it('--stand beyond 600 s (1e9 would never end) is a usage error', () => {
    const r = robot(URDF, '--stand', '1e9');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--stand must be in \[0, 600\] seconds .*got 1000000000/);
  });
});

describe('URDF structure', () => {
  it('a <link> nested in a <link> is refused with its line', () => {
    const text = `<robot name="r">\n  <link name="a">\n    <link name="b"/>\n  </link>\n</robot>\n`;
    expect(() => parseUrdf(text, { source: 'nested.urdf' })).toThrow(/nested\.urdf:3: .*<link name="b"> is nested inside <link name="a"> \(line 2\)/);
  });
});
