/**
 * Velocity-command tracking of a locomotion policy on a fixed command grid (the joystick skill's check).
 *
 * Every cell (vx, vy, yaw rate) runs `seedsPerCell` episodes, all cells at once in one VecEnv of
 * cells × seedsPerCell envs, under the task's default domain randomization (pushes and observation noise
 * included). The cell's command is written into each env's `velocity_command` observation before the policy acts:
 * the policy's input is exactly what a joystick would send, and the env's own resampled command (which only
 * shapes its reward) never reaches it.
 *
 * Per cell:
 *   lin_err   mean over the steps of ‖v_xy − cmd_xy‖ (m/s), v from the noise-free privileged base_lin_vel (base frame)
 *             — the same definition as bench:train's forward check;
 *   yaw_err   mean over 0.2-s blocks of |block mean of ω_z − cmd_yaw| (rad/s). ω_z comes from the observation, which
 *             carries the DR's uniform noise (±0.2 rad/s); averaging 10 steps first keeps that noise (≈0.1 rad/s
 *             mean |·| per step) from passing for a tracking error, while a yaw rate that wanders still counts;
 *   survival  fraction of episodes that end by time-out, not by a fall.
 * Pass (issue 12): every cell lin_err < 0.2, yaw_err < 0.3, survival ≥ 0.9; grid means < 0.15, < 0.2, ≥ 0.95.
 */
import type { VecEnv } from '@s2r/sim/env/types.ts';
import type { Policy } from './policy.ts';
import { runEpisodes } from './evaluate.ts';

export type Command3 = [vx: number, vy: number, yaw: number];

/** vx ∈ {−0.5, 0, 0.5, 1.0} × vy ∈ {−0.4, 0, 0.4} × yaw ∈ {−0.8, 0, 0.8} (m/s, m/s, rad/s). */
export function joystickGrid(): Command3[] {
  const out: Command3[] = [];
  for (const vx of [-0.5, 0, 0.5, 1.0]) for (const vy of [-0.4, 0, 0.4]) for (const yaw of [-0.8, 0, 0.8]) out.push([vx, vy, yaw]);
  return out;
}

export interface CellResult {
  cmd: Command3;
  linErr: number;
  yawErr: number;
  survival: number;
  episodes: number;
}

export interface GridThresholds {
  cellLin: number;
  cellYaw: number;
  cellSurvival: number;
  meanLin: number;
  meanYaw: number;
  meanSurvival: number;
}

export const JOYSTICK_THRESHOLDS: GridThresholds = { cellLin: 0.2, cellYaw: 0.3, cellSurvival: 0.9, meanLin: 0.15, meanYaw: 0.2, meanSurvival: 0.95 };

export interface GridVerdict {
  pass: boolean;
  linErr: number;
  yawErr: number;
  survival: number;
  /** The cell furthest from passing: largest of lin/cellLin, yaw/cellYaw, (1 − survival)/(1 − cellSurvival). */
  worst: CellResult;
  failingCells: number;
}

export function gridVerdict(cells: CellResult[], th: GridThresholds = JOYSTICK_THRESHOLDS): GridVerdict {
  if (!cells.length) throw new Error('gridVerdict: no cells');
  const score = (c: CellResult) => Math.max(c.linErr / th.cellLin, c.yawErr / th.cellYaw, (1 - c.survival) / (1 - th.cellSurvival));
  let worst = cells[0]!;
  let failing = 0;
  for (const c of cells) {
    if (score(c) > score(worst)) worst = c;
    if (!(c.linErr < th.cellLin && c.yawErr < th.cellYaw && c.survival >= th.cellSurvival)) failing++;
  }
  const m = (f: (c: CellResult) => number) => cells.reduce((a, c) => a + f(c), 0) / cells.length;
  const linErr = m((c) => c.linErr);
  const yawErr = m((c) => c.yawErr);
  const survival = m((c) => c.survival);
  return { pass: failing === 0 && linErr < th.meanLin && yawErr < th.meanYaw && survival >= th.meanSurvival, linErr, yawErr, survival, worst, failingCells: failing };
}

