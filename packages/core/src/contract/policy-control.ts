/**
 * PolicyControl: how a trained policy's output becomes joint commands — the one shape for these facts, stored as an
 * artifact's `control` block, carried by every loaded Policy (`policy.meta.control`) and read by the bridge.
 * Before this, policies had a flattened copy (`PolicyMeta.defaultPose`, `.actionScale`, …) beside the stored
 * `ArtifactControl`, two names for the same data.
 *
 * Field names are the ones schemaVersion-1 artifacts already use, so a file written before this type existed reads
 * as is: `readPolicyControl` validates it and never fills a missing field with a default. The one field older files
 * lack, `pipeline` (stored since issue 11), stays absent: the deployer then takes its task's pipeline and checks it
 * against these facts (bridge/src/policy/artifact.ts) instead of guessing.
 * Units: s, rad (m for prismatic joints), N·m/rad, N·m·s/rad; actions in action units.
 */
import { checkPipelineSpec } from '../action/pipeline.ts';
import type { ActionPipelineSpec } from './deploy.ts';
import type { ActionMode } from './spaces.ts';

export interface PolicyControl {
  /** Policy period (s) = physicsDt × decimation; the policy rate is 1/dt Hz. */
  dt: number;
  /** command = defaultPose + actionScale·a (position mode) or actionScale·a (torque mode). */
  actionScale: number;
  actionMode: ActionMode;
  /** The bounds actions were clipped to in training (the task's, narrowed by the trainer's clip). */
  actionLow: number;
  actionHigh: number;
  /** Action joints, in action order. */
  jointNames: string[];
  /** Default joint positions (rad or m), jointNames order. */
  defaultPose: number[];
  /** PD gains the policy was trained with, per joint, or null when the task has none (torque tasks). */
  kp: number[] | null;
  kd: number[] | null;
  /**
   * The action pipeline the policy was trained behind: limits, rate limit, substep grid. Absent only in files written
   * before issue 11 (schemaVersion 1 allows both); when present it must agree with the fields above.
   */
  pipeline?: ActionPipelineSpec;
}

/** One way an action pipeline disagrees with a control block: the field on each side and their values. */
export interface PipelineDisagreement {
  /** The pipeline's field, e.g. `scale` or `offset of joint "FR_calf_joint"`. */
  pipelineField: string;
  /** The control block's field, e.g. `control.actionScale` or `control.defaultPose of joint "FR_calf_joint"`. */
  controlField: string;
  control: unknown;
  pipeline: unknown;
}

/**
 * The first way action pipeline `p` disagrees with the control block's flat fields — mode, scale (to 1e-9), and
 * in position mode each joint's offset, which is the default pose (to 1e-6: what JSON keeps of an angle) — or
 * null. One rule for both pipelines a deployment can act through: the artifact's own (readPolicyControl) and, for
 * an artifact written before pipelines were stored, its task's (the bridge's policy/artifact.ts).
 */
export function pipelineDisagreement(c: Pick<PolicyControl, 'actionMode' | 'actionScale' | 'defaultPose' | 'jointNames'>, p: ActionPipelineSpec): PipelineDisagreement | null {
  if (p.mode !== c.actionMode) return { pipelineField: 'mode', controlField: 'control.actionMode', control: c.actionMode, pipeline: p.mode };
  if (!(Math.abs(p.scale - c.actionScale) <= 1e-9)) return { pipelineField: 'scale', controlField: 'control.actionScale', control: c.actionScale, pipeline: p.scale };
  if (p.mode === 'position')
    for (let i = 0; i < c.defaultPose.length; i++) {
      const q = c.defaultPose[i]!;
      if (!(Math.abs(q - p.offset[i]!) <= 1e-6)) {
        const joint = `of joint "${c.jointNames[i]}"`;
        return { pipelineField: `offset ${joint}`, controlField: `control.defaultPose ${joint}`, control: q, pipeline: p.offset[i] };
      }
    }
  return null;
}

/** Throws with the field path (e.g. `control.dt`) and what is wrong; the caller decides the error type and prefix. */
export type ControlFail = (field: string, message: string) => never;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validate a stored `control` block against the artifact's action joints. Every check names the field; nothing is
 * defaulted. Returns the same object, typed.
 */
export function readPolicyControl(raw: unknown, actionJoints: readonly string[], fail: ControlFail): PolicyControl {
  if (!isObj(raw)) return fail('control', 'missing');
  const c = raw as unknown as PolicyControl;
  const n = actionJoints.length;
  if (!(typeof c.dt === 'number' && c.dt > 0)) fail('control.dt', 'must be a positive number (s)');
  if (!(typeof c.actionScale === 'number' && Number.isFinite(c.actionScale))) fail('control.actionScale', 'must be a finite number');
  if (c.actionMode !== 'position' && c.actionMode !== 'torque') fail('control.actionMode', `must be "position" or "torque", got ${JSON.stringify(c.actionMode)}`);
  if (!(Array.isArray(c.jointNames) && c.jointNames.length === n)) fail('control.jointNames', `must list ${n} names`);
  if (!c.jointNames.every((j, i) => j === actionJoints[i])) fail('control.jointNames', 'disagree with specs.action.joints');
  if (!(Array.isArray(c.defaultPose) && c.defaultPose.length === n && c.defaultPose.every(Number.isFinite))) fail('control.defaultPose', `must hold ${n} finite angles`);
  for (const g of ['kp', 'kd'] as const) {
    const v = c[g];
    if (!(v === null || (Array.isArray(v) && v.length === n && v.every(Number.isFinite)))) fail(`control.${g}`, `must be null or ${n} finite gains`);
  }
  if (!(typeof c.actionLow === 'number' && typeof c.actionHigh === 'number' && c.actionLow < c.actionHigh)) fail('control.actionLow/actionHigh', 'must be numbers with low < high');
  if (c.pipeline !== undefined) {
    const p = c.pipeline;
    if (!isObj(p)) fail('control.pipeline', 'must be an object');
    try {
      checkPipelineSpec(p);
    } catch (e) {
      fail('control.pipeline', (e as Error).message);
    }
    if (!(p.joints.length === n && p.joints.every((j, i) => j === actionJoints[i]))) fail('control.pipeline.joints', 'disagree with specs.action.joints');
    // One fact, one value: a pipeline that disagrees with the flat fields would make the env and the bridge differ.
    const differs = (field: string, flat: unknown, piped: unknown) => fail(`control.pipeline.${field}`, `is ${JSON.stringify(piped)} but control says ${JSON.stringify(flat)}`);
    const d = pipelineDisagreement(c, p);
    if (d) differs(d.pipelineField, d.control, d.pipeline);
    if (p.low !== c.actionLow) differs('low', c.actionLow, p.low);
    if (p.high !== c.actionHigh) differs('high', c.actionHigh, p.high);
  }
  return c;
}
