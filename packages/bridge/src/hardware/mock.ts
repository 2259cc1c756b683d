/**
 * MockHardware (ros2_control's mock_components style): commands are copied into the state, so the measured pose
 * follows the position targets exactly. For unit tests and loop benchmarks without physics. Fault hooks let tests
 * make the state stale or non-finite, or the link fail.
 */
import type { HardwareInterface, RobotCommand, RobotState } from '../types.ts';
import { makeState } from '../command.ts';
import { nowS } from '../timing/clock.ts';

export interface MockHardwareOptions {
  jointNames: string[];
  /** Initial joint positions (rad), default 0. */
  initialPos?: number[];
}

export class MockHardware implements HardwareInterface {
  readonly name = 'mock';
  readonly jointNames: readonly string[];
  /** Fault injection: read() returns null (stale) while true. */
  stale = false;
  /** Fault injection: read() reports NaN positions while true. */
  garbage = false;
  /** Fault injection: write() fails (link down) while true. */
  linkDown = false;
  /** Every command written, if `keep` is set (copies). */
  readonly written: RobotCommand[] = [];
  keep = false;
  last: RobotCommand | null = null;
  private readonly state: RobotState;
  private counters = { reads: 0, writes: 0, stale_reads: 0, failed_writes: 0 };
  active = false;

  constructor(o: MockHardwareOptions) {
    this.jointNames = [...o.jointNames];
    this.state = makeState(o.jointNames.length);
    if (o.initialPos) this.state.jointPos.set(o.initialPos);
  }
  async configure(): Promise<void> {}
  async activate(): Promise<void> {
    this.active = true;
  }
  async deactivate(): Promise<void> {
    this.active = false;
  }
  read(t: number): RobotState | null {
    this.counters.reads++;
    if (this.stale) {
      this.counters.stale_reads++;
      return null;
    }
    const s = this.state;
    s.stamp = t;
    s.receivedAt = nowS();
    if (this.garbage) {
      s.jointPos.fill(NaN);
      return s;
    }
    return s;
  }
  write(_t: number, period: number, cmd: RobotCommand): boolean {
    if (this.linkDown) {
      this.counters.failed_writes++;
      return false;
    }
    this.counters.writes++;
    const s = this.state;
    if (cmd.mode === 'position') {
      for (let i = 0; i < s.jointPos.length; i++) {
        const q = cmd.position[i]!;
        s.jointVel[i] = (q - s.jointPos[i]!) / period;
        s.jointPos[i] = q;
      }
    } else {
      s.jointVel.fill(0);
    }
    if (this.keep) this.written.push({ mode: cmd.mode, position: cmd.position.slice(), velocity: cmd.velocity.slice(), effort: cmd.effort.slice(), kp: cmd.kp.slice(), kd: cmd.kd.slice() });
    this.last = cmd;
    return true;
  }
  stats(): Record<string, number> {
    return { ...this.counters };
  }
}