export interface GridOptions {
  task?: string;
  cells?: Command3[];
  seedsPerCell?: number;
  /** Episode length (s); 20 s includes one push at 15 s with the default DR. */
  episodeS?: number;
  seed?: number;
  workers?: number;
  /** Task overrides for the evaluation envs (e.g. physicsDt / decimation); the episode length and resample period are the grid's. */
  envOverrides?: Record<string, unknown>;
  makeVecEnv: (task: string, o: { numEnvs: number; workers: number; seed: number; print: boolean; overrides: Record<string, unknown> }) => Promise<VecEnv>;
}

function offsetOf(terms: { name: string; size: number }[], name: string): number {
  let o = 0;
  for (const t of terms) {
    if (t.name === name) return o;
    o += t.size;
  }
  return -1;
}

const YAW_BLOCK = 10; // control steps per yaw-rate average (0.2 s at 50 Hz)

export async function evaluateCommandGrid(policy: Policy, opts: GridOptions): Promise<CellResult[]> {
  const cells = opts.cells ?? joystickGrid();
  const S = opts.seedsPerCell ?? 3;
  const N = cells.length * S;
  const vec = await opts.makeVecEnv(opts.task ?? 'go1-flat', {
    numEnvs: N,
    workers: opts.workers ?? 2,
    seed: opts.seed ?? 1000,
    print: false,
    // Long resample period: the env's own command then stays put (it only shapes the reward, see above).
    overrides: { ...opts.envOverrides, episodeLengthS: opts.episodeS ?? 20, commands: { ...(opts.envOverrides?.commands as object | undefined), resampleS: 1000 } },
  });
  try {
    const D = vec.observationSpec.size;
    const P = vec.privilegedSpec?.size ?? 0;
    const cmdAt = offsetOf(vec.observationSpec.terms, 'velocity_command');
    const angAt = offsetOf(vec.observationSpec.terms, 'base_ang_vel');
    const velAt = vec.privilegedSpec ? offsetOf(vec.privilegedSpec.terms, 'base_lin_vel') : -1;
    if (cmdAt < 0 || angAt < 0 || velAt < 0) throw new Error(`evaluateCommandGrid: the task's specs lack velocity_command / base_ang_vel / privileged base_lin_vel`);
    const done = new Uint8Array(N);
    const linSum = new Float64Array(N);
    const yawSum = new Float64Array(N);
    const wzBlock = new Float64Array(N);
    const steps = new Uint32Array(N);
    const blocks = new Uint32Array(N);
    const survived = new Uint8Array(N);
    // One episode per env on the evaluator's loop; the grid's metrics are its hooks.
    await runEpisodes(vec, policy, new Array<number>(N).fill(1), {
      stateful: false,
      what: 'the command grid',
      observation: (i, obs) => {
        const cmd = cells[Math.floor(i / S)]!;
        obs[cmdAt] = cmd[0];
        obs[cmdAt + 1] = cmd[1];
        obs[cmdAt + 2] = cmd[2];
      },
      acted: (i) => {
        if (done[i]) return;
        const [vx, vy, yaw] = cells[Math.floor(i / S)]!;
        // error of the state the action is taken in (before stepping), base frame
        linSum[i] += Math.hypot(vx - vec.privileged[i * P + velAt]!, vy - vec.privileged[i * P + velAt + 1]!);
        wzBlock[i] += vec.obs[i * D + angAt + 2]!;
        if (++steps[i]! % YAW_BLOCK === 0) {
          yawSum[i] += Math.abs(wzBlock[i]! / YAW_BLOCK - yaw);
          wzBlock[i] = 0;
          blocks[i]++;
        }
      },
      onEpisode: (e) => {
        done[e.env] = 1;
        if (e.truncated && !e.terminated) survived[e.env] = 1;
      },
    });
    return cells.map((cmd, c) => {
      let lin = 0, yawE = 0, surv = 0;
      for (let k = c * S; k < c * S + S; k++) {
        lin += linSum[k]! / Math.max(1, steps[k]!);
        // An episode shorter than one block (an immediate fall) scores its partial block.
        yawE += blocks[k] ? yawSum[k]! / blocks[k]! : Math.abs(wzBlock[k]! / Math.max(1, steps[k]!) - cmd[2]);
        surv += survived[k]!;
      }
      return { cmd, linErr: lin / S, yawErr: yawE / S, survival: surv / S, episodes: S };
    });
  } finally {
    await vec.close();
  }
}
