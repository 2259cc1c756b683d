/**
 * Export a trained PPO actor as an 'mlp' policy artifact, with the deployment facts of its task (default pose,
 * gains, action scaling) read from the task's DeploySpec when @s2r/sim has the task, else from the env.
 */
import type { ActionSpec, SpaceSpec } from '@s2r/sim/env/types.ts';
import { buildArtifact, encodeTensor, type ArtifactControl, type PolicyArtifact } from '../artifact.ts';
import { encodeMlp } from '../mlp-policy.ts';
import type { PPO } from './ppo.ts';

export interface EnvFacts {
  task: string;
  observationSpec: SpaceSpec;
  privilegedSpec: SpaceSpec | null;
  actionSpec: ActionSpec;
  dt: number;
  /** The task's resolved config (dumped into the artifact). */
  envConfig: unknown;
  /** Per action joint (actionSpec.joints order). */
  defaultPose: number[];
  kp: number[] | null;
  kd: number[] | null;
}

interface DeployLike {
  jointNames: string[];
  defaultJointPos: ArrayLike<number>;
  kp: ArrayLike<number>;
  kd: ArrayLike<number>;
}

/** Map the task's per-robot-joint deploy facts onto the action joints. */
export function factsFromDeploy(d: DeployLike | null, actionSpec: ActionSpec): Pick<EnvFacts, 'defaultPose' | 'kp' | 'kd'> {
  if (!d) return { defaultPose: actionSpec.joints.map(() => 0), kp: null, kd: null };
  const idx = actionSpec.joints.map((j) => {
    const k = d.jointNames.indexOf(j);
    if (k < 0) throw new Error(`task deploy spec has no joint "${j}" (has ${d.jointNames.join(', ')})`);
    return k;
  });
  return {
    defaultPose: idx.map((k) => d.defaultJointPos[k]!),
    kp: idx.map((k) => d.kp[k]!),
    kd: idx.map((k) => d.kd[k]!),
  };
}

/** Look the task up in @s2r/sim's registry for its deploy facts; null when the task is not registered. */
export async function deployFacts(task: string, envConfig: unknown): Promise<DeployLike | null> {
  try {
    const reg = (await import('@s2r/sim/tasks/registry.ts')) as { getTask(n: string): { deploy(c?: unknown): DeployLike } };
    return reg.getTask(task).deploy(envConfig ?? undefined);
  } catch {
    return null;
  }
}

export function exportPpoArtifact(ppo: PPO, env: EnvFacts, training: Record<string, unknown>): PolicyArtifact {
  const { model, tensors } = encodeMlp(ppo.actor.export(), ppo.cfg.activation, ppo.logStdValues);
  const norm = ppo.obsNorm.toData();
  const control: ArtifactControl = {
    dt: env.dt,
    actionScale: env.actionSpec.scale,
    actionMode: env.actionSpec.mode,
    // The deployed policy clips like training did: to the task's bounds and the trainer's actionClip.
    actionLow: Math.max(env.actionSpec.low, -ppo.cfg.actionClip),
    actionHigh: Math.min(env.actionSpec.high, ppo.cfg.actionClip),
    jointNames: [...env.actionSpec.joints],
    defaultPose: env.defaultPose,
    kp: env.kp,
    kd: env.kd,
  };
  return buildArtifact({
    kind: 'mlp',
    task: env.task,
    specs: { observation: env.observationSpec, action: env.actionSpec, privileged: env.privilegedSpec },
    normalizer: { mean: encodeTensor(norm.mean), var: encodeTensor(norm.var), count: norm.count, clip: norm.clip, eps: norm.eps },
    control,
    model: model as unknown as Record<string, unknown>,
    tensors,
    training: { algo: 'ppo', config: ppo.cfg, envConfig: env.envConfig, ...training },
  });
}
