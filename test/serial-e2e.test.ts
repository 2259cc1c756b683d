/**
 * End to end (issue 6): `s2r deploy` runs a Go1 policy artifact against the C firmware emulator over a socat pty
 * pair. Mid-run the link is killed (socat dies, as when a USB-serial adapter is unplugged). The firmware must go
 * to damping within its watchdog time; the deploy must survive, count the fault, reconnect when the link comes
 * back, and finish normally.
 * Also (issue 16): a second deploy on a port in use is refused naming the owner's pid; a device that dies mid-run
 * and never comes back makes the run failed (exit 4), not done.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeGo1Artifact } from '../packages/bridge/test/helpers/artifact.ts';
import { buildFirmware, Emulator, emulatorJoints, ensureSocat, PtyPair, REPO } from '../packages/bridge/test/serial-rig.ts';
import { waitFor } from './helpers/wait.ts';

const URDF = join(REPO, 'hardware/robots/s2r-go1/s2r-go1.urdf');
const WATCHDOG_MS = 50;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

beforeAll(() => {
  ensureSocat();
  buildFirmware();
});

/** A run folder with a Go1 artifact and a socat pty pair; `startEmu` starts the firmware emulator on its device end. */
async function rig() {
  const dir = mkdtempSync(join(tmpdir(), 's2r-e2e-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const artifact = join(dir, 'go1-policy');
  await writeGo1Artifact(artifact);
  mkdirSync(join(dir, 'pty'));
  const pair = await PtyPair.start(join(dir, 'pty'));
  cleanups.push(() => pair.kill());
  const startEmu = () => {
    const emu = Emulator.start(['--tty', pair.dev, '--joints', emulatorJoints(URDF), '--watchdog-ms', String(WATCHDOG_MS)]);
    cleanups.push(() => emu.stop());
    return emu;
  };
  return { artifact, pair, startEmu };
}

describe('s2r deploy → serial → firmware emulator', () => {
  it('link killed mid-run: firmware damps within its watchdog, deploy counts it, reconnects and finishes', async () => {
    const { artifact, pair, startEmu } = await rig();

    const deploy = spawn(process.execPath, [
      join(REPO, 'packages/cli/bin/s2r.mjs'), 'deploy',
      '--policy', artifact, '--robot', URDF, '--hardware', `serial:${pair.host}@1000000`,
      // Open-ended (60 s cap): the test ends the run with SIGTERM once the link is back and the policy runs again, so
      // a loaded host that is slow to reconnect cannot run out the clock with the link still down.
      '--rate', '500', '--policy-rate', '50', '--duration', '60', '--soft-start', '0.5',
    ], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => deploy.exitCode === null && deploy.kill('SIGKILL'));
    let out = '';
    let err = '';
    deploy.stdout.on('data', (d) => (out += d));
    deploy.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => deploy.once('exit', (c) => r(c)));
    // The emulator starts once the deploy process is up (its first log line), so this test is about the running
    // link. A device that streams long before the host opens the port is covered by serial-late-host.test.ts
    // (the firmware caps its state backlog, so the CONFIG reply always gets through).
    await waitFor(() => /deploy: /.test(err) || deploy.exitCode !== null, 'the deploy to start', { timeoutMs: 60_000 });
    const emu = startEmu();

    // The deploy configures the device, soft-starts and then streams position commands.
    const started = await emu.waitEvent((e) => e.event === 'mode' && e.to === 'position', 30_000, 'deploy commanding the firmware').catch((e: Error) => {
      throw new Error(`${e.message}\ndeploy ${deploy.exitCode === null ? 'still running' : `exited ${deploy.exitCode}`}; its stderr:\n${err.slice(-3000)}`);
    });
    await new Promise((r) => setTimeout(r, 800));
    expect(deploy.exitCode).toBeNull();

    await pair.kill();
    const down = await emu.waitEvent((e) => e.event === 'link_down', 2000, 'emulator link_down');
    // The trip under test is the one still in force after the kill: the last `watchdog` event not followed by a
    // `watchdog_clear`. (If the deploy process stalls for more than WATCHDOG_MS on a loaded host, an earlier trip
    // and clear can happen before the kill.) No order between it and link_down is asserted: when socat is
    // descheduled while dying, the commands stop before the hang-up reaches the device, and damping comes first.
    let wd: (typeof emu.events)[number] | undefined;
    await waitFor(() => {
      const last = emu.events.filter((e) => (e.event === 'watchdog' || e.event === 'watchdog_clear') && e.t_us > started.t_us).at(-1);
      wd = last?.event === 'watchdog' ? last : undefined;
      return wd !== undefined;
    }, `firmware watchdog after the link was killed; events: ${JSON.stringify(emu.events.slice(-6))}`, { timeoutMs: 2000 });
    expect(wd!.to).toBe('damping');
    // Device clock: damping on the first 1 ms control tick after WATCHDOG_MS without a command (that tick's
    // lateness on this shared host is reported with the event and allowed for).
    expect(wd!.cmd_age_us!).toBeGreaterThan(WATCHDOG_MS * 1000);
    expect(wd!.cmd_age_us!).toBeLessThanOrEqual(WATCHDOG_MS * 1000 + 1000 + wd!.tick_late_us! + 100);
    // It keeps damping while the link is down (the hold phase only starts after damp_ms = 1 s).
    await new Promise((r) => setTimeout(r, 500));
    expect(emu.events.some((e) => e.event === 'mode' && e.t_us > wd!.t_us && e.to === 'position')).toBe(false);

    // Plug the link back in: the emulator re-opens its end, the deploy's SerialHardware re-opens and resumes.
    await pair.start();
    const up = await emu.waitEvent((e) => e.event === 'link_up' && e.t_us > wd!.t_us, 3000, 'emulator link_up');
    const mark = err.length;
    await emu.waitEvent((e) => e.event === 'watchdog_clear' && e.t_us > up.t_us, 5000, 'commands again after reconnect');
    // The bridge's side: back in the running phase (the policy in control) after the reconnect. Then the operator
    // stops the run (SIGTERM, as systemd would): a run that recovered its link ends done.
    await waitFor(() => /phase running/.test(err.slice(mark)), `the deploy running again after the reconnect; stderr:\n${err.slice(-2000)}`, { timeoutMs: 30_000 });
    deploy.kill('SIGTERM');

    const code = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 30_000))]);
    expect(code, err.slice(-3000)).toBe(0);
    const summary = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(summary.deploy).toBe('done');
    expect(summary.stopped_by).toBe('SIGTERM');
    const hw = summary.hardware_stats as Record<string, number>;
    expect(hw.disconnects).toBeGreaterThanOrEqual(1);
    expect(hw.reconnects).toBeGreaterThanOrEqual(1);
    expect(hw.writesWhileDown).toBeGreaterThan(0);
    expect(hw.frameErrors).toBeLessThanOrEqual(2); // at most the frames cut by the kill itself
    // The bridge's own watchdog saw the stale state and damped on its side too.
    expect(summary.safety_interventions.watchdog).toBeGreaterThan(0);
    // The soft stop leaves the firmware damping.
    // (socat may exit once the deploy closes its end, so link events can follow: look at mode changes only.)
    const modes = () => emu.events.filter((e) => e.to !== undefined && e.event !== 'watchdog_clear');
    // (Damping, or the firmware's own next step after damp_ms of damping, hold, when this process was slow to look.)
    const safeEnd = () => {
      const m = modes();
      return m.at(-1)?.to === 'damping' || (m.at(-1)?.to === 'hold' && m.at(-2)?.to === 'damping');
    };
    await waitFor(safeEnd, `firmware damping after the deploy; events: ${JSON.stringify(emu.events.slice(-6))}`, { timeoutMs: 3000 });
  });
});

