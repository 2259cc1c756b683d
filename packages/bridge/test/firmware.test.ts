/**
 * The firmware emulator as a program: CLI errors name what is wrong, --pty mode, joint limits and initial pose
 * reach the bridge through CONFIG/STATE, --duration exits with stats. (The C unit tests themselves run in
 * `npm test` via `make -C hardware/firmware test`.)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SerialHardware } from '../src/hardware/serial.ts';
import { buildFirmware, EMU, Emulator } from './serial-rig.ts';
import { waitFor } from '../../../test/helpers/wait.ts';

beforeAll(() => buildFirmware());

const run = (args: string[]) => spawnSync(EMU, args, { encoding: 'utf8', timeout: 10_000 });

describe('s2r-emu CLI', () => {
  it('--help prints the usage', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/usage: s2r-emu \(--tty PATH \| --pty/);
  });
  it.each([
    [['--pty', '--frobnicate'], /unknown option --frobnicate/],
    [[], /give exactly one of --tty PATH or --pty/],
    [['--pty', '--rate', '5'], /--rate must be 10\.\.20000 Hz/],
    [['--pty', '--joints', 'a:1:2'], /"a:1:2" needs name:pos_min:pos_max:vel_max:effort_max/],
    [['--pty', '--joints', Array.from({ length: 17 }, (_, i) => `j${i}`).join(',')], /more than 16 joints/],
    [['--pty', '--init', '0.1,x'], /--init: bad number at joint 1/],
    [['--pty', '--watchdog-ms'], /--watchdog-ms needs a value/],
    [['--pty', '--stream-backlog', 'four'], /--stream-backlog must be 0\.\.100 states/],
  ])('rejects %j with a clear message', (args, msg) => {
    const r = run(args as string[]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(msg as RegExp);
  });
});

describe('s2r-emu --pty', () => {
  it('serves the bridge on its own pty; joint limits and initial pose arrive via CONFIG and STATE', async () => {
    const link = join(mkdtempSync(join(tmpdir(), 's2r-emu-')), 'dev');
    const emu = Emulator.start(['--pty', '--link', link, '--joints', 'a:-1:1.5:5:2,b', '--init', '0.25,-0.5', '--heartbeat-ms', '0']);
    try {
      await waitFor(() => emu.stdout.includes('PTY '), 'PTY line', { timeoutMs: 5000 });
      const hw = new SerialHardware({ path: link, jointNames: ['a', 'b'] });
      await hw.configure();
      const L = hw.deviceLimits;
      expect(L[0]).toEqual({ posMin: -1, posMax: 1.5, velMax: 5, effortMax: 2 });
      expect(L[1]).toEqual({ posMin: -3, posMax: 3, velMax: 30, effortMax: 33.5 }); // defaults
      let s = null;
      await waitFor(() => (s = hw.read(0, 0)) !== null, 'a state', { timeoutMs: 10_000 });
      expect(Array.from(s!.jointPos)).toEqual([0.25, -0.5]);
      await hw.deactivate();
    } finally {
      const stats = await emu.stop();
      expect(stats.emu).toBe('stats');
      expect(Number(stats.ticks)).toBeGreaterThan(0);
    }
  });

  it('--duration exits by itself with a stats line', () => {
    const r = run(['--pty', '--duration', '0.3', '--quiet']);
    expect(r.status).toBe(0);
    const stats = JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('{'))!);
    // 0.3 s at 1 kHz, minus whatever this shared machine's scheduler took.
    expect(stats.ticks + stats.missed).toBeGreaterThanOrEqual(290);
    expect(stats.mode).toBe('idle');
  });
});
