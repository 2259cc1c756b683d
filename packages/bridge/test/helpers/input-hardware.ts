/**
 * A hardware module (`{ kind: 'module' }`) that provides external inputs: the mock robot plus a "tracker" that
 * reports a fixed block pose and goal with every state until `trackerStopsAfterS` seconds of loop time.
 */
import { MockHardware } from '../../src/hardware/mock.ts';
import type { HardwareInterface, RobotCommand, RobotState } from '../../src/types.ts';

export function trackedMock(o: { jointNames: string[]; initialPos: number[]; block: number[]; goal: number[]; trackerStopsAfterS?: number }): HardwareInterface {
  const m = new MockHardware({ jointNames: o.jointNames, initialPos: o.initialPos });
  const inputs = { blockPose: Float64Array.from(o.block), goal: Float64Array.from(o.goal) };
  const at = { blockPose: 0, goal: 0 };
  return {
    name: 'tracked-mock',
    jointNames: m.jointNames,
    inputs: ['blockPose', 'goal'],
    configure: () => m.configure(),
    activate: () => m.activate(),
    deactivate: () => m.deactivate(),
    stats: () => m.stats(),
    write: (t: number, period: number, c: RobotCommand) => m.write(t, period, c),
    read(t: number): RobotState | null {
      const s = m.read(t);
      if (!s) return s;
      // The tracker's poses carry their own receive time (host s): fresh until it stops, then ageing.
      if (o.trackerStopsAfterS === undefined || t < o.trackerStopsAfterS) at.blockPose = at.goal = performance.now() / 1000;
      return Object.assign(s, { inputs, inputsAt: at });
    },
  };
}