// Issue 16, same real parts: one device, one owner; and a device that dies mid-run and never comes back.

/** A deploy child process on `port`, with its output collected. */
function startDeploy(artifact: string, port: string, extra: string[]) {
  const p = spawn(process.execPath, [join(REPO, 'packages/cli/bin/s2r.mjs'), 'deploy', '--policy', artifact, '--robot', URDF,
    '--hardware', `serial:${port}@1000000`, '--rate', '500', '--policy-rate', '50', '--soft-start', '0.3', ...extra], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => p.exitCode === null && p.signalCode === null && p.kill('SIGKILL'));
  const r = { out: '', err: '', exited: new Promise<number | null>((res) => p.once('exit', (c) => res(c))) };
  p.stdout.on('data', (d) => (r.out += d));
  p.stderr.on('data', (d) => (r.err += d));
  return { p, r };
}

/**
 * The deploy got the device and ran: not refused, a summary printed. Its verdict may be done or failed (a loaded
 * host can starve the emulator's link: a 0.3 s run whose soft start the watchdog interrupts is rightly failed).
 */
async function expectRan(d: ReturnType<typeof startDeploy>): Promise<void> {
  expect([0, 4], d.r.err.slice(-2000)).toContain(await d.r.exited);
  expect(d.r.err).not.toMatch(/in use by/);
  expect(JSON.parse(d.r.out.trim().split('\n').at(-1)!).ticks).toBeGreaterThan(0);
}

