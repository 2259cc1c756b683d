/**
 * deploy end to end: a real policy artifact (@s2r/policies 'mlp'), the s2r-go1 URDF, the sim hardware (Rapier in
 * real time in its own thread), the CLI, and the MCAP recording read back with the viewer's reader.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { deploy } from '../src/deploy.ts';
import { readRecording } from '@s2r/recording/reader.ts';
import { writeGo1Artifact } from './helpers/artifact.ts';
import { waitFor } from '../../../test/helpers/wait.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const ROBOT = join(ROOT, 'hardware/robots/s2r-go1/s2r-go1.urdf');
const dir = mkdtempSync(join(tmpdir(), 's2r-deploy-'));
const artifact = join(dir, 'go1.json');

beforeAll(async () => {
  await writeGo1Artifact(artifact);
});

describe('s2r deploy', () => {
  it('CLI: artifact → sim hardware with latency/noise/drops, records MCAP, ends with one JSON summary line', async () => {
    const out = join(dir, 'run.mcap');
    const r = spawnSync('node', [join(ROOT, 'packages/cli/bin/s2r.mjs'), 'deploy', '--policy', artifact, '--robot', ROBOT, '--hardware', 'sim',
      '--rate', '500', '--policy-rate', '50', '--duration', '1', '--soft-start', '0.5', '--commands', '0.3,0,0@0;0,0,0.3@0.5',
      '--record', out, '--latency-ms', '5', '--noise', '1', '--drop', '0.02', '--seed', '3', '--quiet'], { encoding: 'utf8', cwd: ROOT, timeout: 90_000 });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const s = JSON.parse(lines[lines.length - 1]!);
    expect(s.deploy).toBe('done');
    expect(s.hardware).toBe('sim');
    expect(s.falls).toBe(0);
    expect(typeof s.distance_m).toBe('number');
    for (const k of ['loop_p50_us', 'loop_p99_us', 'loop_max_us', 'missed_deadlines']) expect(typeof s[k]).toBe('number');
    // 0.5 s ramp + 1 s policy + 0.5 s soft stop at 500 Hz: ~1000 cycles, run or skipped (skips count as missed).
    expect(s.ticks + s.missed_deadlines).toBeGreaterThan(900);
    expect(s.safety_interventions.soft_start).toBeGreaterThan(100);
    expect(s.safety_interventions.soft_stop).toBeGreaterThan(100);
    // Fault injection really happened (seeded): packets were lost both ways.
    expect(s.hardware_stats.commands_dropped).toBeGreaterThan(0);
    expect(s.hardware_stats.states_dropped).toBeGreaterThan(0);
    // ≤ 50 at 50 Hz; fewer when the loaded machine stalls the simulated robot and the watchdog damps meanwhile.
    expect(s.policy_stats.policy_steps).toBeGreaterThan(0);
    expect(s.policy_stats.policy_steps).toBeLessThanOrEqual(51);

    const rec = await readRecording(out);
    expect(rec.complete).toBe(true);
    const count = (topic: string) => rec.messages.filter((m) => m.topic === topic).length;
    expect(count('/joint_states')).toBe(s.ticks);
    // The file holds back repeats of an unchanged command (recording format 3): at most one per tick, at least
    // one per policy step (each changes the targets).
    expect(count('/command')).toBeLessThanOrEqual(s.ticks);
    expect(count('/command')).toBeGreaterThanOrEqual(s.policy_stats.policy_steps);
    expect(count('/loop_timing')).toBe(s.ticks);
    expect(count('/action')).toBe(s.policy_stats.policy_steps);
    // Every policy step tracks the schedule at its own time since the policy first took over, also after a
    // load stall made the watchdog damp and re-activate the policy (the schedule used to restart then: a flake).
    const vc = rec.messages.filter((m) => m.topic === '/velocity_command');
    const fwd = { vx: 0.3, vy: 0, yaw_rate: 0 };
    const turn = { vx: 0, vy: 0, yaw_rate: 0.3 };
    expect(vc[0]!.data).toEqual(fwd);
    for (const m of vc) {
      const ts = m.t - vc[0]!.t; // s of schedule time; ticks are 2 ms apart, so 1 ms either side of the switch is unambiguous
      if (Math.abs(ts - 0.5) > 1e-3) expect(m.data, `velocity command at schedule time ${ts.toFixed(3)} s`).toEqual(ts < 0.5 ? fwd : turn);
    }
    // The policy ran past the switch, unless the watchdog held it damped until the end.
    if (!vc.some((m) => m.data.yaw_rate === 0.3)) expect(s.safety_interventions.watchdog, 'no turn command recorded and no watchdog').toBeGreaterThan(0);
    const safety = rec.messages.filter((m) => m.topic === '/safety').map((m) => m.data.kind);
    expect(safety).toContain('soft_start');
    expect(safety).toContain('soft_stop');
    // Log times never go backwards (safety events are interleaved with the ticks around them).
    for (let i = 1; i < rec.messages.length; i++) expect(rec.messages[i]!.t).toBeGreaterThanOrEqual(rec.messages[i - 1]!.t - 1e-9);
    expect(rec.attachments.some((a) => a.name === 'robot.urdf')).toBe(true);
    expect(rec.meta.kind).toBe('deployment');
  });

  it('--dry-run runs the whole loop but never writes: the simulated robot receives no command', async () => {
    const s = await deploy({ policy: artifact, robot: ROBOT, hardware: 'sim', dryRun: true, durationS: 0.5, safety: { softStartS: 0.2, softStopS: 0.1 }, handleSigint: false });
    expect(s.dry_run).toBe(true);
    expect(s.ticks + s.missed_deadlines).toBeGreaterThan(350); // 0.8 s at 500 Hz, run or skipped
    expect(s.hardware_stats.writes).toBe(0);
    expect(s.hardware_stats.commands_applied).toBe(0);
    expect(s.hardware_stats.reads).toBe(s.ticks);
    expect(s.policy_stats.policy_steps).toBeGreaterThan(0); // the policy still ran
  });

  it('an AbortSignal stops an open-ended run the normal way (soft stop), and deploy() still returns its summary', async () => {
    const ac = new AbortController();
    const s = await deploy({
      policy: artifact, robot: ROBOT, hardware: 'mock', safety: { softStartS: 0.1, softStopS: 0.1 }, handleSigint: false, signal: ac.signal,
      log: (line) => { if (/phase running/.test(line)) setTimeout(() => ac.abort(), 200); },
    });
    expect(s.deploy).toBe('done');
    expect(s.safety_interventions.soft_stop).toBeGreaterThan(0);
    expect(s.falls).toBeNull(); // mock hardware knows no base position
    expect(s.distance_m).toBeNull();
  });

  it('refuses an artifact whose joints differ from the robot, naming them, before anything starts', async () => {
    const bad = join(dir, 'bad.json');
    await writeGo1Artifact(bad, { jointNames: (n) => n.map((j) => (j === 'FR_calf_joint' ? 'FR_knee_joint' : j)) });
    await expect(deploy({ policy: bad, robot: ROBOT, hardware: 'sim', durationS: 1, handleSigint: false })).rejects.toThrow(/FR_knee_joint|FR_calf_joint/);
  });

  it("reads the robot's s2r.json through core's loader: a missing spawnHeight or a key it rejects is an error naming it", async () => {
    // A copy of the Go1 description whose s2r.json lacks spawnHeight: no silent default height.
    const robotDir = mkdtempSync(join(tmpdir(), 's2r-deploy-robot-'));
    const urdf = join(robotDir, 's2r-go1.urdf');
    writeFileSync(urdf, readFileSync(ROBOT));
    const side = JSON.parse(readFileSync(join(ROOT, 'hardware/robots/s2r-go1/s2r.json'), 'utf8')) as Record<string, unknown>;
    delete side.spawnHeight;
    writeFileSync(join(robotDir, 's2r.json'), JSON.stringify(side));
    await expect(deploy({ policy: artifact, robot: urdf, hardware: 'sim', durationS: 1, handleSigint: false }))
      .rejects.toThrow(/s2r\.json: "spawnHeight" \(m\) is required/);
    // The old reader accepted "baseHeight"; the one loader rejects it, naming the key and the file.
    writeFileSync(join(robotDir, 's2r.json'), JSON.stringify({ ...side, baseHeight: 0.3 }));
    await expect(deploy({ policy: artifact, robot: urdf, hardware: 'sim', durationS: 1, handleSigint: false }))
      .rejects.toThrow(/s2r\.json: unknown key "baseHeight"/);
  });

  it('rejects bad arguments with a message naming the flag', async () => {
    const run = (...args: string[]) => spawnSync('node', [join(ROOT, 'packages/cli/bin/s2r.mjs'), 'deploy', ...args], { encoding: 'utf8', cwd: ROOT, timeout: 30_000 });
    const r1 = run('--policy', artifact, '--robot', ROBOT, '--hardware', 'can:bus0');
    expect(r1.status).not.toBe(0);
    expect(r1.stderr).toMatch(/--hardware "can:bus0"/);
    const r2 = run('--policy', artifact, '--robot', ROBOT, '--hardware', 'sim', '--rate', '500', '--policy-rate', '30');
    expect(r2.stderr).toMatch(/not an integer multiple/);
    const r3 = run('--policy', artifact, '--robot', ROBOT, '--hardware', 'sim', '--commands', '1,2@0');
    expect(r3.stderr).toMatch(/--commands entry 1/);
    const r4 = run('--help');
    expect(r4.stdout).toMatch(/--dry-run/);
    // Rejected before anything is created: no recording file or folder is left behind.
    const recDir = join(dir, 'rejected');
    const r5 = run('--policy', artifact, '--robot', ROBOT, '--hardware', 'sim', '--max-step', '-1', '--record', join(recDir, 'a.mcap'));
    expect(r5.status).not.toBe(0);
    expect(r5.stderr).toMatch(/maxStep .* must be a finite number > 0 rad, got -1/);
    const r6 = run('--policy', artifact, '--robot', ROBOT, '--hardware', 'sim', '--watchdog', '0', '--record', join(recDir, 'b.mcap'));
    expect(r6.stderr).toMatch(/watchdogPeriods must be an integer ≥ 1, got 0/);
    // A port that cannot be opened is found by the control thread after the recording was opened: it is removed
    // again, and the error is the one clear line (no unhandled-rejection stack trace).
    const r7 = run('--policy', artifact, '--robot', ROBOT, '--hardware', `serial:${join(dir, 'no-such-tty')}@1000000`, '--record', join(recDir, 'c.mcap'));
    expect(r7.status).not.toBe(0);
    expect(r7.stderr).toMatch(/no-such-tty/);
    expect(r7.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(recDir)).toBe(false);
    writeFileSync(join(dir, 'x.txt'), readFileSync(artifact)); // keep dir non-empty for inspection on failure
  });
});

describe('operator e-stop through the CLI', () => {
  const start = (extra: string[] = []) => {
    return spawn('node', [join(ROOT, 'packages/cli/bin/s2r.mjs'), 'deploy', '--policy', artifact, '--robot', ROBOT, '--hardware', 'mock', '--duration', '60', '--soft-start', '0.2', '--stdin-keys', ...extra], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  };
  const stderrOf = new Map<ReturnType<typeof start>, { text: string }>();
  const finish = (p: ReturnType<typeof start>) =>
    new Promise<{ code: number | null; out: string; err: string }>((res) => {
      let out = '';
      const err = { text: '' };
      stderrOf.set(p, err);
      p.stdout!.on('data', (d) => (out += d));
      p.stderr!.on('data', (d) => (err.text += d));
      p.on('exit', (code) => res({ code, out, err: err.text }));
    });
  /** Wait for `re` in the stderr that arrived after the previous wait on this process (each wait consumes its match). */
  const mark = new Map<ReturnType<typeof start>, number>();
  const stderrMatch = async (p: ReturnType<typeof start>, re: RegExp) => {
    const err = stderrOf.get(p)!;
    const from = mark.get(p) ?? 0;
    let m: RegExpExecArray | null = null;
    await waitFor(() => (m = re.exec(err.text.slice(from))) !== null || p.exitCode !== null, `stderr matching ${re}`, { timeoutMs: 60_000, stepMs: 10 });
    expect(m, `the deploy exited (${p.exitCode}) before printing ${re}; stderr:\n${err.text.slice(-1500)}`).not.toBeNull();
    mark.set(p, from + m!.index + m![0].length);
  };

  it("a key on stdin latches the e-stop (damping) and a later reset key doesn't need a restart; SIGINT ends the run damped", async () => {
    const p = start();
    const done = finish(p);
    await stderrMatch(p, /phase running/);
    p.stdin!.write('e');
    await stderrMatch(p, /phase estop \(stdin key\)/);
    p.stdin!.write('r');
    await stderrMatch(p, /phase running/);
    p.stdin!.write(' ');
    await stderrMatch(p, /phase estop/);
    p.kill('SIGINT');
    const r = await done;
    const s = JSON.parse(r.out.trim().split('\n').pop()!);
    expect(s.deploy).toBe('estopped');
    expect(s.stopped_by).toBe('stdin key');
    expect(s.estop).toBe('stdin key'); // the first reason of the current latch is kept
    expect(s.safety_interventions.estop).toBeGreaterThan(0);
    expect(r.code).toBe(3);
  });

  it('SIGINT alone latches the e-stop and stops', async () => {
    const p = start();
    const done = finish(p);
    await stderrMatch(p, /phase running/);
    // Two live lines (1 s apart) still in the running phase: the policy has run, so this is a "done" run.
    await stderrMatch(p, /\[loop\][^\n]*phase=running[\s\S]*\[loop\][^\n]*phase=running/);
    p.kill('SIGINT');
    const r = await done;
    const s = JSON.parse(r.out.trim().split('\n').pop()!);
    expect(s.estop).toBe('SIGINT');
    expect(r.err).toMatch(/SIGINT: e-stop latched/);
    // An operator's stop after the policy took control is a run that did its job (issue 16): done, exit 0.
    expect(s.deploy).toBe('done');
    expect(s.stopped_by).toBe('SIGINT');
    expect(r.code).toBe(0);
  });
});
