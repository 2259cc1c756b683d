/**
 * Shared-memory channel between SimHardware (control thread) and the simulator worker: a state slot and a command
 * slot, each behind a seqlock (odd sequence = being written), and a few counters. No messages on the hot path.
 */
export const SIM_CTR = {
  STEPS: 0,
  CMDS_APPLIED: 1,
  CMDS_DROPPED: 2,
  STATES_DROPPED: 3,
  FALLS: 4,
  /** Worst real-time lag of the physics thread (µs). */
  MAX_LAG_US: 5,
  /** Times the physics thread fell > 10 steps behind and re-anchored. */
  REANCHORS: 6,
  /** 1 when the robot is currently fallen. */
  FALLEN: 7,
  /** Scene tasks: 1 once the task's success held (e.g. z1-push: block within tolerance of the goal), its sim time (s). */
  TASK_SUCCESS: 8,
  TASK_SUCCESS_AT: 9,
  SIZE: 10,
} as const;

export const SIM_FLAG = { ACTIVE: 0, STOP: 1, STATE_SEQ: 2, CMD_SEQ: 3, SIZE: 4 } as const;

export interface SimChannel {
  flags: SharedArrayBuffer; // Int32 × SIM_FLAG.SIZE
  state: SharedArrayBuffer; // Float64 × stateLen(n)
  command: SharedArrayBuffer; // Float64 × cmdLen(n)
  counters: SharedArrayBuffer; // Float64 × SIM_CTR.SIZE
  n: number;
  /** External inputs the scene reports (name, size), stored after the base position in this order. */
  inputs: { name: string; size: number }[];
}

/** State slot: [simTime, q(n), qd(n), tau(n), angVel(3), gravity(3), quat(4), linVel(3), basePos(3), inputs(m)] */
export const stateLen = (n: number, m = 0) => 1 + 3 * n + 16 + m;
/** Command slot: [mode, pos(n), vel(n), eff(n), kp(n), kd(n)] */
export const cmdLen = (n: number) => 1 + 5 * n;

export function makeSimChannel(n: number, inputs: { name: string; size: number }[] = []): SimChannel {
  const m = inputs.reduce((a, e) => a + e.size, 0);
  return {
    inputs,
    flags: new SharedArrayBuffer(SIM_FLAG.SIZE * 4),
    state: new SharedArrayBuffer(stateLen(n, m) * 8),
    command: new SharedArrayBuffer(cmdLen(n) * 8),
    counters: new SharedArrayBuffer(SIM_CTR.SIZE * 8),
    n,
  };
}
