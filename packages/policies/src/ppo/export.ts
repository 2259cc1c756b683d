/**
 * Export a trained PPO actor as an 'mlp' policy artifact, with the deployment facts of its task (default pose,
 * gains, the action pipeline) from the task's DeploySpec (@s2r/core's DeployFacts). A task that is not registered
 * is an error naming it, never a zero pose; tests' toy envs pass their facts explicitly.
 */
import type { ActionPipelineSpec, ActionSpec, DeployFacts, PolicyControl, SpaceSpec } from '@s2r/core';
import { getTask } from '@s2r/sim/tasks/registry.ts';
import { buildArtifact, encodeTensor, type PolicyArtifact } from '../artifact.ts';
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
  /** The action pipeline the env ran (stored in the artifact for the bridge). */
  pipeline: ActionPipelineSpec;
}

/** Map the task's per-robot-joint deploy facts onto the action joints; a joint it lacks is an error naming it. */
export function factsFromDeploy(d: DeployFacts, actionSpec: ActionSpec): Pick<EnvFacts, 'defaultPose' | 'kp' | 'kd' | 'pipeline'> {
  const idx = actionSpec.joints.map((j) => {
    const k = d.jointNames.indexOf(j);
    if (k < 0) throw new Error(`task "${d.task}" deploy spec has no joint "${j}" (has ${d.jointNames.join(', ')})`);
    return k;
  });
  if (d.pipeline.joints.join(',') !== actionSpec.joints.join(',')) {
    throw new Error(`task "${d.task}": its action pipeline drives [${d.pipeline.joints.join(', ')}] but the env acts on [${actionSpec.joints.join(', ')}]`);
  }
  return {
    defaultPose: idx.map((k) => d.defaultJointPos[k]!),
    kp: idx.map((k) => d.kp[k]!),
    kd: idx.map((k) => d.kd[k]!),
    pipeline: d.pipeline,
  };
}

/** The registered task's deploy facts for its resolved config (throws naming an unknown task). */
export function deployFacts(task: string, envConfig: unknown): DeployFacts {
  return getTask(task).deploy(envConfig ?? undefined);
}

export function exportPpoArtifact(ppo: PPO, env: EnvFacts, training: Record<string, unknown>): PolicyArtifact {
  const { model, tensors } = encodeMlp(ppo.actor.export(), ppo.cfg.activation, ppo.logStdValues);
  const norm = ppo.obsNorm.toData();
  const control: PolicyControl = {
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
    pipeline: { ...env.pipeline, low: Math.max(env.actionSpec.low, -ppo.cfg.actionClip), high: Math.min(env.actionSpec.high, ppo.cfg.actionClip) },
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
