import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeVecEnv } from '@s2r/sim/env/vec-env.ts';
import { loadPolicy } from '../src/policy.ts';
import { evaluateCommandGrid, gridVerdict, joystickGrid, type CellResult } from '../src/command-grid.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const cell = (cmd: [number, number, number], linErr: number, yawErr: number, survival: number): CellResult => ({ cmd, linErr, yawErr, survival, episodes: 3 });

describe('command grid', () => {
  it('is the issue-12 joystick grid: 4 × 3 × 3 cells', () => {
    const g = joystickGrid();
    expect(g).toHaveLength(36);
    expect(new Set(g.map((c) => c[0]))).toEqual(new Set([-0.5, 0, 0.5, 1.0]));
    expect(g).toContainEqual([-0.5, 0.4, -0.8]);
  });

  it('passes only when every cell and every mean is inside its bound, and names the worst cell', () => {
    const good = [cell([0, 0, 0], 0.1, 0.1, 1), cell([1, 0, 0], 0.12, 0.15, 1)];
    expect(gridVerdict(good).pass).toBe(true);
    // one cell over 0.2 m/s fails the grid even though the mean (0.145) is under 0.15
    const oneBad = [cell([0, 0, 0], 0.09, 0.1, 1), cell([1, 0, 0], 0.2, 0.1, 1)];
    const v = gridVerdict(oneBad);
    expect(v.pass).toBe(false);
    expect(v.failingCells).toBe(1);
    expect(v.worst.cmd).toEqual([1, 0, 0]);
    // every cell inside its bound but the survival mean under 0.95
    const meanBad = [cell([0, 0, 0], 0.1, 0.1, 0.9), cell([1, 0, 0], 0.1, 0.1, 0.95)];
    expect(gridVerdict(meanBad).failingCells).toBe(0);
    expect(gridVerdict(meanBad).pass).toBe(false);
    expect(gridVerdict(meanBad).worst.cmd).toEqual([0, 0, 0]);
  });

  // Real Rapier, the committed Go1 policy, 3-s episodes: the cell's command reaches the policy (a forward command
  // is tracked, which it could not be if the env's own command were what the policy saw) and standing is stable.
  it('evaluates a real policy with the cell command injected into its observation', async () => {
    const policy = await loadPolicy(join(ROOT, 'hardware/policies/go1-flat/policy.json'));
    const cells = await evaluateCommandGrid(policy, {
      cells: [[0, 0, 0], [1.0, 0, 0]], seedsPerCell: 1, episodeS: 3, seed: 5, workers: 0,
      makeVecEnv,
    });
    expect(cells.map((c) => c.episodes)).toEqual([1, 1]);
    expect(cells[0]!.survival).toBe(1);
    expect(cells[0]!.linErr).toBeLessThan(0.15);
    expect(cells[0]!.yawErr).toBeLessThan(0.2);
    // standing still would score ≈ 1.0 m/s here
    expect(cells[1]!.linErr).toBeLessThan(0.6);
  }, 120_000);
});
