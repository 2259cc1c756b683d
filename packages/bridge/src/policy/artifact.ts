/**
 * Adapt a policy artifact (loaded by @s2r/policies' `loadPolicy`) to the DeployPolicy the loop runs, typed on the
 * shared contract (@s2r/core): joints, default pose, gains and rate from the artifact, the observation function and
 * (for artifacts written before issue 11) the action pipeline from the task that trained it, resolved with the
 * artifact's own envConfig. Anything missing or disagreeing is an error naming the field: a policy never runs on
 * guessed conventions, and a task that is not registered is an error, never a default.
 */
import { pipelineDisagreement, type ActionPipelineSpec, type DeploySpec, type PolicyControl, type Readings } from '@s2r/core';
import { loadPolicy, type Policy, type PolicyMeta } from '@s2r/policies';
import { ResidualPolicy } from '@s2r/policies/residual/policy.ts';
import { getTask } from '@s2r/sim/tasks/registry.ts';
import type { DeployPolicy } from './types.ts';
import { validateDeployPolicy } from './validate.ts';

/** Per-joint gains from the artifact; null (a torque task has none) is zeros only in torque mode. */
function gains(c: PolicyControl, what: 'kp' | 'kd', path: string): Float64Array {
  const n = c.jointNames.length;
  const v = c[what];
  if (v === null) {
    if (c.actionMode === 'torque') return new Float64Array(n);
    throw new Error(`policy artifact ${path}: control.${what} is missing for a position-mode policy`);
  }
  if (v.length !== n) throw new Error(`policy artifact ${path}: control.${what} has ${v.length} entries, expected ${n}`);
  return Float64Array.from(v);
}

/** The task's deploy spec for the artifact's own resolved env config. */
function taskDeploySpec(taskName: string, meta: PolicyMeta, path: string): DeploySpec<Readings> {
  let def;
  try {
    def = getTask(taskName);
  } catch (e) {
    throw new Error(`policy artifact ${path}: ${(e as Error).message}; the bridge needs the task's observation and action pipeline`);
  }
  try {
    // envConfig is the task's resolved config, dumped by the trainer (unknown to the type system until here).
    return def.deploy(meta.envConfig ?? undefined) as DeploySpec<Readings>;
  } catch (e) {
    throw new Error(`policy artifact ${path}: task "${taskName}" cannot build its deploy spec from the artifact's training.envConfig: ${(e as Error).message}`);
  }
}

/**
 * The pipeline the policy trained behind: the artifact's (written since issue 11; readPolicyControl checked it
 * against the control block), else — a schemaVersion-1 file written before — the task's, resolved with the
 * artifact's envConfig, with the artifact's clip bounds (they include the trainer's clip). Scale, mode, offset and
 * joints must agree with the artifact: an old file is never reinterpreted under other conventions.
 */
function pipelineFor(c: PolicyControl, spec: DeploySpec<Readings>, path: string): ActionPipelineSpec {
  if (c.pipeline) return c.pipeline;
  const p: ActionPipelineSpec = { ...spec.pipeline, low: c.actionLow, high: c.actionHigh };
  const bad = (what: string, a: unknown, b: unknown) => new Error(`policy artifact ${path}: ${what} is ${JSON.stringify(a)} in the artifact but ${JSON.stringify(b)} in the action pipeline of task "${spec.task}"`);
  if (p.joints.join(',') !== c.jointNames.join(',')) throw bad('the action joint order', c.jointNames, p.joints);
  const d = pipelineDisagreement(c, p);
  if (d) throw bad(d.controlField, d.control, d.pipeline);
  return p;
}

export async function adaptArtifactPolicy(path: string, taskOverride?: string): Promise<DeployPolicy> {
  const p: Policy = await loadPolicy(path);
  const meta = p.meta;
  const control = meta.control;
  const joints = control.jointNames;
  if (!joints.length) throw new Error(`policy artifact ${path}: no joint names (control.jointNames)`);
  const taskName = taskOverride ?? meta.task;
  const spec = taskDeploySpec(taskName, meta, path);
  const actionJoints = spec.pipeline.joints;
  if (spec.jointNames.join(',') !== joints.join(',') && actionJoints.join(',') !== joints.join(',')) {
    throw new Error(`policy artifact ${path}: task "${taskName}" observes joints in order [${spec.jointNames.join(', ')}] but the artifact acts on [${joints.join(', ')}]`);
  }
  if (spec.observationSpec.size !== p.obsSize) throw new Error(`policy artifact ${path}: task "${taskName}" observes ${spec.observationSpec.size} values, the policy expects ${p.obsSize}`);
  // The task's observe() is the very function the env used in training; the controller's Readings are its input.
  const observe = (inp: Readings, out: Float32Array): void => void spec.observe(inp, out);
  // A residual over a chunked base deploys split: base chunks through the queue, the residual per step (refine).
  const split = p instanceof ResidualPolicy && p.base.chunk !== undefined && p.base.actChunk !== undefined ? p : null;
  const chunk = split ? split.base.chunk : p.chunk;
  const dp: DeployPolicy = {
    jointNames: joints,
    obsSize: p.obsSize,
    actSize: p.actSize,
    defaultPose: Float64Array.from(control.defaultPose),
    pipeline: pipelineFor(control, spec, path),
    kp: gains(control, 'kp', path),
    kd: gains(control, 'kd', path),
    policyRate: 1 / control.dt,
    observe,
    act: !chunk ? (obs) => p.act(obs) : undefined,
    actChunk: split ? (h) => split.base.actChunk!(h) : p.actChunk ? (h) => p.actChunk!(h) : undefined,
    chunk,
    task: taskName,
    // Inputs beyond the robot's own readings (a tracked block, a goal): the deploy checks the hardware provides each.
    ...(spec.externalInputs?.length ? { inputs: spec.externalInputs.map((e) => ({ ...e })) } : {}),
    ...(split ? { refine: (obs: Float32Array, a: Float32Array, out: Float32Array) => void split.correct(obs, a, out as Float32Array<ArrayBuffer>) } : {}),
    ...(p.warmup ? { warmup: () => p.warmup!() } : {}),
    reset: () => p.reset(),
    dispose: () => p.dispose?.(),
  };
  validateDeployPolicy(dp, path);
  return dp;
}
