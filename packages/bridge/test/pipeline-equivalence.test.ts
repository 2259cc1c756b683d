/**
 * The env and the bridge run the same action pipeline: one action sequence (large enough to hit the clip, the joint
 * limits and the rate limit) goes through go1-flat's env step and through the bridge's PolicyController in its
 * default between-ticks mode ('hold'), at 500 Hz and at 1 kHz command rates. At every command tick the bridge sends
 * exactly the target the env's actuator tracks at that instant (the substep in progress), bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { disabledDrConfig } from '@s2r/sim/dr/config.ts';
import { load, getTask } from '@s2r/sim/tasks/registry.ts';
import type { LocomotionEnv } from '@s2r/sim/tasks/locomotion.ts';
import { Rng } from '@s2r/core';
import { PolicyController } from '../src/loop/policy-controller.ts';
import { InlineSource } from '../src/loop/action-source.ts';
import { MockHardware } from '../src/hardware/mock.ts';
import type { DeployPolicy } from '../src/policy/types.ts';

const STEPS = 12; // policy steps

async function envTargets(actions: Float32Array[]): Promise<{ initial: Float32Array; substeps: Float32Array[]; env: LocomotionEnv }> {
  // No DR (no encoder bias, no action latency): the bridge has neither on hardware.
  const env = (await load('go1-flat', { dr: disabledDrConfig() }, { print: false })) as unknown as LocomotionEnv;
  env.reset(5);
  const substeps: Float32Array[] = [];
  const robot = env.robot;
  const set = robot.setPositionTargets.bind(robot);
  robot.setPositionTargets = (q) => {
    substeps.push(Float32Array.from(q));
    set(q);
  };
  const initial = Float32Array.from(env.pipeline.target);
  for (const a of actions) env.step(a);
  return { initial, substeps, env };
}

function bridgeTargets(env: LocomotionEnv, initial: Float32Array, actions: Float32Array[], rateHz: number): { t: number; pos: number[] }[] {
  const spec = getTask('go1-flat').deploy(env.config);
  const joints = spec.pipeline.joints;
  let k = 0;
  const policy: DeployPolicy = {
    jointNames: joints,
    obsSize: 1,
    actSize: joints.length,
    // Where the bridge's rate limiter starts (the soft start's end on hardware); here the env's spawn pose.
    defaultPose: Float64Array.from(initial),
    pipeline: spec.pipeline,
    kp: Float64Array.from(spec.kp),
    kd: Float64Array.from(spec.kd),
    observe: () => {},
    act: () => actions[k++]!,
    reset: () => {},
  };
  const period = 1 / rateHz;
  const decimation = Math.round(env.dt / period);
  const c = new PolicyController({ policy, source: new InlineSource(policy, () => 0), hwJoints: joints, decimation, period, clock: () => 0 });
  const hw = new MockHardware({ jointNames: joints });
  const out: { t: number; pos: number[] }[] = [];
  for (let j = 0; j < STEPS * decimation; j++) {
    const t = j * period;
    out.push({ t, pos: Array.from(c.update(t, hw.read(t), true)!.position) });
  }
  return out;
}

describe('action pipeline: env and bridge give the same targets at the physics substep times', () => {
  for (const rateHz of [500, 1000]) {
    it(`at a ${rateHz} Hz command rate`, async () => {
      const rng = Rng.seed(11).split('actions');
      const actions = Array.from({ length: STEPS }, () => Float32Array.from({ length: 12 }, () => rng.uniform(-12, 12)));
      const { initial, substeps, env } = await envTargets(actions);
      try {
        // The sequence exercises every stage.
        expect(env.pipeline.counts.clip).toBeGreaterThan(0);
        expect(env.pipeline.counts.position_limit).toBeGreaterThan(0);
        expect(env.pipeline.counts.rate_limit).toBeGreaterThan(0);
        expect(substeps.length).toBe(STEPS * env.decimation);
        const ticks = bridgeTargets(env, initial, actions, rateHz);
        let onSubstepStart = 0;
        for (const { t, pos } of ticks) {
          // The substep in progress at time t: policy step p, substep s of it.
          const p = Math.floor(t / env.dt + 1e-9);
          const s = Math.floor((t - p * env.dt) / env.physicsDt + 1e-9);
          expect(pos, `t = ${(t * 1e3).toFixed(1)} ms (policy step ${p}, substep ${s})`).toEqual(Array.from(substeps[p * env.decimation + s]!));
          if (Math.abs((t - p * env.dt) / env.physicsDt - s) < 1e-9) onSubstepStart++;
        }
        // Every substep start that is also a command tick was compared: all of them at 1 kHz, every other at 500 Hz.
        expect(onSubstepStart).toBe(rateHz === 1000 ? STEPS * env.decimation : STEPS * env.decimation / 2);
      } finally {
        env.close();
      }
    });
  }
});
