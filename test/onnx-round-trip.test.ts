/**
 * Round trip (issue 13): export the committed Go1 policy to ONNX with the CLI, then deploy that file with
 * `--layout mjlab` through the bridge to the sim hardware (Rapier in real time in its own thread) on `npm start`'s
 * command schedule, with its 10 ms command latency and legged_gym sensor noise. It must do the same walk:
 * ≥ 5 m, 0 falls, every policy step served by ONNX Runtime without an error.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deploy } from '@s2r/bridge';
import { DEFAULT_COMMANDS, DEFAULT_POLICY, DEFAULT_ROBOT } from '../packages/cli/src/main.ts';

const REPO = resolve(import.meta.dirname, '..');

describe('ONNX round trip', () => {
  it('export → deploy --layout mjlab to sim hardware walks ≥ 5 m with 0 falls', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 's2r-rt-')), 'go1.onnx');
    const r = spawnSync('node', [join(REPO, 'packages/cli/bin/s2r.mjs'), 'export', DEFAULT_POLICY, '--onnx', out], { encoding: 'utf8', cwd: REPO, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const lines: string[] = [];
    const s = await deploy({
      policy: out, layout: 'mjlab', robot: DEFAULT_ROBOT, hardware: 'sim', rateHz: 500, policyRateHz: 50, durationS: 20,
      commands: DEFAULT_COMMANDS, seed: 1, latencyMs: 10, noise: 1, handleSigint: false, log: (l) => lines.push(l),
    });
    expect(lines[0]).toMatch(/^ONNX layout mjlab: input "obs" \[1, 45\]/);
    expect(s.deploy).toBe('done');
    expect(s.falls).toBe(0);
    expect(s.distance_m!).toBeGreaterThanOrEqual(5);
    expect(s.policy_stats.errors).toBe(0);
    expect(s.policy_stats.policy_steps as number).toBeGreaterThan(900); // 20 s at 50 Hz, minus at most a few holds
  }, 120_000);

  it('s2r eval runs the exported ONNX (--layout mjlab) on go1-flat like the artifact itself: same episodes, same returns ±5%', () => {
    const out = join(mkdtempSync(join(tmpdir(), 's2r-rt-')), 'go1.onnx');
    const bin = join(REPO, 'packages/cli/bin/s2r.mjs');
    expect(spawnSync('node', [bin, 'export', DEFAULT_POLICY, '--onnx', out], { encoding: 'utf8', cwd: REPO, timeout: 60_000 }).status).toBe(0);
    const run = (args: string[]) => {
      const r = spawnSync('node', [bin, 'eval', ...args, '--episodes', '2', '--seeds', '1', '--envs', '1', '--json'], { encoding: 'utf8', cwd: REPO, timeout: 180_000 });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout.trim().split('\n').pop()!);
    };
    const onnx = run([out, '--layout', 'mjlab']);
    const art = run([DEFAULT_POLICY]);
    expect(onnx.eval).toBe('go1-flat');
    expect(onnx.mean_length).toBe(art.mean_length);
    expect(Math.abs(onnx.mean_return - art.mean_return)).toBeLessThan(0.05 * Math.abs(art.mean_return));
    const bad = spawnSync('node', [bin, 'eval', out], { encoding: 'utf8', cwd: REPO, timeout: 60_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('an ONNX policy needs --layout');
  }, 240_000);
});
