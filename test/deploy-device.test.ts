/**
 * Real serial parts (socat pty pair + the C firmware emulator) for two deploy faults of issue 16:
 *  - one device, one owner: a second `s2r deploy` on a port in use is refused, naming the owner's pid;
 *  - the device dies mid-run and never comes back: the run is failed (exit 4) with the reason, not "done".
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadUrdf } from '@s2r/sim/robot/load.ts';
import { writeGo1Artifact } from '../packages/bridge/test/helpers/artifact.ts';
import { buildFirmware, Emulator, ensureSocat, PtyPair, REPO, waitFor } from '../packages/bridge/test/serial-rig.ts';

const URDF = join(REPO, 'hardware/robots/s2r-go1/s2r-go1.urdf');
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

beforeAll(() => {
  ensureSocat();
  buildFirmware();
});

function emulatorJoints(): string {
  const model = loadUrdf(URDF);
  return model.actuatedJoints.map((name) => {
    const l = model.joints.find((x) => x.name === name)!.limits!;
    return `${name}:${l.lower}:${l.upper}:${l.velocity}:${l.effort}`;
  }).join(',');
}

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

async function rig() {
  const dir = mkdtempSync(join(tmpdir(), 's2r-dev-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const artifact = join(dir, 'go1.json');
  await writeGo1Artifact(artifact);
  mkdirSync(join(dir, 'pty'));
  const pair = await PtyPair.start(join(dir, 'pty'));
  cleanups.push(() => pair.kill());
  const emu = Emulator.start(['--tty', pair.dev, '--joints', emulatorJoints(), '--watchdog-ms', '50']);
  cleanups.push(() => emu.stop());
  return { artifact, pair, emu };
}

describe('deploy on a serial device', () => {
  it('a second deploy on a port in use is refused with the owner pid; the first runs on and stops cleanly', async () => {
    const { artifact, pair } = await rig();
    const a = startDeploy(artifact, pair.host, ['--duration', '60']);
    await waitFor(() => /phase running/.test(a.r.err) || a.p.exitCode !== null, 60_000, 'the first deploy to take control');
    expect(a.p.exitCode, a.r.err.slice(-2000)).toBeNull();

    const b = startDeploy(artifact, pair.host, ['--duration', '1']);
    const codeB = await b.r.exited;
    expect(codeB).toBe(1);
    expect(b.r.err).toMatch(new RegExp(`is in use by process ${a.p.pid} \\(.*deploy.*\\).*a device has one owner`));
    expect(b.r.err.trim().split('\n').filter((l) => l.startsWith('s2r deploy:'))).toHaveLength(1);
    expect(b.r.out).toBe('');
    // The owner never saw the intruder: it keeps control until stopped, then reports done.
    expect(a.p.exitCode).toBeNull();
    a.p.kill('SIGTERM');
    expect(await a.r.exited, a.r.err.slice(-2000)).toBe(0);
    expect(JSON.parse(a.r.out.trim().split('\n').at(-1)!).deploy).toBe('done');

    // Released on exit: the next deploy gets the device.
    const c = startDeploy(artifact, pair.host, ['--duration', '0.3', '--quiet']);
    expect(await c.r.exited, c.r.err.slice(-2000)).toBe(0);
  });

  it('a lock left by a killed process (kill -9) is stale and taken over', async () => {
    const { artifact, pair } = await rig();
    const a = startDeploy(artifact, pair.host, ['--duration', '60']);
    await waitFor(() => /phase running/.test(a.r.err) || a.p.exitCode !== null, 60_000, 'the first deploy to take control');
    a.p.kill('SIGKILL');
    await a.r.exited;
    const b = startDeploy(artifact, pair.host, ['--duration', '0.3', '--quiet']);
    expect(await b.r.exited, b.r.err.slice(-2000)).toBe(0);
  });

  it('the device dies mid-run and never comes back: failed (exit 4), link lost, summary still printed', async () => {
    const { artifact, pair, emu } = await rig();
    const a = startDeploy(artifact, pair.host, ['--duration', '3']);
    await waitFor(() => /phase running/.test(a.r.err) || a.p.exitCode !== null, 60_000, 'the deploy to take control');
    emu.kill();
    const code = await a.r.exited;
    expect(code, a.r.err.slice(-2000)).toBe(4);
    const s = JSON.parse(a.r.out.trim().split('\n').at(-1)!);
    expect(s.deploy).toBe('failed');
    expect(s.reason).toMatch(/link (was lost and not recovered|to serial:.* was down)/);
    expect(a.r.err).toMatch(/deploy failed: .*link/);
    expect(s.safety_interventions.watchdog).toBeGreaterThan(0);
  });
});
