import { afterAll, describe, expect, it } from 'vitest';
import { getTask, listTasks, load } from '../src/tasks/registry.ts';
import { disabledDrConfig } from '../src/dr/config.ts';
import type { TaskEnv } from '../src/env/types.ts';
import type { LocomotionEnv } from '../src/tasks/locomotion.ts';
import { z1PushConfig, type Z1PushEnv } from '../src/tasks/z1-push.ts';
import { makeZ1PushExpert, z1PushExpert } from '../src/tasks/z1-push-expert.ts';
import { Rng } from '@s2r/core';

const envs: TaskEnv[] = [];
afterAll(() => envs.forEach((e) => e.close()));
async function make(name: string, overrides?: unknown): Promise<TaskEnv<any>> {
  const e = await load(name, overrides as never, { print: false });
  envs.push(e);
  return e;
}

describe('every registered task', () => {
  it('registers the four tasks', () => {
    expect(listTasks()).toEqual(['cartpole', 'go1-flat', 'go1-rough', 'z1-push']);
  });

  for (const name of ['cartpole', 'go1-flat', 'go1-rough', 'z1-push']) {
    it(`${name}: 1,000 random steps with auto-reset, no NaN, specs consistent`, async () => {
      const env = await make(name);
      const rng = Rng.seed(1);
      let { obs, info } = env.reset(0);
      expect(obs).toHaveLength(env.observationSpec.size);
      expect(env.observationSpec.size).toBe(env.observationSpec.terms.reduce((s, t) => s + t.size, 0));
      expect(env.actionSpec.joints).toHaveLength(env.actionSpec.size);
      const A = env.actionSpec.size;
      for (let t = 0; t < 1000; t++) {
        const a = Array.from({ length: A }, () => rng.uniform(env.actionSpec.low, env.actionSpec.high) * 0.3);
        const s = env.step(a);
        expect(Number.isFinite(s.reward)).toBe(true);
        for (const v of s.obs) if (!Number.isFinite(v)) throw new Error(`${name}: non-finite observation at step ${t}`);
        if (s.info.privileged) for (const v of s.info.privileged) if (!Number.isFinite(v)) throw new Error(`${name}: non-finite privileged obs at step ${t}`);
        if (s.terminated || s.truncated) ({ obs, info } = env.reset());
      }
      expect(info.rewardTerms).toBeDefined();
    });
  }
});

describe('go1-flat', () => {
  it('stands for 4 s with zero action (default pose, PD Kp 20 / Kd 0.5) without falling', async () => {
    const env = (await make('go1-flat', { dr: disabledDrConfig(), init: { jointPosScale: [1, 1], baseVel: 0 } })) as unknown as LocomotionEnv;
    env.reset(0);
    const h: number[] = [];
    for (let t = 0; t < 200; t++) {
      const s = env.step(new Float32Array(12));
      expect(s.terminated).toBe(false);
      if (t >= 50) h.push(env.baseHeight);
    }
    expect(Math.min(...h)).toBeGreaterThan(0.2);
    expect(Math.max(...h) - Math.min(...h)).toBeLessThan(0.02);
    expect(-env.projectedGravity[2]!).toBeGreaterThan(0.97); // upright within ~14°
  });

  it('resamples commands from the configured ranges', async () => {
    const env = (await make('go1-flat', { commands: { linVelX: [0.5, 1.0], linVelY: [0, 0], angVelYaw: [0, 0], resampleS: 0.1 } })) as unknown as LocomotionEnv;
    env.reset(0);
    const seen = new Set<number>();
    for (let t = 0; t < 30; t++) {
      env.step(new Float32Array(12));
      expect(env.command[0]).toBeGreaterThanOrEqual(0.5);
      expect(env.command[0]).toBeLessThanOrEqual(1.0);
      expect(env.command[1]).toBe(0);
      seen.add(env.command[0]!);
    }
    expect(seen.size).toBeGreaterThanOrEqual(5); // resampled every 5 steps
  });
});

