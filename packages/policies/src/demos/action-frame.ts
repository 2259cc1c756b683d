/**
 * The frame an imitation policy predicts actions in, stored in its artifact (model.actionFrame).
 *
 * - absent / 'absolute': the net outputs the action itself (normalized).
 * - 'relative': the net outputs offsets from the command in force when it plans — the `last_action` term of
 *   the newest observation — and the policy adds them back (windows.ts: relativeTargets). Experts that servo
 *   (each command = previous command + a small correction, like the z1-push planner or any IK teleop) are
 *   learned far better this way: the absolute action is dominated by the previous command, which an imitator
 *   then copies (copycat), while the move it should learn is a small fraction of the action range.
 */
import type { SpaceSpec } from '@s2r/sim/env/types.ts';
import { ArtifactError } from '../artifact.ts';

export interface RelativeActionFrame {
  type: 'relative';
  /** The observation term holding the previous command (action units). */
  obsTerm: string;
  /** Its offset in the observation vector. */
  obsOffset: number;
}

export type ActionFrameName = 'absolute' | 'relative';

/** Where the previous command sits in the observation; an error names the spec's terms when it is missing. */
export function relativeFrame(spec: SpaceSpec, actDim: number, term = 'last_action', who = 'actionFrame "relative"'): RelativeActionFrame {
  let off = 0;
  for (const t of spec.terms) {
    if (t.name === term) {
      if (t.size !== actDim) throw new Error(`${who}: observation term "${term}" has ${t.size} values, the action has ${actDim}`);
      return { type: 'relative', obsTerm: term, obsOffset: off };
    }
    off += t.size;
  }
  throw new Error(`${who}: needs the previous command in the observation, but there is no "${term}" term (terms: ${spec.terms.map((t) => t.name).join(', ')})`);
}

/**
 * The frame a learner trains in: 'relative' requires a `last_action` term, 'auto' uses it when the observation has
 * one of the action's size, 'absolute' never. Undefined means absolute.
 */
export function resolveActionFrame(spec: SpaceSpec, actDim: number, mode: ActionFrameName | 'auto', who: string): RelativeActionFrame | undefined {
  if (mode !== 'auto' && mode !== 'absolute' && mode !== 'relative') throw new Error(`${who}: actionFrame must be "auto", "absolute" or "relative", got ${JSON.stringify(mode)}`);
  if (mode === 'absolute') return undefined;
  if (mode === 'auto' && !spec.terms.some((t) => t.name === 'last_action' && t.size === actDim)) return undefined;
  return relativeFrame(spec, actDim, 'last_action', `${who}: actionFrame "relative"`);
}

/** Validate an artifact's model.actionFrame against its observation spec. */
export function checkActionFrame(raw: unknown, spec: SpaceSpec, actDim: number, where: string): RelativeActionFrame | undefined {
  if (raw === undefined || raw === null) return undefined;
  const f = raw as Partial<RelativeActionFrame>;
  if (f.type !== 'relative') throw new ArtifactError(`${where}: model.actionFrame.type`, `must be "relative", got ${JSON.stringify(f.type)}`);
  let expect: RelativeActionFrame;
  try {
    expect = relativeFrame(spec, actDim, String(f.obsTerm), `${where}: model.actionFrame`);
  } catch (e) {
    throw new ArtifactError(`${where}: model.actionFrame.obsTerm`, (e as Error).message);
  }
  if (f.obsOffset !== expect.obsOffset) throw new ArtifactError(`${where}: model.actionFrame.obsOffset`, `is ${f.obsOffset}, but term "${f.obsTerm}" starts at ${expect.obsOffset}`);
  return expect;
}

/**
 * Add the previous command (from `obs`, the newest frame) to each of the H actions of `chunk`, in place, and clip
 * to the action bounds as the env does before executing: the previous command then never leaves them, so moves
 * cannot accumulate past a limit at deployment that training saturated.
 */
export function toAbsolute(frame: RelativeActionFrame | undefined, obs: ArrayLike<number>, obsOff: number, chunk: Float32Array, actDim: number, low = -Infinity, high = Infinity): void {
  if (!frame) return;
  const o = obsOff + frame.obsOffset;
  for (let i = 0; i < chunk.length; i++) {
    const v = chunk[i]! + obs[o + (i % actDim)]!;
    chunk[i] = v < low ? low : v > high ? high : v;
  }
}
