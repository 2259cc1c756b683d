/**
 * Adapt a policy artifact (loaded by @s2r/policies' `loadPolicy`) to the DeployPolicy the loop runs.
 * The artifact carries its observation/action specs, default pose, action scale and gains; the observation function
 * comes from the task that trained it (pure `observe`) when @s2r/sim has it, otherwise from the spec's term names.
 * Anything missing is an error naming the field: a policy never runs on guessed conventions.
 */
import type { DeployPolicy } from './types.ts';
import { observationFromSpec, type ObsTermSpec } from './observation.ts';
import { validateDeployPolicy } from './validate.ts';

type Any = Record<string, any>;
type ObsInputLike = import('./types.ts').ObsInput;

function pick<T>(obj: Any | undefined, keys: string[]): T | undefined {
  if (!obj) return undefined;
  for (const k of keys) {
    const parts = k.split('.');
    let v: any = obj;
    for (const p of parts) v = v == null ? undefined : v[p];
    if (v !== undefined && v !== null) return v as T;
  }
  return undefined;
}

function perJoint(v: unknown, names: readonly string[], what: string, path: string): Float64Array {
  const n = names.length;
  if (typeof v === 'number') return new Float64Array(n).fill(v);
  if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const a = Float64Array.from(v as ArrayLike<number>);
    if (a.length !== n) throw new Error(`policy artifact ${path}: ${what} has ${a.length} entries, expected ${n}`);
    return a;
  }
  if (v && typeof v === 'object') {
    const rec = v as Record<string, number>;
    return Float64Array.from(names, (j) => {
      const x = rec[j];
      if (typeof x !== 'number') throw new Error(`policy artifact ${path}: ${what} has no entry for joint "${j}"`);
      return x;
    });
  }
  throw new Error(`policy artifact ${path}: ${what} is missing`);
}

