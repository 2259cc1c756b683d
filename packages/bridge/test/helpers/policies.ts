/**
 * Test-double policies (DeployPolicy factories loaded by module path inside the control/inference threads).
 * They are real DeployPolicies with tiny deterministic behaviour, so loop tests can assert exact targets.
 */
import type { ActionPipelineSpec } from '@s2r/core';
import type { DeployPolicy } from '../../src/policy/types.ts';
import { observationFromSpec } from '../../src/policy/observation.ts';

export interface TestPolicyOptions {
  joints: string[];
  defaultPose: number[];
  kp?: number;
  kd?: number;
  actionScale?: number;
  actionMode?: 'position' | 'torque';
  /** Clip bounds (default ±100) and pipeline limits (default none), rad/s rate (default none), substep (s). */
  actionLow?: number;
  actionHigh?: number;
  lower?: (number | null)[];
  upper?: (number | null)[];
  maxRate?: number | null;
  substepDt?: number;
  /** Action value per joint (constant). */
  action?: number;
  /** Emit NaN on policy steps ≥ this index. */
  nanFrom?: number;
  /** Chunked: horizon / execute / obsHistory, and an artificial inference delay (ms, busy wait). */
  chunk?: { horizon: number; execute: number; obsHistory: number };
  delayMs?: number;
  /** Throw on policy steps ≥ this. */
  throwFrom?: number;
}

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/** An action pipeline for test policies: the options' bounds and limits, none unless given. */
export function testPipeline(o: TestPolicyOptions): ActionPipelineSpec {
  const n = o.joints.length;
  const torque = o.actionMode === 'torque';
  return {
    mode: o.actionMode ?? 'position',
    joints: [...o.joints],
    low: o.actionLow ?? -100,
    high: o.actionHigh ?? 100,
    scale: o.actionScale ?? 0.25,
    offset: torque ? new Array<number>(n).fill(0) : [...o.defaultPose],
    lower: o.lower ?? new Array<number | null>(n).fill(null),
    upper: o.upper ?? new Array<number | null>(n).fill(null),
    maxRate: new Array<number | null>(n).fill(torque ? null : (o.maxRate ?? null)),
    substepDt: o.substepDt ?? 0.005,
  };
}

function base(o: TestPolicyOptions): Omit<DeployPolicy, 'act' | 'actChunk' | 'chunk'> {
  const n = o.joints.length;
  const obs = observationFromSpec([
    { name: 'joint_pos_rel', size: n },
    { name: 'joint_vel', size: n },
    { name: 'last_action', size: n },
  ], n);
  return {
    jointNames: o.joints,
    obsSize: obs.size,
    actSize: n,
    defaultPose: Float64Array.from(o.defaultPose),
    pipeline: testPipeline(o),
    kp: new Float64Array(n).fill(o.kp ?? 20),
    kd: new Float64Array(n).fill(o.kd ?? 0.5),
    observe: obs.observe,
    reset() {},
  };
}

/** Constant action (optionally NaN after a number of steps). Step counter is the number of act() calls. */
export function constantPolicy(o: TestPolicyOptions): DeployPolicy {
  let step = 0;
  const out = new Float32Array(o.joints.length);
  return {
    ...base(o),
    act() {
      const s = step++;
      if (o.throwFrom !== undefined && s >= o.throwFrom) throw new Error('test policy failure');
      if (o.delayMs) busy(o.delayMs);
      out.fill(o.nanFrom !== undefined && s >= o.nanFrom ? NaN : (o.action ?? 0));
      return out;
    },
  };
}

/**
 * Chunked policy whose action k of a chunk encodes the *observation's* last action + k + 1 in units of 0.001,
 * i.e. it predicts a ramp; lets tests see which chunk entries were executed. Joint j gets the same value.
 */
export function rampChunkPolicy(o: TestPolicyOptions): DeployPolicy {
  const c = o.chunk ?? { horizon: 16, execute: 8, obsHistory: 2 };
  const n = o.joints.length;
  const out = new Float32Array(c.horizon * n);
  let calls = 0;
  return {
    ...base(o),
    chunk: c,
    async actChunk(hist) {
      calls++;
      if (hist.length !== c.obsHistory) throw new Error(`expected ${c.obsHistory} observations, got ${hist.length}`);
      if (o.delayMs) await new Promise((r) => setTimeout(r, o.delayMs));
      const last = hist[hist.length - 1]!;
      const a0 = last[2 * n]!; // last_action of joint 0
      for (let k = 0; k < c.horizon; k++) for (let j = 0; j < n; j++) out[k * n + j] = a0 + 0.001 * (k + 1);
      if (o.nanFrom !== undefined && calls > o.nanFrom) out.fill(NaN);
      return out;
    },
  };
}

/** Chunked policy whose every action is the number of times reset() has been called (tests the worker's reset). */
export function resetCountingPolicy(o: TestPolicyOptions): DeployPolicy {
  const c = o.chunk ?? { horizon: 4, execute: 2, obsHistory: 1 };
  const out = new Float32Array(c.horizon * o.joints.length);
  let resets = 0;
  return {
    ...base(o),
    chunk: c,
    actChunk() {
      return out.fill(resets);
    },
    reset() {
      resets++;
    },
  };
}

/**
 * A policy observing external inputs (as z1-push does): blockPose [7] and goal [2]. Its observation is
 * [blockPose, goal] and its action for joints 0, 1, 2… is block x, block y, goal x…, so the targets show which
 * input values reached observe().
 */
export function inputEchoPolicy(o: TestPolicyOptions): DeployPolicy {
  const n = o.joints.length;
  const out = new Float32Array(n);
  const pick = [0, 1, 7, 8, 2];
  return {
    ...base(o),
    obsSize: 9,
    inputs: [
      { name: 'blockPose', size: 7, unit: 'm, quaternion xyzw', description: 'block pose' },
      { name: 'goal', size: 2, unit: 'm', description: 'goal x y' },
    ],
    observe(input, obs) {
      const r = input as unknown as { blockPose: ArrayLike<number>; goal: ArrayLike<number> };
      for (let i = 0; i < 7; i++) obs[i] = r.blockPose[i]!;
      obs[7] = r.goal[0]!;
      obs[8] = r.goal[1]!;
    },
    act(obs) {
      for (let j = 0; j < n; j++) out[j] = obs[pick[j % pick.length]!]!;
      return out;
    },
  };
}