describe('go1-rough', () => {
  it('spawns on its terrain tile and moves levels with the curriculum', async () => {
    const env = (await make('go1-rough', { dr: disabledDrConfig() })) as unknown as LocomotionEnv;
    env.reset(0);
    const t = env.terrain!;
    expect(t.rows * t.cols).toBe(t.heights.length);
    const start = env.level;
    expect(env.drValues().terrain_level).toBe(start); // reported per episode, e.g. in EpisodeStats.dr
    expect(start).toBeGreaterThanOrEqual(0);
    expect(start).toBeLessThanOrEqual(5);
    // Standing on the tile centre platform: the base is above the local terrain.
    expect(env.baseHeight).toBeGreaterThan(0.2);
    // Walked past the tile edge → next episode one level up.
    (env as any).basePos = [env.basePos[0] + 3, env.basePos[1], env.basePos[2]];
    env.reset();
    expect(env.level).toBe(Math.min(start + 1, 9));
    // Didn't move although commanded → one level down.
    env.command[0] = 1;
    const lvl = env.level;
    env.reset();
    expect(env.level).toBe(Math.max(lvl - 1, 0));
  });
});

describe('cartpole', () => {
  it('knows its maximum return, and a linear controller reaches it', async () => {
    const env = await make('cartpole');
    expect(env.maxReturn).toBe(500);
    let total = 0;
    for (let ep = 0; ep < 3; ep++) {
      let { obs } = env.reset(ep);
      for (let t = 0; t < 500; t++) {
        const [x, xd, th, thd] = obs as unknown as number[];
        const s = env.step([Math.max(-1, Math.min(1, (0.5 * x! + xd! + 20 * th! + 3 * thd!) / 10))]);
        obs = s.obs;
        total += s.reward;
        if (s.terminated || s.truncated) break;
      }
    }
    expect(total / 3).toBeGreaterThanOrEqual(0.95 * 500);
  });

  it('deploy(): observation from plain joint readings, force on the slider only', () => {
    const d = getTask('cartpole').deploy();
    expect(d.pipeline.mode).toBe('torque');
    expect(d.pipeline.joints).toEqual(['slider']);
    const o = d.observe({ jointPos: [0.1, 0.02], jointVel: [0.3, -0.4] });
    expect(Array.from(o)).toEqual([0.1, 0.3, 0.02, -0.4].map(Math.fround));
  });
});

describe('z1-push', () => {
  it('the scripted expert pushes the block to the goal in at least 90% of episodes', async () => {
    const env = (await make('z1-push')) as unknown as Z1PushEnv;
    const expert = makeZ1PushExpert(z1PushConfig());
    let success = 0;
    const N = 20;
    for (let ep = 0; ep < N; ep++) {
      let { obs } = env.reset(1000 + ep);
      for (let t = 0; t < env.maxEpisodeSteps; t++) {
        const s = env.step(expert(obs));
        obs = s.obs;
        if (s.terminated || s.truncated) {
          if (s.info.success) success++;
          expect(s.terminated).toBe(!!s.info.success || env.blockPose[2]! < -0.05);
          break;
        }
      }
    }
    expect(success / N).toBeGreaterThanOrEqual(0.9);
  });

  it('exposes block and goal in the observation; success means block within tolerance of the goal', async () => {
    const env = (await make('z1-push')) as unknown as Z1PushEnv;
    const { obs } = env.reset(3);
    const names = env.observationSpec.terms.map((t) => t.name);
    expect(names).toEqual(['joint_pos_rel', 'joint_vel', 'ee_pos', 'block_pos', 'block_quat', 'goal_pos', 'ee_to_block', 'block_to_goal', 'last_action']);
    const o = (n: string) => { let k = 0; for (const t of env.observationSpec.terms) { if (t.name === n) return k; k += t.size; } return -1; };
    expect(obs[o('block_pos')]).toBeCloseTo(env.blockPose[0]!, 5);
    expect(obs[o('goal_pos') + 1]).toBeCloseTo(env.goal[1]!, 5);
    expect(obs[o('block_to_goal')]).toBeCloseTo(env.goal[0]! - env.blockPose[0]!, 5);
    expect(obs[o('ee_to_block') + 2]).toBeCloseTo(env.blockPose[2]! - env.eePos[2]!, 2); // measured joints carry the DR offset
    expect(env.blockGoalDist()).toBeGreaterThan(env.config.goal.tolerance);
    const s = env.step(z1PushExpert(obs));
    expect(s.info.success).toBe(false);
  });
});
