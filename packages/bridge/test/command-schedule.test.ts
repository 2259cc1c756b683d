/**
 * The velocity-command schedule (`--commands`) through the real PolicyController: its clock starts when the policy
 * first takes over and runs on through a watchdog or e-stop pause. (deploy.test.ts's CLI run flaked under load when
 * a stall triggered the watchdog and the re-activated policy replayed the schedule from its first entry.)
 */
import { describe, expect, it } from 'vitest';
import { PolicyController } from '../src/loop/policy-controller.ts';
import { InlineSource } from '../src/loop/action-source.ts';
import { MockHardware } from '../src/hardware/mock.ts';
import { commandAt, parseCommandSchedule } from '../src/policy/command-schedule.ts';
import { constantPolicy } from './helpers/policies.ts';

describe('velocity-command schedule', () => {
  it('parses, sorts and looks up entries; bad entries are one-line errors naming the entry', () => {
    const s = parseCommandSchedule('0,0,0.3@0.5; 0.3,0,0@0');
    expect(s.map((e) => e.t)).toEqual([0, 0.5]);
    expect(Array.from(commandAt(s, 0.49, new Float64Array(3)))).toEqual([0.3, 0, 0]);
    expect(Array.from(commandAt(s, 0.5, new Float64Array(3)))).toEqual([0, 0, 0.3]);
    expect(() => parseCommandSchedule('0.3,0,0@0;1,2@1')).toThrow(/--commands entry 2 "1,2@1"/);
    expect(() => parseCommandSchedule('0,0,0@-1')).toThrow(/--commands entry 1 .*≥ 0/);
  });

  it('a watchdog pause (the controller inactive, then active again) does not restart the schedule', () => {
    const joints = ['a', 'b'];
    const policy = constantPolicy({ joints, defaultPose: [0, 0] });
    const period = 0.002; // 500 Hz ticks, policy every 10 (50 Hz)
    const c = new PolicyController({ policy, source: new InlineSource(policy, () => 0), hwJoints: joints, decimation: 10, period, clock: () => 0, commands: parseCommandSchedule('0.3,0,0@0;0,0,0.3@0.5') });
    const hw = new MockHardware({ jointNames: joints });
    // Loop time 1.0 s: soft start over, the policy takes over. Active 1.0–1.6 s, the watchdog damps 1.6–1.7 s
    // (inactive), active again from 1.7 s: schedule time 0.7 s, past the switch at 0.5 s.
    const seen: { t: number; cmd: number[] }[] = [];
    for (let i = 500; i < 1000; i++) {
      const t = i * period;
      const active = t < 1.6 - 1e-9 || t >= 1.7 - 1e-9;
      c.update(t, hw.read(t), active);
      if (c.policyTick) seen.push({ t, cmd: Array.from(c.input.command) });
    }
    expect(seen[0]).toEqual({ t: 1, cmd: [0.3, 0, 0] });
    const after = seen.filter((s) => s.t >= 1.7 - 1e-9);
    expect(after.length).toBeGreaterThan(5);
    // Every policy step after the pause has the second entry: schedule time is loop time since the first takeover.
    expect(after.every((s) => s.cmd[2] === 0.3 && s.cmd[0] === 0)).toBe(true);
    // And before the pause the switch came at 1.5 s (schedule time 0.5 s).
    expect(seen.filter((s) => s.t < 1.5 - 1e-9).every((s) => s.cmd[0] === 0.3)).toBe(true);
    expect(seen.filter((s) => s.t >= 1.5 - 1e-9 && s.t < 1.6).every((s) => s.cmd[2] === 0.3)).toBe(true);
  });
});
