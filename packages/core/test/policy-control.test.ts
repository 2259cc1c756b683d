/**
 * The control block against an action pipeline (contract/policy-control.ts): one rule, used by readPolicyControl
 * for an artifact's stored pipeline and by the bridge for a task's pipeline behind an older artifact.
 */
import { describe, expect, it } from 'vitest';
import { pipelineDisagreement } from '../src/contract/policy-control.ts';
import type { ActionPipelineSpec } from '../src/contract/deploy.ts';

const control = { actionMode: 'position' as const, actionScale: 0.25, defaultPose: [0.1, -1.5], jointNames: ['hip', 'calf'] };
const pipeline = (over: Partial<ActionPipelineSpec> = {}): ActionPipelineSpec => ({
  mode: 'position',
  joints: ['hip', 'calf'],
  low: -1,
  high: 1,
  scale: 0.25,
  offset: [0.1, -1.5],
  lower: [null, null],
  upper: [null, null],
  maxRate: [null, null],
  substepDt: 0.005,
  ...over,
});

describe('pipelineDisagreement', () => {
  it('agrees with a pipeline built from the same facts, to what JSON keeps of them', () => {
    expect(pipelineDisagreement(control, pipeline())).toBeNull();
    expect(pipelineDisagreement(control, pipeline({ scale: 0.25 + 1e-12, offset: [0.1 + 1e-8, -1.5] }))).toBeNull();
  });

  it('names the first field that differs, on both sides, with both values', () => {
    expect(pipelineDisagreement(control, pipeline({ mode: 'torque' }))).toEqual({ pipelineField: 'mode', controlField: 'control.actionMode', control: 'position', pipeline: 'torque' });
    expect(pipelineDisagreement(control, pipeline({ scale: 0.5 }))).toEqual({ pipelineField: 'scale', controlField: 'control.actionScale', control: 0.25, pipeline: 0.5 });
    expect(pipelineDisagreement(control, pipeline({ offset: [0.1, -1.4] }))).toEqual({
      pipelineField: 'offset of joint "calf"',
      controlField: 'control.defaultPose of joint "calf"',
      control: -1.5,
      pipeline: -1.4,
    });
    expect(pipelineDisagreement(control, pipeline({ scale: Number.NaN }))?.pipelineField).toBe('scale');
  });

  it('in torque mode the offset is not the default pose, so it is not compared', () => {
    const torque = { ...control, actionMode: 'torque' as const };
    expect(pipelineDisagreement(torque, pipeline({ mode: 'torque', offset: [0, 0] }))).toBeNull();
  });
});