export async function adaptArtifactPolicy(path: string, taskOverride?: string): Promise<DeployPolicy> {
  let policies: Any;
  try {
    const spec = '@s2r/policies'; // a variable specifier: the package is optional at type-check time
    policies = (await import(spec)) as Any;
  } catch (e) {
    throw new Error(`cannot load policy artifact ${path}: @s2r/policies failed to import (${(e as Error).message})`);
  }
  if (typeof policies.loadPolicy !== 'function') throw new Error(`cannot load policy artifact ${path}: @s2r/policies exports no loadPolicy()`);
  const p = (await policies.loadPolicy(path)) as Any;
  const meta: Any = p.meta ?? {};
  const actSpec: Any | undefined = pick(meta, ['actionSpec', 'specs.action', 'action']);
  const obsSpec: Any | undefined = pick(meta, ['observationSpec', 'specs.observation', 'observation']);
  const joints = pick<string[]>(meta, ['jointNames', 'actionSpec.joints', 'specs.action.joints', 'joints']);
  if (!joints?.length) throw new Error(`policy artifact ${path}: no joint names (meta.actionSpec.joints)`);
  const defaultPose = perJoint(pick(meta, ['defaultPose', 'default_pose', 'defaultJointPos', 'config.defaultPose']), joints, 'default pose', path);
  const actionMode0 = pick<string>(meta, ['actionMode', 'actionSpec.mode']);
  // Torque policies carry no PD gains (kp/kd null): the drive gets none.
  const kp = actionMode0 === 'torque' && pick(meta, ['kp']) == null ? new Float64Array(joints.length) : perJoint(pick(meta, ['kp', 'gains.kp', 'pd.kp', 'config.kp', 'config.pd.kp']), joints, 'kp', path);
  const kd = actionMode0 === 'torque' && pick(meta, ['kd']) == null ? new Float64Array(joints.length) : perJoint(pick(meta, ['kd', 'gains.kd', 'pd.kd', 'config.kd', 'config.pd.kd']), joints, 'kd', path);
  const actionScale = pick<number>(meta, ['actionScale', 'action_scale', 'actionSpec.scale', 'specs.action.scale']);
  if (typeof actionScale !== 'number') throw new Error(`policy artifact ${path}: no action scale (meta.actionSpec.scale)`);
  const actionMode = (pick<string>(meta, ['actionSpec.mode', 'actionMode']) ?? 'position') as 'position' | 'torque';
  const actionLow = pick<number>(meta, ['actionSpec.low', 'specs.action.low', 'actionLow']);
  const actionHigh = pick<number>(meta, ['actionSpec.high', 'specs.action.high', 'actionHigh']);
  const dt = pick<number>(meta, ['dt', 'controlDt', 'config.dt']);
  const policyRate = pick<number>(meta, ['policyRate', 'policy_rate_hz']) ?? (dt ? 1 / dt : undefined);
  const obsSize: number = p.obsSize;

  // Observation: the task's pure function when available (one source of truth with training), else the spec.
  let observe: DeployPolicy['observe'] | undefined;
  const taskName = taskOverride ?? pick<string>(meta, ['task', 'config.task', 'taskName']);
  if (taskName) {
    // The task's DeploySpec.observe is the very function the env used in training (@s2r/sim tasks/types.ts).
    let spec: Any | undefined;
    try {
      const simSpec = '@s2r/sim';
      const sim = (await import(simSpec)) as Any;
      if (typeof sim.getTask === 'function') {
        const def = sim.getTask(taskName);
        const cfg = pick<Any>(meta, ['envConfig']);
        try {
          spec = def.deploy(cfg ?? undefined);
        } catch {
          spec = def.deploy();
        }
      }
    } catch {
      spec = undefined; // task not registered here: fall back to the spec's term names below
    }
    const ext = (spec?.externalInputs ?? []) as { name: string; size: number; unit: string; description: string }[];
    if (ext.length > 0) {
      // Fail at load, naming what is missing, rather than on every policy tick inside observe().
      throw new Error(`policy artifact ${path}: task "${taskName}" observes inputs robot hardware does not report: ${ext.map((e) => `${e.name} [${e.size}] (${e.unit}; ${e.description})`).join('; ')}. Loading it from the file cannot supply them: deploy it through a module policy source whose observe() reads them (see docs/train-and-evaluate.md)`);
    }
    if (spec && typeof spec.observe === 'function') {
      const names: string[] = spec.jointNames ?? joints;
      if (names.join(',') !== joints.join(',')) {
        throw new Error(`policy artifact ${path}: task "${taskName}" observes joints in order [${names.join(', ')}] but the artifact acts on [${joints.join(', ')}]`);
      }
      // One readings object bound to the controller's (reused) arrays; `command` is the task's name for the
      // velocity command.
      let bound: ObsInputLike | null = null;
      let readings: Any | null = null;
      observe = (inp, out) => {
        if (bound !== inp) {
          bound = inp;
          readings = { jointPos: inp.jointPos, jointVel: inp.jointVel, angVel: inp.angVel, projectedGravity: inp.projectedGravity, command: inp.commands, lastAction: inp.lastAction };
        }
        spec!.observe(readings, out);
      };
    }
  }
  if (!observe) {
    const terms = obsSpec?.terms as ObsTermSpec[] | undefined;
    if (!terms) throw new Error(`policy artifact ${path}: no observation spec terms and no task observe() for "${taskName ?? '?'}"`);
    const o = observationFromSpec(terms, joints.length);
    if (o.size !== obsSize) throw new Error(`policy artifact ${path}: observation spec sums to ${o.size}, policy expects ${obsSize}`);
    observe = o.observe;
  }
  // A residual over a chunked base deploys split: base chunks through the queue, the residual per step (refine).
  const split = p.kind === 'residual' && typeof p.correct === 'function' && p.base?.chunk && typeof p.base.actChunk === 'function';
  const chunk = (split ? p.base.chunk : p.chunk) as DeployPolicy['chunk'];
  const dp: DeployPolicy = {
    jointNames: joints,
    obsSize,
    actSize: p.actSize,
    defaultPose,
    actionScale,
    actionMode,
    ...(typeof actionLow === 'number' && Number.isFinite(actionLow) ? { actionLow } : {}),
    ...(typeof actionHigh === 'number' && Number.isFinite(actionHigh) ? { actionHigh } : {}),
    kp,
    kd,
    policyRate,
    observe,
    act: typeof p.act === 'function' && !chunk ? (obs) => p.act(obs) : undefined,
    actChunk: split ? (h) => p.base.actChunk(h) : typeof p.actChunk === 'function' ? (h) => p.actChunk(h) : undefined,
    chunk,
    ...(split ? { refine: (obs: Float32Array, a: Float32Array, out: Float32Array) => void p.correct(obs, a, out) } : {}),
    ...(typeof p.warmup === 'function' ? { warmup: () => p.warmup() } : {}),
    reset: () => p.reset?.(),
    dispose: () => p.dispose?.(),
  };
  validateDeployPolicy(dp, path);
  return dp;
}
