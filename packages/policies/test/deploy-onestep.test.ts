/**
 * A one-step diffusion student deploys like its teacher: through the bridge's `deploy()` on the sim hardware, chunk by
 * chunk through the action queue with inference in the worker, and as the frozen base of a residual (ResidualPolicy
 * loads kind 'diffusion' and gets the one-step sampler). Behaviour is not what is checked: the teacher and the student
 * are trained for a few steps; the loop must run, use the chunks, and report no policy error.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deploy } from '@s2r/bridge/deploy.ts';
import { load, getTask } from '@s2r/sim/tasks/registry.ts';
import { Rng } from '@s2r/core';
import { collectDemos } from '../src/demos/collect.ts';
import { scriptedExpert } from '../src/demos/experts.ts';
import { trainDiffusion } from '../src/diffusion/train.ts';
import { distillDiffusion } from '../src/diffusion/distill.ts';
import { makeResidualArtifact } from '../src/residual/artifact.ts';
import { ResidualPolicy } from '../src/residual/policy.ts';
import { residualBound } from '../src/residual/vec-env.ts';
import { baseActionRange } from '../src/residual/base.ts';
import { initMlp } from '../src/nn/mlp.ts';

const factories = fileURLToPath(new URL('./helpers/deploy-factories.ts', import.meta.url));
const urdf = resolve(fileURLToPath(new URL('../../../hardware/robots/s2r-arm/s2r-arm.urdf', import.meta.url)));

describe('one-step diffusion deployment', () => {
  it('runs through the bridge\'s chunk queue on sim hardware and as a residual\'s base', async () => {
    const dir = mkdtempSync(join(tmpdir(), 's2r-deploy-1step-'));
    const env = await load('z1-push', { episodeLengthS: 1 } as never, { print: false }); // collectDemos closes it
    const d = getTask('z1-push').deploy();
    const demos = await collectDemos({
      task: 'z1-push', makeEnv: () => env, expert: await scriptedExpert('z1-push', env), episodes: 2, noise: 0.02, seed: 1,
      control: { defaultPose: Array.from(d.defaultJointPos), kp: Array.from(d.kp), kd: Array.from(d.kd) },
    });
    const { artifact: teacher } = await trainDiffusion({ demos, config: { iterations: 10, batchSize: 16, successOnly: false } });
    const { artifact } = await distillDiffusion({ teacher, demos, config: { pairs: 64, iterations: 5, batchSize: 16 } });
    const path = join(dir, 'student.json');
    writeFileSync(path, JSON.stringify(artifact));

    const durationS = 2;
    const s = await deploy({ robot: urdf, hardware: 'sim', rateHz: 500, policyRateHz: 50, durationS, handleSigint: false, safety: { softStartS: 0.5 }, policy: { module: factories, export: 'diffusionDeployPolicy', options: { artifact: path } }, inference: 'worker' });
    expect(s.deploy).toBe('done');
    expect(s.estop).toBeNull();
    const ps = s.policy_stats as Record<string, any>;
    expect(ps.mode).toBe('worker');
    expect(ps.errors).toBe(0);
    // 16-step chunks, 8 executed: a new chunk every 8 policy steps over the run.
    expect(ps.chunks).toBeGreaterThanOrEqual(Math.floor((50 * durationS) / 8) - 2);

    // As the frozen base of a residual: the residual's base is the one-step sampler, with the teacher's chunk.
    const O = artifact.specs.observation.size;
    const A = artifact.specs.action.size;
    const res = makeResidualArtifact({
      task: 'z1-push', observationSpec: artifact.specs.observation, actionSpec: artifact.specs.action, control: artifact.control, base: artifact,
      norm: { mean: new Float64Array(O + A), var: new Float64Array(O + A).fill(1), count: 1, clip: 5, eps: 1e-8 },
      activation: 'elu', layers: initMlp([O + A, 32, A], Rng.seed(2), 0.01), logStd: new Array(A).fill(-1), scale: 0.1,
      bound: residualBound(artifact.specs.action, 0.1, baseActionRange(artifact)), training: {},
    });
    const rp = await ResidualPolicy.create(res, { rng: Rng.seed(1) });
    expect(rp.base.chunk).toMatchObject({ horizon: 16, execute: 8, obsHistory: 2 });
    expect((rp.base as unknown as { inferenceSteps: number }).inferenceSteps).toBe(1);
    for (let k = 0; k < 10; k++) expect(Array.from(rp.act(demos.obs.subarray(k * O, (k + 1) * O))).every(Number.isFinite)).toBe(true);
  });
});
