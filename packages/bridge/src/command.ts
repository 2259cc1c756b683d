/** Allocation helpers for RobotCommand / RobotState (allocate once, reuse on the hot path). */
import type { CommandMode, RobotCommand, RobotState } from './types.ts';

export function makeCommand(n: number, mode: CommandMode = 'position'): RobotCommand {
  return {
    mode,
    position: new Float64Array(n),
    velocity: new Float64Array(n),
    effort: new Float64Array(n),
    kp: new Float64Array(n),
    kd: new Float64Array(n),
  };
}

export function copyCommand(dst: RobotCommand, src: RobotCommand): RobotCommand {
  dst.mode = src.mode;
  dst.position.set(src.position);
  dst.velocity.set(src.velocity);
  dst.effort.set(src.effort);
  dst.kp.set(src.kp);
  dst.kd.set(src.kd);
  return dst;
}

export function cloneCommand(src: RobotCommand): RobotCommand {
  return copyCommand(makeCommand(src.position.length), src);
}

export function makeState(n: number): RobotState {
  return {
    stamp: 0,
    receivedAt: 0,
    jointPos: new Float64Array(n),
    jointVel: new Float64Array(n),
    jointEffort: new Float64Array(n),
  };
}

export function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return false;
  return true;
}
