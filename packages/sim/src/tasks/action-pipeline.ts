/**
 * The action pipeline's settings for a task, read from the robot description (the only source of joint limits).
 * A task calls this once; the same ActionPipelineSpec drives its env (ManagerEnv runs @s2r/core's ActionPipeline)
 * and goes into its DeploySpec, so the bridge runs the very same filter on hardware.
 */
import type { ActionMode, ActionPipelineSpec } from '@s2r/core';
import type { RobotModel } from '@s2r/core';

export interface PipelineSettings {
  mode: ActionMode;
  /** Action joints, in action order. */
  joints: readonly string[];
  /** Action bounds (action units): actions are clipped to [low, high]. */
  low: number;
  high: number;
  /** command = offset + scale·a. */
  scale: number;
  /** Per action joint: the default pose (position mode) or 0 (torque mode). */
  offset: ArrayLike<number>;
  /** Position mode: clamp targets to the URDF position limits. Torque mode: clamp efforts to ±URDF effort. */
  clampToLimits: boolean;
  /** Max target rate (rad/s), 'urdf' for each joint's URDF velocity limit (capped at maxRateCap), or null. */
  maxRate: number | 'urdf' | null;
  /** Cap on the 'urdf' rate (rad/s). */
  maxRateCap?: number;
  /** Physics step (s): the grid the rate limit runs on. */
  substepDt: number;
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function pipelineSpec(model: RobotModel, s: PipelineSettings): ActionPipelineSpec {
  const joints = s.joints.map((name) => {
    const j = model.joints.find((jj) => jj.name === name);
    if (!j) throw new Error(`action pipeline: joint "${name}" is not in robot "${model.name}" (${model.source})`);
    return j;
  });
  const n = joints.length;
  if (s.offset.length !== n) throw new Error(`action pipeline: offset has ${s.offset.length} values for ${n} action joints`);
  let lower: (number | null)[] = joints.map(() => null);
  let upper: (number | null)[] = joints.map(() => null);
  if (s.clampToLimits) {
    if (s.mode === 'position') {
      lower = joints.map((j) => finiteOrNull(j.limits.lower));
      upper = joints.map((j) => finiteOrNull(j.limits.upper));
    } else {
      // A URDF effort of 0 means "unspecified" on some robots (limits.ts reads it the same way): no clamp.
      lower = joints.map((j) => (j.limits.effort > 0 ? finiteOrNull(-j.limits.effort) : null));
      upper = joints.map((j) => (j.limits.effort > 0 ? finiteOrNull(j.limits.effort) : null));
    }
  }
  let maxRate: (number | null)[] = joints.map(() => null);
  if (s.mode === 'position' && s.maxRate !== null) {
    const cap = s.maxRateCap ?? Infinity;
    maxRate = joints.map((j) => {
      const v = s.maxRate === 'urdf' ? Math.min(j.limits.velocity > 0 ? j.limits.velocity : Infinity, cap) : (s.maxRate as number);
      return finiteOrNull(v);
    });
  }
  return {
    mode: s.mode,
    joints: [...s.joints],
    low: s.low,
    high: s.high,
    scale: s.scale,
    offset: Array.from(s.offset),
    lower,
    upper,
    maxRate,
    substepDt: s.substepDt,
  };
}
