/**
 * Run folders (issue 16), with real `s2r train` processes on cartpole: one run per folder, a resume after kill -9
 * that does not duplicate metrics, and a full disk (a real small tmpfs) that names the file and leaves no temp file.
 */
import { waitFor } from '../../../test/helpers/wait.ts';
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, existsSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { trainPpo, type MakeVecEnv } from '../src/ppo/train.ts';
import { TOY_DEPLOY, ToyVecEnv } from './helpers/toy-env.ts';
import { RunFolder } from '../src/demos/train-cli-common.ts';
import { parseArgs } from '@s2r/core';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'packages/cli/bin/s2r.mjs');
const small = ['--envs', '4', '--set', 'stepsPerEnv=16', '--set', 'actorHidden=[16]', '--set', 'criticHidden=[16]', '--progress', 'lines'];
const s2r = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: '1' } });
const iterations = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).iteration as number);
const make: MakeVecEnv = async (_t, o) => new ToyVecEnv(o.numEnvs, o.seed);

/** Every file under `dir`, recursively. */
function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
}

describe('train run folders', () => {
  it('a second run into a non-empty --out is refused (PPO and plug-ins); the first run is untouched', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 's2r-rundir-')), 'run');
    const opts = { task: 'toy', deployFacts: TOY_DEPLOY, outDir: out, makeVecEnv: make, progress: 'none' as const, log: () => {}, overrides: [{ numEnvs: 4, workers: 0, stepsPerEnv: 10, totalSteps: 80 }] };
    await trainPpo(opts);
    const before = readFileSync(join(out, 'metrics.jsonl'), 'utf8');
    await expect(trainPpo(opts)).rejects.toThrow(/--out .*run is not empty \(.*metrics\.jsonl.*\): a second run there would mix with the first\. Continue it with --resume/);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).toBe(before);
    // The plug-in algorithms' run folder (diffusion, bc, residual) refuses it the same way, before writing anything.
    const args = parseArgs(['cartpole', '--out', out], { values: ['out', 'progress'] });
    expect(() => new RunFolder({ task: 'cartpole', args, argv: [], command: 'x', signal: new AbortController().signal }, 'bc')).toThrow(/is not empty/);
    expect(existsSync(join(out, 'command.txt'))).toBe(false); // trainPpo was given no command; RunFolder wrote none
  });

  it('resume after kill -9 between checkpoints: metrics truncated to the checkpoint, no iteration twice', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 's2r-rundir-')), 'run');
    // Run 1 ends normally: checkpoint at its last iteration (4).
    const r1 = s2r(['train', 'cartpole', '--steps', String(4 * 64), ...small, '--out', out]);
    expect(r1.status, r1.stderr).toBe(0);
    expect(iterations(out)).toEqual([1, 2, 3, 4]);
    // Run 2 resumes with no checkpoint due for a long time, and is killed -9 after a few more iterations.
    const p = spawn(process.execPath, [BIN, 'train', 'cartpole', '--resume', out, '--steps', '100000000', ...small, '--set', 'checkpointEvery=100000'],
      { cwd: ROOT, env: { ...process.env, CI: '1' }, stdio: 'ignore' });
    const exited = new Promise((r) => p.once('exit', r));
    await waitFor(() => {
      if (p.exitCode !== null) throw new Error(`resumed run exited (${p.exitCode}) before iteration 7`);
      return existsSync(join(out, 'metrics.jsonl')) && iterations(out).length >= 7;
    }, 'the resumed run to reach iteration 7', { timeoutMs: 120_000, stepMs: 50 });
    p.kill('SIGKILL');
    await exited;
    const killedAt = iterations(out);
    expect(killedAt.at(-1)).toBeGreaterThanOrEqual(7);
    // Run 3 resumes from the checkpoint at 4 again: 5.. are trained again and must appear once.
    const r3 = s2r(['train', 'cartpole', '--resume', out, '--steps', String(8 * 64), ...small]);
    expect(r3.status, r3.stderr).toBe(0);
    expect(r3.stdout).toMatch(/metrics\.jsonl: dropped \d+ line\(s\) after the checkpoint/);
    expect(iterations(out)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  }, 240_000);

  it('--steps 0 and --minutes 0 (an endless run to the trainer) are usage errors, before any run folder exists', () => {
    const cwd = mkdtempSync(join(tmpdir(), 's2r-rundir-'));
    for (const [flag, v] of [['--steps', '0'], ['--minutes', '0'], ['--steps', '-5']]) {
      const r = spawnSync(process.execPath, [BIN, 'train', 'cartpole', flag!, v!], { cwd, encoding: 'utf8', env: { ...process.env, CI: '1' } });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`${flag} must be a number > 0, got ${v}`));
    }
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('disk full (a 32 KiB tmpfs): the error names the file, says ENOSPC, and no *.tmp-* is left', (ctx) => {
    const mnt = mkdtempSync(join(tmpdir(), 's2r-tmpfs-'));
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=32k', 'tmpfs', mnt], { encoding: 'utf8' });
    if (m.status !== 0) {
      rmSync(mnt, { recursive: true, force: true });
      ctx.skip(`cannot mount a tmpfs here (${(m.stderr || m.error?.message || '').trim()}): needs root`);
      return;
    }
    try {
      const out = join(mnt, 'run');
      mkdirSync(out);
      // The 43 KB checkpoint (default cartpole network) cannot fit after config.json, command.txt and metrics.
      const r = s2r(['train', 'cartpole', '--steps', '100000', '--envs', '4', '--set', 'stepsPerEnv=16', '--set', 'checkpointEvery=2', '--progress', 'none', '--out', out]);
      expect(r.status).toBe(1);
      const line = r.stderr.trim().split('\n').filter((l) => l.startsWith('s2r train:'));
      expect(line).toHaveLength(1);
      expect(line[0]).toMatch(new RegExp(`^s2r train: cannot write ${out}/\\S+: no space left on device \\(ENOSPC\\)$`));
      expect(walk(mnt).filter((f) => /\.tmp-\d+$/.test(f))).toEqual([]);
    } finally {
      spawnSync('umount', [mnt]);
      rmSync(mnt, { recursive: true, force: true });
    }
  }, 120_000);
});
