/**
 * Lock-free single-producer/single-consumer ring in shared memory: the control thread writes one fixed-size slot
 * per tick (state, command sent, action, timing) and never blocks; the main thread drains it for recording and
 * figures. If the consumer falls behind by a full ring, the producer drops the record and counts it.
 */
import type { RobotCommand, RobotState } from '../types.ts';

const HDR = { WRITE: 0, READ: 1, DROPPED: 2, SIZE: 4 } as const;
/** Fixed fields at the start of every slot. */
export const F = {
  tick: 0, t: 1, lateness_us: 2, exec_us: 3, missed: 4, phase: 5, written: 6, policy_tick: 7, mode: 8,
  base_x: 9, base_y: 10, base_z: 11, qx: 12, qy: 13, qz: 14, qw: 15, cmd_vx: 16, cmd_vy: 17, cmd_wz: 18, has_state: 19, has_base: 20,
  COUNT: 21,
} as const;
export const MODES = ['position', 'damping', 'zero_torque'] as const;

export interface TickRingBuffers {
  header: SharedArrayBuffer;
  data: SharedArrayBuffer;
  slots: number;
  n: number;
  a: number;
}

export function makeTickRing(slots: number, nJoints: number, nActions: number): TickRingBuffers {
  const stride = F.COUNT + 6 * nJoints + nActions;
  return { header: new SharedArrayBuffer(HDR.SIZE * 4), data: new SharedArrayBuffer(slots * stride * 8), slots, n: nJoints, a: nActions };
}

export interface TickRecord {
  f: Float64Array; // fixed fields (see F)
  q: Float64Array;
  qd: Float64Array;
  tau: Float64Array;
  cmdPos: Float64Array;
  cmdKp: Float64Array;
  cmdKd: Float64Array;
  action: Float64Array;
}

export class TickRing {
  readonly stride: number;
  private readonly hdr: Int32Array;
  private readonly data: Float64Array;
  private readonly slots: number;
  readonly n: number;
  readonly a: number;
  constructor(b: TickRingBuffers) {
    this.hdr = new Int32Array(b.header);
    this.data = new Float64Array(b.data);
    this.slots = b.slots;
    this.n = b.n;
    this.a = b.a;
    this.stride = F.COUNT + 6 * b.n + b.a;
  }

  /** Producer side (control thread). `extra` fills the fixed fields the loop itself does not know. */
  push(
    tick: number, t: number, latenessUs: number, execUs: number, missed: number, phase: number, written: boolean,
    state: RobotState | null, sent: RobotCommand, action: Float32Array | null, policyTick: boolean, commands: ArrayLike<number> | null,
  ): boolean {
    const w = Atomics.load(this.hdr, HDR.WRITE);
    const r = Atomics.load(this.hdr, HDR.READ);
    if (w - r >= this.slots) {
      Atomics.add(this.hdr, HDR.DROPPED, 1);
      return false;
    }
    const d = this.data;
    const o = (w % this.slots) * this.stride;
    const n = this.n;
    d[o + F.tick] = tick;
    d[o + F.t] = t;
    d[o + F.lateness_us] = latenessUs;
    d[o + F.exec_us] = execUs;
    d[o + F.missed] = missed;
    d[o + F.phase] = phase;
    d[o + F.written] = written ? 1 : 0;
    d[o + F.policy_tick] = policyTick ? 1 : 0;
    d[o + F.mode] = MODES.indexOf(sent.mode);
    d[o + F.has_state] = state ? 1 : 0;
    const bp = state?.basePosition;
    d[o + F.has_base] = bp ? 1 : 0;
    if (bp) {
      d[o + F.base_x] = bp[0];
      d[o + F.base_y] = bp[1];
      d[o + F.base_z] = bp[2];
    }
    const q = state?.imu?.quat;
    if (q) {
      d[o + F.qx] = q[0];
      d[o + F.qy] = q[1];
      d[o + F.qz] = q[2];
      d[o + F.qw] = q[3];
    } else {
      d[o + F.qx] = d[o + F.qy] = d[o + F.qz] = 0;
      d[o + F.qw] = 1;
    }
    d[o + F.cmd_vx] = commands ? commands[0]! : 0;
    d[o + F.cmd_vy] = commands ? commands[1]! : 0;
    d[o + F.cmd_wz] = commands ? commands[2]! : 0;
    let p = o + F.COUNT;
    if (state) {
      d.set(state.jointPos, p);
      d.set(state.jointVel, p + n);
      d.set(state.jointEffort, p + 2 * n);
    } else {
      d.fill(NaN, p, p + 3 * n);
    }
    p += 3 * n;
    d.set(sent.position, p);
    d.set(sent.kp, p + n);
    d.set(sent.kd, p + 2 * n);
    p += 3 * n;
    if (action) d.set(action, p);
    else if (this.a) d.fill(NaN, p, p + this.a);
    Atomics.store(this.hdr, HDR.WRITE, w + 1);
    return true;
  }

  /** Consumer side: call `fn` for each pending record (views valid only during the call). Returns how many. */
  drain(fn: (r: TickRecord) => void): number {
    const w = Atomics.load(this.hdr, HDR.WRITE);
    let r = Atomics.load(this.hdr, HDR.READ);
    let count = 0;
    const n = this.n;
    while (r < w) {
      const o = (r % this.slots) * this.stride;
      const d = this.data;
      const p = o + F.COUNT;
      fn({
        f: d.subarray(o, p),
        q: d.subarray(p, p + n),
        qd: d.subarray(p + n, p + 2 * n),
        tau: d.subarray(p + 2 * n, p + 3 * n),
        cmdPos: d.subarray(p + 3 * n, p + 4 * n),
        cmdKp: d.subarray(p + 4 * n, p + 5 * n),
        cmdKd: d.subarray(p + 5 * n, p + 6 * n),
        action: d.subarray(p + 6 * n, p + 6 * n + this.a),
      });
      r++;
      count++;
      Atomics.store(this.hdr, HDR.READ, r);
    }
    return count;
  }

  get dropped(): number {
    return Atomics.load(this.hdr, HDR.DROPPED);
  }
}
