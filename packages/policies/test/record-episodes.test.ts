import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecording } from '@s2r/recording';
import type { Policy } from '../src/policy.ts';
import { recordEpisodes } from '../src/record-episodes.ts';

const REPO = resolve(import.meta.dirname, '../../..');

/** A fixed-action policy: enough to drive an episode to its end. */
function constantPolicy(act: number): Policy {
  return {
    kind: 'mlp', obsSize: 4, actSize: 1, meta: {} as Policy['meta'],
    reset() {},
    act: () => Float32Array.of(act),
  } as Policy;
}

function topics(messages: { topic: string }[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const m of messages) c[m.topic] = (c[m.topic] ?? 0) + 1;
  return c;
}

describe('recordEpisodes', () => {
  it('records whole episodes with the robot, joint states, link poses, rewards and episode bounds', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 's2r-rec-')), 'ep.mcap');
    const eps = await recordEpisodes(constantPolicy(1), { task: 'cartpole', path, episodes: 2, seed: 5 });
    expect(eps).toHaveLength(2);
    expect(eps.map((e) => e.seed)).toEqual([5, 6]);
    // Pushing one way at full force topples the pole long before the time-out.
    for (const e of eps) expect(e.terminated).toBe(true);
    const r = await readRecording(path);
    expect(r.complete).toBe(true);
    expect(r.robot).toBeTruthy();
    const c = topics(r.messages);
    const steps = eps[0]!.length + eps[1]!.length;
    expect(c['/action']).toBe(steps);
    expect(c['/tf']).toBe(steps + 2); // plus the initial pose of each episode
    expect(c['/joint_states']).toBe(steps + 2);
    expect(c['/reward_terms']).toBe(steps);
    expect(c['/episode']).toBe(4);
    const ends = r.messages.filter((m) => m.topic === '/episode' && (m.data as { event: string }).event === 'end');
    expect((ends[0]!.data as { length: number }).length).toBe(eps[0]!.length);
  });

  it('s2r train records periodic evaluation episodes into the run folder', () => {
    const out = join(mkdtempSync(join(tmpdir(), 's2r-train-rec-')), 'run');
    execFileSync(process.execPath, [join(REPO, 'packages/cli/bin/s2r.mjs'), 'train', 'cartpole', '--steps', '2048', '--record-every', '2', '--progress', 'none', '--out', out], { cwd: REPO, stdio: 'pipe' });
    const files = readdirSync(join(out, 'evals'));
    expect(files).toContain('iter-000002.mcap');
    expect(files.length).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
