/**
 * DeployPolicy factories for the chunked-deployment test (loaded by module path inside the bridge's control /
 * inference threads). They wrap the real diffusion / residual policies from their artifacts. z1-push observes
 * a block and a goal that joint hardware cannot report, so a fixed block pose and goal stand in for the
 * tracker the real cell would have; everything else is the task's own observation function.
 */
import { readFileSync } from 'node:fs';
import { z1Push } from '@s2r/sim/tasks/z1-push.ts';
import { Rng } from '@s2r/core';
import { DiffusionPolicy } from '../../src/diffusion/policy.ts';
import { ResidualPolicy } from '../../src/residual/policy.ts';
import type { Policy } from '../../src/policy.ts';

export interface FactoryOptions {
  artifact: string;
  block?: number[];
  goal?: number[];
}

async function wrap(p: Policy, o: FactoryOptions, chunked: boolean) {
  const spec = z1Push.deploy();
  const block = o.block ?? [0.5, 0.05, 0.025, 0, 0, 0, 1];
  const goal = o.goal ?? [0.55, 0.15];
  const m = p.meta.control;
  const readings = { jointPos: new Float64Array(0) as ArrayLike<number>, jointVel: new Float64Array(0) as ArrayLike<number>, blockPose: block, goal, lastAction: new Float32Array(0) as ArrayLike<number> };
  return {
    jointNames: m.jointNames,
    obsSize: p.obsSize,
    actSize: p.actSize,
    defaultPose: Float64Array.from(m.defaultPose),
    pipeline: { ...(m.pipeline ?? spec.pipeline), low: m.actionLow, high: m.actionHigh },
    kp: Float64Array.from(m.kp ?? spec.kp),
    kd: Float64Array.from(m.kd ?? spec.kd),
    policyRate: 1 / m.dt,
    observe(input: { jointPos: Float64Array; jointVel: Float64Array; lastAction: Float32Array }, out: Float32Array) {
      readings.jointPos = input.jointPos;
      readings.jointVel = input.jointVel;
      readings.lastAction = input.lastAction;
      spec.observe(readings, out);
    },
    ...(chunked
      ? { actChunk: (h: Float32Array[]) => p.actChunk!(h), chunk: p.chunk }
      : { act: (obs: Float32Array) => p.act(obs) }),
    reset: () => p.reset(),
  };
}

// Both are warmed up (JIT) while loading, i.e. before the loop's real time starts.
export async function diffusionDeployPolicy(o: FactoryOptions) {
  const p = new DiffusionPolicy(JSON.parse(readFileSync(o.artifact, 'utf8')), { rng: Rng.seed(1) });
  p.warmup();
  return wrap(p, o, true);
}

/** Split as ResiP deploys it (and as the bridge's artifact adapter does): base chunks through the queue, residual per step. */
export async function residualDeployPolicy(o: FactoryOptions) {
  const p = await ResidualPolicy.create(JSON.parse(readFileSync(o.artifact, 'utf8')), { rng: Rng.seed(1) });
  p.warmup();
  const w = await wrap(p.base, o, true);
  return { ...w, refine: (obs: Float32Array, a: Float32Array, out: Float32Array) => void p.correct(obs, a, out as Float32Array<ArrayBuffer>), reset: () => p.reset() };
}

/** Baseline for the loop-rate comparison: the same observation function, a constant (zero) action. */
export async function holdDeployPolicy(o: FactoryOptions) {
  const p = new DiffusionPolicy(JSON.parse(readFileSync(o.artifact, 'utf8')), { rng: Rng.seed(1) });
  const hold = new Float32Array(p.actSize);
  const w = await wrap(p, o, false);
  return { ...w, act: (_obs: Float32Array) => hold };
}
