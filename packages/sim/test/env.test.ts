import { afterAll, describe, expect, it } from 'vitest';
import { mergeConfig } from '../src/env/config.ts';
import { disabledDrConfig } from '../src/dr/config.ts';
import { getTask, load, resolveTaskConfig } from '../src/tasks/registry.ts';
import type { LocomotionEnv } from '../src/tasks/locomotion.ts';
import type { TaskEnv } from '../src/env/types.ts';
import { Rng } from '@s2r/core';

const quiet = { print: false };
const envs: TaskEnv[] = [];
afterAll(() => envs.forEach((e) => e.close()));
async function make(name: string, overrides?: unknown): Promise<TaskEnv<any>> {
  const e = await load(name, overrides as never, quiet);
  envs.push(e);
  return e;
}

describe('config overrides', () => {
  it('deep-merges explicitly and never mutates the defaults', () => {
    const base = { a: { b: 1, c: [1, 2] }, d: 'x' };
    const m = mergeConfig(base, { a: { c: [3] } });
    expect(m).toEqual({ a: { b: 1, c: [3] }, d: 'x' });
    expect(base.a.c).toEqual([1, 2]);
  });
  it('rejects unknown keys and wrong types, naming the path', () => {
    expect(() => resolveTaskConfig('go1-flat', { dr: { frictoin: {} } } as never)).toThrow(/go1-flat\.dr\.frictoin: unknown DR term \(registered: friction, /);
    expect(() => resolveTaskConfig('go1-flat', { control: { kp: 'high' } } as never)).toThrow(/go1-flat\.control\.kp: expected number/);
    expect(() => resolveTaskConfig('go1-flat', { dr: { friction: { range: [2, 1] } } } as never)).toThrow(/dr\.friction\.range/);
    expect(() => resolveTaskConfig('go1-flat', { decimation: 0 } as never)).toThrow(/decimation/);
  });
  it('keeps the resolved config on the env, frozen', async () => {
    const env = await make('go1-flat', { commands: { linVelX: [0.5, 1.0] } });
    expect((env.config as any).commands.linVelX).toEqual([0.5, 1.0]);
    expect((env.config as any).control.kp).toBe(20);
    expect(Object.isFrozen(env.config)).toBe(true);
    expect(JSON.parse(JSON.stringify(env.config)).physicsDt).toBe(0.005);
  });
});

describe('go1-flat specs and timing', () => {
  it('has the 45-value actor observation, a privileged critic group and 12 position actions', async () => {
    const env = await make('go1-flat');
    expect(env.physicsDt).toBe(0.005);
    expect(env.decimation).toBe(4);
    expect(env.dt).toBeCloseTo(0.02, 12);
    expect(env.maxEpisodeSteps).toBe(1000); // 20 s at 50 Hz
    const obs = env.observationSpec;
    expect(obs.terms.map((t) => [t.name, t.size])).toEqual([
      ['base_ang_vel', 3], ['projected_gravity', 3], ['velocity_command', 3], ['joint_pos_rel', 12], ['joint_vel', 12], ['last_action', 12],
    ]);
    expect(obs.size).toBe(45);
    expect(obs.terms.find((t) => t.name === 'joint_vel')!.unit).toBe('rad/s');
    expect(obs.terms.find((t) => t.name === 'joint_pos_rel')!.labels![0]).toBe('FR_hip_joint');
    const priv = env.privilegedSpec!;
    expect(priv.terms[0]).toMatchObject({ name: 'base_lin_vel', size: 3, unit: 'm/s' });
    expect(priv.terms.map((t) => t.name)).toEqual(expect.arrayContaining(['friction', 'added_base_mass', 'com_offset', 'motor_strength', 'action_latency']));
    expect(priv.size).toBe(priv.terms.reduce((s, t) => s + t.size, 0));
    expect(env.actionSpec).toMatchObject({ size: 12, mode: 'position', scale: 0.25, unit: 'rad' });
    const r = env.reset(0);
    expect(r.obs).toHaveLength(45);
    expect(r.info.privileged).toHaveLength(priv.size);
    const s = env.step(new Float32Array(12));
    expect(Object.keys(s.info.rewardTerms)).toEqual(env.rewardTermNames);
  });

  it('rejects an action of the wrong size or with NaN, naming the joint', async () => {
    const env = await make('go1-flat');
    env.reset(0);
    expect(() => env.step(new Float32Array(11))).toThrow(/11 values, expected 12/);
    const a = new Float32Array(12);
    a[2] = NaN;
    expect(() => env.step(a)).toThrow(/action\[2\] \(FR_calf_joint\) is NaN/);
  });

  it('reproduces an episode from its seed (fresh envs: Rapier keeps warm-start caches across resets)', async () => {
    const roll = async () => {
      const env = await make('go1-flat');
      const out: number[] = [];
      out.push(...env.reset(42).obs);
      const rng = Rng.seed(5);
      for (let t = 0; t < 30; t++) {
        const s = env.step(Array.from({ length: 12 }, () => rng.uniform(-1, 1)));
        out.push(...s.obs, s.reward);
      }
      return out;
    };
    expect(await roll()).toEqual(await roll());
  });
});

describe('truncation versus termination', () => {
  it('a time-out is a truncation, not a termination', async () => {
    const env = await make('go1-flat', { episodeLengthS: 0.5, dr: disabledDrConfig(), init: { jointPosScale: [1, 1], baseVel: 0 } });
    env.reset(0);
    expect(env.maxEpisodeSteps).toBe(25);
    let last;
    for (let t = 0; t < 25; t++) {
      last = env.step(new Float32Array(12));
      if (t < 24) expect(last.truncated || last.terminated).toBe(false);
    }
    expect(last!.truncated).toBe(true);
    expect(last!.terminated).toBe(false);
  });

  it('a fall is a termination, not a truncation', async () => {
    const env = await make('cartpole');
    env.reset(0);
    let s;
    let t = 0;
    do s = env.step([1]); // push one way: the pole falls within a second
    while (!s.terminated && !s.truncated && ++t < 500);
    expect(s.terminated).toBe(true);
    expect(s.truncated).toBe(false);
    expect(t).toBeLessThan(100);
  });

  it('base contact ends a go1-flat episode (robot dropped upside down)', async () => {
    const env = (await make('go1-flat', { dr: disabledDrConfig() })) as unknown as LocomotionEnv;
    env.reset(0);
    env.robot.resetState(env.defaultJointPos, [0, 0, 0.25], [1, 0, 0, 0]);
    let s;
    let t = 0;
    do s = env.step(new Float32Array(12));
    while (!s.terminated && ++t < 100);
    expect(s.terminated).toBe(true);
    expect(env.baseContact || env.projectedGravity[2]! > 0).toBe(true);
  });
});

describe('deploy: the bridge uses the same observation function', () => {
  it('go1-flat observe(readings) equals the env observation when noise is off', async () => {
    const def = getTask('go1-flat');
    const env = (await make('go1-flat', { dr: disabledDrConfig() })) as unknown as LocomotionEnv;
    env.reset(3);
    const rng = Rng.seed(9);
    const dep = def.deploy();
    expect(dep.jointNames).toEqual(env.jointNames);
    expect(Array.from(dep.defaultJointPos)).toEqual(Array.from(env.defaultJointPos));
    expect(dep.pipeline.scale).toBe(0.25);
    expect(dep.observationSpec).toEqual(env.observationSpec);
    let prev = new Float32Array(12);
    for (let t = 0; t < 5; t++) {
      const a = Float32Array.from({ length: 12 }, () => rng.uniform(-1, 1));
      const s = env.step(a);
      const imu = env.robot.imu();
      const o = dep.observe({ jointPos: env.robot.jointPos, jointVel: env.robot.jointVel, angVel: imu.angVel, projectedGravity: imu.projectedGravity, command: env.command, lastAction: a });
      expect(Array.from(o)).toEqual(Array.from(s.obs));
      prev = a;
    }
    expect(prev).toHaveLength(12);
  });
});