/** Wait for a line on a deploy's stderr; a timeout or an early exit fails with its stderr. */
async function waitErr(d: ReturnType<typeof startDeploy>, re: RegExp, what: string): Promise<void> {
  await waitFor(() => re.test(d.r.err) || d.p.exitCode !== null, what, { timeoutMs: 90_000 }).catch((e: Error) => {
    throw new Error(`${e.message}; its stderr:\n${d.r.err.slice(-2000)}`);
  });
  if (!re.test(d.r.err)) throw new Error(`${what}: the deploy exited ${d.p.exitCode}; its stderr:\n${d.r.err.slice(-2000)}`);
}

describe('deploy on a serial device', () => {
  /** Start a deploy that holds the port, then the emulator (once the deploy is up, as above), and wait for control. */
  async function owner(artifact: string, pair: PtyPair, startEmu: () => Emulator) {
    const a = startDeploy(artifact, pair.host, ['--duration', '600']);
    await waitErr(a, /deploy: /, 'the deploy to start');
    const emu = startEmu();
    await waitErr(a, /phase running/, 'the deploy to take control');
    // Two live lines (1 s apart) still in the running phase: the policy has run (a stop now is a "done" run).
    const at = a.r.err.length;
    const running = () => (a.r.err.slice(at).match(/\[loop\][^\n]*phase=running/g) ?? []).length >= 2;
    await waitFor(() => running() || a.p.exitCode !== null, `the policy to run a second; stderr:\n${a.r.err.slice(-1000)}`, { timeoutMs: 90_000 });
    expect(a.p.exitCode, a.r.err.slice(-2000)).toBeNull();
    return { a, emu };
  }

  it('a second deploy on a port in use is refused with the owner pid; the first runs on and stops cleanly', async () => {
    const { artifact, pair, startEmu } = await rig();
    const { a } = await owner(artifact, pair, startEmu);

    const b = startDeploy(artifact, pair.host, ['--duration', '1']);
    const codeB = await b.r.exited;
    expect(codeB, b.r.err.slice(-2000)).toBe(1);
    expect(b.r.err).toMatch(new RegExp(`is in use by process ${a.p.pid} \\(.*deploy.*\\).*a device has one owner`));
    expect(b.r.err.trim().split('\n').filter((l) => l.startsWith('s2r deploy:'))).toHaveLength(1);
    expect(b.r.out).toBe('');
    // The owner never saw the intruder: it keeps control until stopped, then reports done.
    expect(a.p.exitCode).toBeNull();
    a.p.kill('SIGTERM');
    // done, or failed if the loaded host starved the emulator's link meanwhile: either way it ran until the signal.
    await expectRan(a);
    expect(JSON.parse(a.r.out.trim().split('\n').at(-1)!).stopped_by).toBe('SIGTERM');

    // Released on exit: the next deploy gets the device.
    await expectRan(startDeploy(artifact, pair.host, ['--duration', '0.3', '--quiet']));
  });

  it('a lock left by a killed process (kill -9) is stale and taken over', async () => {
    const { artifact, pair, startEmu } = await rig();
    const { a } = await owner(artifact, pair, startEmu);
    a.p.kill('SIGKILL');
    await a.r.exited;
    await expectRan(startDeploy(artifact, pair.host, ['--duration', '0.3', '--quiet']));
  });

  it('the device dies mid-run and never comes back: failed (exit 4), link lost, summary still printed', async () => {
    const { artifact, pair, startEmu } = await rig();
    const { a, emu } = await owner(artifact, pair, startEmu);
    emu.kill();
    // Two live lines in the watchdog phase after the kill: more than a second without state, then the operator stops.
    const at = a.r.err.length;
    await waitFor(() => (a.r.err.slice(at).match(/\[loop\] .*phase=watchdog/g) ?? []).length >= 2 || a.p.exitCode !== null, 'the deploy to hold on stale state', { timeoutMs: 60_000 });
    a.p.kill('SIGTERM');
    const code = await a.r.exited;
    expect(code, a.r.err.slice(-2000)).toBe(4);
    const s = JSON.parse(a.r.out.trim().split('\n').at(-1)!);
    expect(s.deploy).toBe('failed');
    expect(s.stopped_by).toBe('SIGTERM');
    expect(s.reason).toMatch(/link (was lost and not recovered|to serial:.* was down)/);
    expect(a.r.err).toMatch(/deploy failed: .*link/);
    expect(s.safety_interventions.watchdog).toBeGreaterThan(0);
  });
});
