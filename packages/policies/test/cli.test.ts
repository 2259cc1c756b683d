import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { readRecording } from '@s2r/recording';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'packages/cli/bin/s2r.mjs');

function s2r(args: string[], cwd = ROOT) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: '1' } });
}

describe('s2r train / eval CLIs (real processes, real cartpole)', () => {
  it('train writes the run folder; eval prints mean return and success with CIs as one JSON line', () => {
    const out = join(mkdtempSync(join(tmpdir(), 's2r-cli-')), 'run');
    const t = s2r(['train', 'cartpole', '--steps', '1024', '--envs', '4', '--set', 'stepsPerEnv=32', '--set', 'actorHidden=[16]', '--out', out, '--seed', '3']);
    expect(t.stderr).not.toMatch(/Error/);
    expect(t.status).toBe(0);
    expect(t.stdout).toMatch(/tfjs backend: (wasm|tensorflow|cpu)/);
    expect(t.stdout).toMatch(/it \d+ \| .* steps\/s \| return/); // plain progress lines when not a TTY
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(cfg.ppo.actorHidden).toEqual([16]);
    expect(cfg.ppo.seed).toBe(3);
    expect(cfg.env.forceScale).toBeTypeOf('number'); // the task's resolved config rides along
    expect(readFileSync(join(out, 'command.txt'), 'utf8')).toMatch(/^npx s2r train cartpole --steps 1024 .*--set 'actorHidden=\[16\]'/);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length).toBe(8);
    const e = s2r(['eval', out, '--episodes', '4', '--seeds', '1,2']);
    expect(e.status).toBe(0);
    const j = JSON.parse(e.stdout.trim().split('\n').pop()!);
    expect(j.seeds).toEqual([1, 2]);
    expect(j.return_ci95[0]).toBeLessThanOrEqual(j.mean_return);
    expect(j.return_ci95[1]).toBeGreaterThanOrEqual(j.mean_return);
    expect(j.success_rate).toBeGreaterThanOrEqual(0);
    expect(j.return_iqm).toBeTypeOf('number');
    expect(e.stdout).toMatch(/return IQM/);
  }, 120_000);

  it('bad input is a usage error naming the problem', () => {
    const a = s2r(['train', 'cartpole', '--set', 'learningRat=1', '--steps', '10']);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/ppo\.learningRat: unknown config key/);
    // Rejected input leaves nothing on disk: run from an empty folder, where the default run folder
    // (runs/<task>-<timestamp>) would appear, for PPO and for a plug-in algorithm.
    const cwd = mkdtempSync(join(tmpdir(), 's2r-cli-cwd-'));
    const b = s2r(['train', 'no-such-task', '--steps', '10'], cwd);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/unknown task "no-such-task"/);
    const b2 = s2r(['train', 'no-such-task', '--algo', 'residual', '--base', join(ROOT, 'hardware/policies/go1-flat/policy.json')], cwd);
    expect(b2.status).toBe(2);
    expect(b2.stderr).toMatch(/unknown task "no-such-task"/);
    const b3 = s2r(['train', 'cartpole', '--steps', '10', '--progress', 'bogus'], cwd);
    expect(b3.status).toBe(2);
    expect(b3.stderr).toMatch(/--progress must be auto, lines or none, got "bogus"/);
    const b4 = s2r(['train', 'cartpole', '--steps', '10', '--set', 'envOverrides.nokey=1'], cwd); // found when the env is built
    expect(b4.status).toBe(2);
    expect(b4.stderr).toMatch(/cartpole\.nokey: unknown config key/);
    // Plug-in algorithms: a demos folder or a base artifact that cannot be read is one line naming it.
    const oneLine = (r: ReturnType<typeof s2r>) => r.stderr.trim().split('\n');
    const b5 = s2r(['train', 'cartpole', '--algo', 'diffusion', '--demos', '/nonexistent', '--progress', 'none'], cwd);
    expect(b5.status).toBe(1);
    expect(oneLine(b5)).toEqual([expect.stringMatching(/^s2r train: loadDemos: \/nonexistent\/index\.json not found \(is "\/nonexistent" a demos folder/)]);
    const b6 = s2r(['train', 'cartpole', '--algo', 'residual', '--base', '/nonexistent', '--progress', 'none'], cwd);
    expect(b6.status).toBe(1);
    expect(oneLine(b6)).toEqual(['s2r train: --base: policy artifact /nonexistent: cannot read (ENOENT)']);
    // A base whose observation/action layout is not the task's is a usage error, and leaves no run folder (bases
    // of another task with the same layout are allowed: residual adaptation, see residual.test.ts).
    const b7 = s2r(['train', 'cartpole', '--algo', 'residual', '--base', join(ROOT, 'hardware/policies/go1-flat/policy.json')], cwd);
    expect(b7.status).toBe(2);
    expect(b7.stderr).toMatch(/trainResidual: base is 45→12, task "cartpole" is 4→1/);
    expect(readdirSync(cwd)).toEqual([]);
    const c = s2r(['eval', '/nonexistent/policy.json']);
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/no such file or folder/);
    const rec = join(cwd, 'rec', 'x.mcap');
    const d = s2r(['eval', join(ROOT, 'hardware/policies/go1-flat/policy.json'), '--episodes', '1', '--record', rec, '--record-episodes', '0'], cwd);
    expect(d.status).toBe(2);
    expect(d.stderr).toMatch(/--record-episodes must be a positive integer/);
    expect(readdirSync(cwd)).toEqual([]);
  }, 60_000);

  it('eval --record refuses an existing file before evaluating, and replaces it with --overwrite', () => {
    const cwd = mkdtempSync(join(tmpdir(), 's2r-cli-'));
    const rec = join(cwd, 'x.mcap');
    writeFileSync(rec, 'an earlier recording');
    const args = ['eval', join(ROOT, 'hardware/policies/go1-flat/policy.json'), '--episodes', '1', '--set', 'episodeLengthS=0.5', '--record', rec, '--json'];
    const a = s2r(args, cwd);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/--record .*x\.mcap: file exists; refusing to overwrite it \(pass --overwrite\)/);
    expect(a.stdout).toBe(''); // refused up front: no evaluation ran
    expect(readFileSync(rec, 'utf8')).toBe('an earlier recording');
    const b = s2r([...args, '--overwrite'], cwd);
    expect(b.status, b.stderr).toBe(0);
    expect(readRecording(rec).meta.source).toBe('s2r eval');
  }, 120_000);

  it('Ctrl-C (SIGINT) saves a checkpoint and the policy, then exits 130', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 's2r-cli-')), 'run');
    const child = spawn(process.execPath, [BIN, 'train', 'cartpole', '--steps', '10000000', '--envs', '4', '--set', 'stepsPerEnv=16', '--out', out], { cwd: ROOT, env: { ...process.env, CI: '1' } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const metrics = join(out, 'metrics.jsonl');
    const t0 = Date.now();
    while (!(existsSync(metrics) && readFileSync(metrics, 'utf8').split('\n').length > 3)) {
      if (Date.now() - t0 > 90_000) throw new Error('training never started');
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted: saving a checkpoint/);
    expect(readdirSync(join(out, 'checkpoints')).some((f) => /^ckpt-\d+\.json$/.test(f))).toBe(true);
    expect(existsSync(join(out, 'policy.json'))).toBe(true);
  }, 120_000);
});
