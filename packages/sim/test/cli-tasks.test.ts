import { describe, expect, it, vi } from 'vitest';
import { command } from '../src/cli/tasks.ts';
import { UsageError } from '@s2r/core';

describe('npx s2r tasks', () => {
  it('prints specs and DR terms as JSON', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(String(s)));
    try {
      expect(await command.run(['go1-flat', '--json', '--overrides', '{"dr":{"gravity":{"enabled":false}}}'])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    const j = JSON.parse(lines.at(-1)!);
    expect(j.task).toBe('go1-flat');
    expect(j.observation.size).toBe(45);
    expect(j.action.joints).toHaveLength(12);
    expect(j.dr.friction).toBeGreaterThanOrEqual(0.5);
    expect(j.dr.gravity).toBeUndefined();
  });

  it('prints the tables of every task, and names an unknown task', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(String(s)));
    try {
      expect(await command.run([])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    const out = lines.join('\n');
    for (const t of ['cartpole', 'go1-flat', 'go1-rough', 'z1-push']) expect(out).toContain(`[${t}]`);
    expect(out).toMatch(/Active domain-randomization events/);
    await expect(command.run(['walk'])).rejects.toThrow(UsageError);
  });
});
