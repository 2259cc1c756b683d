/**
 * Deploy outcomes that scripts can tell apart (issue 16): done / estopped / failed by "deploy" and exit code, with
 * stopped_by, reason and degraded. Real parts: the CLI in a child process, the sim and mock hardware, a real
 * rosbridge v2 WebSocket server, and real signals (SIGTERM, SIGHUP, a second signal).
 */
import { waitFor } from '../../../test/helpers/wait.ts';
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { deploy } from '../src/deploy.ts';
import { judgeRun, safetyLogThrottle, type RunEvidence } from '../src/outcome.ts';
import { readRecording } from '@s2r/recording/reader.ts';
import { loadUrdf } from '@s2r/core';
import { getTask } from '@s2r/sim/tasks/registry.ts';
import { writeGo1Artifact } from './helpers/artifact.ts';
import { RosbridgeTestServer } from '../../../test/helpers/rosbridge-server.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CLI = join(ROOT, 'packages/cli/bin/s2r.mjs');
const ROBOT = join(ROOT, 'hardware/robots/s2r-go1/s2r-go1.urdf');
const POLICIES = fileURLToPath(new URL('./helpers/policies.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 's2r-outcome-'));
const artifact = join(dir, 'go1.json');
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!);

beforeAll(async () => {
  await writeGo1Artifact(artifact);
});

/** A Go1 constant-action test policy (module source), loaded inside the control thread. */
function go1Policy(options: Record<string, unknown> = {}) {
  const spec = getTask('go1-flat').deploy();
  return { module: POLICIES, export: 'constantPolicy', options: { joints: [...spec.jointNames], defaultPose: Array.from(spec.defaultJointPos), action: 0, ...options } };
}

describe('deploy outcome', () => {
  it('a rate the sim hardware cannot feed is refused up front with one line (not thousands of flapping lines)', () => {
    const r = spawnSync('node', [CLI, 'deploy', '--policy', artifact, '--robot', ROBOT, '--hardware', 'sim', '--rate', '10000', '--policy-rate', '50', '--duration', '2'],
      { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--rate 10000 Hz is more than the sim hardware can feed.*Use --rate ≤ 2500 or --watchdog ≥ 40/);
    expect(r.stdout).toBe('');
  });

  it("the check uses the task scene's physics step: z1-push's sim steps at 5 ms, so 1500 Hz is refused", () => {
    const r = spawnSync('node', [CLI, 'deploy', '--policy', join(ROOT, 'hardware/policies/z1-push/policy.json'), '--robot', join(ROOT, 'hardware/robots/s2r-arm/s2r-arm.urdf'), '--hardware', 'sim', '--rate', '1500', '--duration', '2', '--quiet'],
      { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--rate 1500 Hz is more than the sim hardware can feed.*the sim makes one every 5\.0 ms \(physics at 200 Hz\)\. Use --rate ≤ 1000 or --watchdog ≥ 15/);
    expect(r.stdout).toBe('');
  });

  it('--help documents every outcome and its exit code', () => {
    const r = spawnSync('node', [CLI, 'deploy', '--help'], { encoding: 'utf8', cwd: ROOT });
    for (const re of [/done\s+exit 0/, /estopped\s+exit 3/, /failed\s+exit 4/, /stopped_by/, /degraded/, /SIGTERM/, /SIGHUP/]) expect(r.stdout).toMatch(re);
  });

  it('a normal run ended by --duration is done, stopped_by duration, not degraded', async () => {
    const s = await deploy({ policy: go1Policy(), robot: ROBOT, hardware: 'mock', durationS: 0.3, safety: { softStartS: 0.1, softStopS: 0.1 }, handleSigint: false });
    expect(s.deploy).toBe('done');
    expect(s.stopped_by).toBe('duration');
    expect(s.reason).toBeNull();
    expect(s.degraded).toBeNull();
  });

  it('a policy that outputs NaN for the whole run: failed, the robot only held', async () => {
    const s = await deploy({ policy: go1Policy({ nanFrom: 0 }), robot: ROBOT, hardware: 'mock', durationS: 0.5, safety: { softStartS: 0.1, softStopS: 0.1 }, handleSigint: false });
    expect(s.deploy).toBe('failed');
    expect(s.reason).toMatch(/non-finite \(NaN\/Inf\) on \d+ of \d+ running ticks/);
    expect(s.degraded?.nonfinite_holds).toBeGreaterThan(0);
    expect(s.safety_interventions.nonfinite).toBeGreaterThan(0);
  });

  it('NaN on part of the run only: done but degraded, with the counts', async () => {
    // 50 Hz policy, 1 s of control: NaN from the 25th step → about half the running ticks hold. (The test policy
    // counts act() calls, and the control thread warms the policy up with 300 calls before real time.)
    const s = await deploy({ policy: go1Policy({ nanFrom: 300 + 25 }), robot: ROBOT, hardware: 'mock', durationS: 1, safety: { softStartS: 0.1, softStopS: 0.1 }, handleSigint: false });
    expect(s.deploy, s.reason ?? '').toBe('done');
    expect(s.degraded).not.toBeNull();
    expect(s.degraded!.nonfinite_holds).toBe(s.safety_interventions.nonfinite);
    expect(s.degraded!.nonfinite_holds).toBeGreaterThan(0);
  });

  it('no state ever arrived (rosbridge, state topic nobody publishes): failed with the reason, summary still returned', async () => {
    const server = await RosbridgeTestServer.start();
    try {
      const joints = [...loadUrdf(ROBOT).actuatedJoints];
      const s = await deploy({
        policy: artifact, robot: ROBOT, durationS: 0.3, safety: { softStartS: 0.1, softStopS: 0.1 }, handleSigint: false,
        // Start checks off: they refuse a silent state topic up front (exit 1); this is the run that gets past them
        // (a topic that falls silent right after, or checks disabled) and must still not report done.
        hardware: { kind: 'ros', options: { url: server.url, jointNames: joints, stateTopic: '/joint_statez', startChecks: false } },
      });
      expect(s.deploy).toBe('failed');
      expect(s.reason).toMatch(/no joint state ever arrived from ros/);
      expect(s.hardware_stats.state_msgs).toBe(0);
      expect(s.ticks).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });

  it('a policy for another robot (cartpole on the Go1 URDF) is refused naming the policy task and the robot', async () => {
    const cart = join(dir, 'cartpole.json');
    // Only the artifact's task and joints are read before loading: that is what the check is about.
    writeFileSync(cart, JSON.stringify({ format: 's2r-policy', task: 'cartpole', control: { jointNames: ['slider'] } }));
    await expect(deploy({ policy: cart, robot: ROBOT, hardware: 'sim', durationS: 1, handleSigint: false }))
      .rejects.toThrow(/policy .*cartpole\.json \(task "cartpole", joints \[slider\]\) is not for robot "s2r-go1" \(.*s2r-go1\.urdf\): the robot has none of its joints/);
  });

  it('judgeRun: link lost and not recovered, estop precedence, running never reached', () => {
    const base: RunEvidence = {
      finalPhase: 'stopped', estopReason: '', stopRequestedBy: null, abortedBy: null, hardware: 'serial:/dev/x@1', rateHz: 500, watchdogPeriods: 10,
      dryRun: false, usesPolicy: true, ticks: 2000, stateTicks: 1500, runningTicks: 1000, policySteps: 100, writes: 2000, lastStateT: 3.99, endT: 4,
      watchdogTicks: 0, nonfiniteTicks: 0,
    };
    expect(judgeRun(base).deploy).toBe('done');
    expect(judgeRun({ ...base, lastStateT: 2 }).reason).toMatch(/link was lost and not recovered: the last state arrived at t=2.00 s/);
    expect(judgeRun({ ...base, linkUp: 0 }).reason).toMatch(/link to serial:\/dev\/x@1 was down/);
    expect(judgeRun({ ...base, finalPhase: 'estop', estopReason: 'stdin key' }).deploy).toBe('estopped');
    const sig = judgeRun({ ...base, finalPhase: 'estop', estopReason: 'SIGTERM', stopRequestedBy: 'SIGTERM' });
    expect([sig.deploy, sig.stopped_by]).toEqual(['done', 'SIGTERM']);
    expect(judgeRun({ ...base, runningTicks: 0, watchdogTicks: 700 }).reason).toMatch(/running phase was never reached.*700 watchdog ticks/);
    expect(judgeRun({ ...base, policySteps: 0 }).reason).toMatch(/policy never ran/);
    expect(judgeRun({ ...base, writes: 0 }).reason).toMatch(/no command reached/);
    expect(judgeRun({ ...base, writes: 0, dryRun: true }).deploy).toBe('done');
    expect(judgeRun({ ...base, watchdogTicks: 50 }).degraded).toEqual({ watchdog_ticks: 50, watchdog_s: 0.1, nonfinite_holds: 0 });
  });
});

describe('operator signals through the CLI', () => {
  const start = (rec: string, extra: string[] = []) =>
    spawn('node', [CLI, 'deploy', '--policy', artifact, '--robot', ROBOT, '--hardware', 'mock', '--duration', '60', '--soft-start', '0.2', '--record', rec, ...extra],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const run = (p: ReturnType<typeof start>) => {
    let out = '';
    let err = '';
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((res) => p.on('exit', (code) => res(code)));
    // A process that exits before the line appears fails at once, with its stderr.
    const alive = (what: string) => {
      if (p.exitCode !== null) throw new Error(`exited (${p.exitCode}) before ${what}; stderr:\n${err.slice(-2000)}`);
    };
    const waitErr = (re: RegExp, ms = 60_000) => waitFor(() => re.test(err) || alive(`${re} on stderr`), `${re} on stderr`, { timeoutMs: ms, stepMs: 10 });
    /** The policy in control for a while: 'phase running', then two live lines (1 s apart) still in running. */
    const waitRunning = async () => {
      await waitErr(/phase running/);
      const at = err.length;
      const what = 'two live lines in phase running';
      await waitFor(() => (err.slice(at).match(/\[loop\][^\n]*phase=running/g) ?? []).length >= 2 || alive(what), what, { timeoutMs: 60_000, stepMs: 10 });
    };
    return { exited, waitErr, waitRunning, out: () => out, err: () => err };
  };

  for (const sig of ['SIGTERM', 'SIGHUP'] as const) {
    it(`${sig} stops like Ctrl-C: e-stop, summary, finalized recording, exit 0 with stopped_by ${sig}`, async () => {
      const rec = join(dir, `${sig}.mcap`);
      const p = start(rec);
      const r = run(p);
      await r.waitRunning();
      p.kill(sig);
      const code = await r.exited;
      expect(code, r.err()).toBe(0);
      const s = lastJson(r.out());
      expect(s.deploy).toBe('done');
      expect(s.stopped_by).toBe(sig);
      expect(s.estop).toBe(sig);
      expect(r.err()).toMatch(new RegExp(`${sig}: e-stop latched`));
      const recd = await readRecording(rec);
      expect(recd.complete).toBe(true);
      expect(recd.messages.filter((m) => m.topic === '/joint_states').length).toBe(s.ticks);
    });
  }

  it('a second signal ends at once with a clear message, a summary (failed) and a readable recording', async () => {
    const rec = join(dir, 'twice.mcap');
    // At 20 Hz the e-stop hold before the loop ends is 50 ticks = 2.5 s: room for the second signal on a loaded host.
    const p = start(rec, ['--rate', '20', '--policy-rate', '20']);
    const r = run(p);
    await r.waitErr(/phase running/);
    p.kill('SIGINT');
    await r.waitErr(/SIGINT: e-stop latched/);
    p.kill('SIGTERM'); // another signal than the first: two equal pending signals can merge into one
    const code = await r.exited;
    expect(code, r.err()).toBe(4);
    expect(r.err()).toMatch(/SIGTERM again: ending the control thread now/);
    expect(r.err()).toMatch(/deploy failed: aborted by a second SIGTERM/);
    expect(r.err()).not.toMatch(/exited with code/);
    const s = lastJson(r.out());
    expect(s.deploy).toBe('failed');
    expect(s.stopped_by).toBe('SIGINT');
    expect(s.reason).toMatch(/second SIGTERM/);
    expect(existsSync(rec)).toBe(true);
    const recd = await readRecording(rec);
    expect(recd.complete).toBe(true);
  });
});

describe('safety log throttle', () => {
  it('passes safety lines through until the phase flaps, then says so once and keeps only the phases that matter', () => {
    const out: string[] = [];
    const log = safetyLogThrottle((l) => out.push(l), 20);
    log('deploy: starting');
    // Per-joint intervention lines never count as flapping, however many.
    for (let i = 0; i < 100; i++) log('safety: max_step at t=0.01 s');
    expect(out).toHaveLength(101);
    for (let i = 0; i < 500; i++) log(i % 2 ? 'safety: phase watchdog at t=0.1 s' : 'safety: phase soft_start at t=0.1 s');
    log('safety: watchdog at t=0.2 s');
    log('safety: phase running at t=3.000 s');
    log('safety: phase soft_stop at t=4.000 s');
    log('safety: phase stopped at t=4.500 s');
    log('[loop] ticks=1');
    expect(out.filter((l) => /phase (watchdog|soft_start)/.test(l))).toHaveLength(20);
    expect(out.filter((l) => /the phase is flapping/.test(l))).toHaveLength(1);
    expect(out).not.toContain('safety: watchdog at t=0.2 s');
    expect(out.slice(-4)).toEqual(['safety: phase running at t=3.000 s', 'safety: phase soft_stop at t=4.000 s', 'safety: phase stopped at t=4.500 s', '[loop] ticks=1']);
  });
});
