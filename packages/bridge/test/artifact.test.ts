/**
 * The artifact adapter, typed on the contract: the committed go1-flat policy (written before the action pipeline
 * was stored in artifacts) still loads, with the pipeline its task and envConfig describe; a task the sim does not
 * know is an error naming it, never a zero default.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildArtifact, type PolicyArtifact } from '@s2r/policies/artifact.ts';
import { adaptArtifactPolicy } from '../src/policy/artifact.ts';

const COMMITTED = fileURLToPath(new URL('../../../hardware/policies/go1-flat/policy.json', import.meta.url));

/** The committed artifact with one edit, re-sealed (valid integrity) into a temp file. */
function edited(edit: (a: PolicyArtifact) => void): string {
  const a = JSON.parse(readFileSync(COMMITTED, 'utf8')) as PolicyArtifact;
  edit(a);
  const { integrity: _i, format: _f, schemaVersion: _v, specs, ...rest } = a;
  const sealed = buildArtifact({ ...rest, specs: { observation: specs.observation, action: specs.action, privileged: specs.privileged } });
  const path = join(mkdtempSync(join(tmpdir(), 's2r-art-')), 'policy.json');
  writeFileSync(path, JSON.stringify(sealed));
  return path;
}

describe('adaptArtifactPolicy', () => {
  it('loads the committed go1-flat policy (schemaVersion 1, no stored pipeline) with the pipeline it trained behind', async () => {
    const raw = JSON.parse(readFileSync(COMMITTED, 'utf8'));
    expect(raw.schemaVersion).toBe(1);
    expect(raw.control.pipeline).toBeUndefined();
    const p = await adaptArtifactPolicy(COMMITTED);
    try {
      const pl = p.pipeline;
      expect(pl.mode).toBe('position');
      expect(pl.joints).toEqual(raw.control.jointNames);
      expect([pl.low, pl.high, pl.scale, pl.substepDt]).toEqual([-10, 10, 0.25, 0.005]);
      expect(pl.offset).toEqual(raw.control.defaultPose);
      // 'urdf' rate capped at 25 rad/s: hips and thighs 25 (URDF 30.1), calves 20.06 (URDF) — as in training.
      expect(pl.maxRate).toEqual(raw.control.jointNames.map((j: string) => (j.includes('calf') ? 20.06 : 25)));
      expect(pl.lower.every((x) => typeof x === 'number')).toBe(true);
      const obs = new Float32Array(p.obsSize);
      p.observe({ jointPos: new Float64Array(12), jointVel: new Float64Array(12), angVel: new Float64Array(3), projectedGravity: Float64Array.of(0, 0, -1), command: Float64Array.of(0.5, 0, 0), lastAction: new Float32Array(12), linVel: new Float64Array(3), defaultPose: new Float64Array(12) }, obs);
      expect(obs[6]).toBeCloseTo(0.5, 6); // velocity_command after angVel (3) and projected gravity (3)
    } finally {
      p.dispose?.();
    }
  });

  it('a stored pipeline (artifacts written since issue 11) is the one deployed, not the task\'s', async () => {
    const first = await adaptArtifactPolicy(COMMITTED);
    const fromTask = first.pipeline;
    first.dispose?.();
    const path = edited((a) => (a.control.pipeline = { ...fromTask, maxRate: fromTask.maxRate.map(() => 5) }));
    const p = await adaptArtifactPolicy(path);
    try {
      expect(p.pipeline.maxRate).toEqual(fromTask.joints.map(() => 5)); // rad/s, as stored
      expect(p.pipeline.offset).toEqual(fromTask.offset);
    } finally {
      p.dispose?.();
    }
  });

  it('a task the sim does not register is an error naming it', async () => {
    const path = edited((a) => (a.task = 'go7-moon'));
    await expect(adaptArtifactPolicy(path)).rejects.toThrow(/unknown task "go7-moon"/);
  });

  it('an artifact whose scale disagrees with its task pipeline is refused, naming the field', async () => {
    const path = edited((a) => (a.control.actionScale = 0.5));
    await expect(adaptArtifactPolicy(path)).rejects.toThrow(/control\.actionScale is 0\.5 in the artifact but 0\.25/);
  });
});
