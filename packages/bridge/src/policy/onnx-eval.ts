/**
 * An ONNX policy as a Policy that `s2r eval` runs on an s2r locomotion task. The env hands over its own actor
 * observation (s2r's terms) and its privileged group (true base linear velocity); the readings are recovered from
 * them by term name, the layout's observation is built by the same adapter `s2r deploy` uses, and the network's
 * joint targets are turned back into the env's action (target = env default + env scale · action).
 */
import { adaptOnnxPolicy, type OnnxSource } from './onnx.ts';
import type { ObsInput } from './types.ts';

type Spec = { size: number; terms: { name: string; size: number }[] };

function offsets(spec: Spec, need: string[], where: string): Record<string, number> {
  const out: Record<string, number> = {};
  let o = 0;
  for (const t of spec.terms) {
    out[t.name] = o;
    o += t.size;
  }
  const missing = need.filter((n) => out[n] === undefined);
  if (missing.length) throw new Error(`${where}: ONNX evaluation reads the robot from the task's observation terms, and this task has no ${missing.join(', ')} (terms: ${spec.terms.map((t) => t.name).join(', ')})`);
  return out;
}

export async function onnxEvalPolicy(s: Omit<OnnxSource, 'robot' | 'measures'> & { task: string }) {
  const sim = (await import('@s2r/sim')) as typeof import('@s2r/sim');
  const def = sim.getTask(s.task);
  const cfg = def.defaultConfig() as { robot?: string };
  if (!cfg.robot) throw new Error(`task "${s.task}" names no robot: ONNX evaluation runs on locomotion tasks`);
  const asset = sim.loadRobotAsset(cfg.robot);
  const spec = def.deploy();
  const dp = await adaptOnnxPolicy({ ...s, robot: asset.urdfPath, measures: ['base_lin_vel'] });
  const envJ = spec.jointNames;
  const J = envJ.length;
  const obsAt = offsets(spec.observationSpec as Spec, ['base_ang_vel', 'projected_gravity', 'velocity_command', 'joint_pos_rel', 'joint_vel'], `task ${s.task}`);
  // Policy joint k ↔ env joint envIdx[k].
  const envIdx = dp.jointNames.map((j) => {
    const i = envJ.indexOf(j);
    if (i < 0) throw new Error(`${s.onnx}: joint "${j}" is not a joint of task ${s.task} (${envJ.join(', ')})`);
    return i;
  });
  const inp: ObsInput = {
    jointPos: new Float64Array(J), jointVel: new Float64Array(J), defaultPose: Float64Array.from(dp.defaultPose),
    angVel: new Float64Array(3), projectedGravity: new Float64Array(3), linVel: new Float64Array(3), command: new Float64Array(3), lastAction: new Float32Array(J),
  };
  const obs = new Float32Array(dp.obsSize);
  const action = new Float32Array(J);
  let linVelAt = -1;
  return {
    kind: 'onnx',
    obsSize: spec.observationSpec.size,
    actSize: J,
    /** What evaluatePolicy needs: the task, and no artifact spec hash (the layout was checked instead). */
    meta: { task: s.task, specHash: '', source: s.onnx } as unknown as import('@s2r/policies').PolicyMeta,
    describe: () => dp.describe(),
    /** The env's privileged row (true base linear velocity, base frame), before act(). */
    observePrivileged(row: Float32Array, pspec: Spec | null) {
      if (linVelAt < 0) linVelAt = pspec ? offsets(pspec, ['base_lin_vel'], `task ${s.task} privileged`).base_lin_vel! : -2;
      if (linVelAt >= 0) for (let i = 0; i < 3; i++) inp.linVel[i] = row[linVelAt + i]!;
    },
    reset: () => dp.reset(),
    act(envObs: Float32Array): Float32Array {
      for (let i = 0; i < 3; i++) {
        inp.angVel[i] = envObs[obsAt.base_ang_vel! + i]!;
        inp.projectedGravity[i] = envObs[obsAt.projected_gravity! + i]!;
        inp.command[i] = envObs[obsAt.velocity_command! + i]!;
      }
      for (let k = 0; k < J; k++) {
        const e = envIdx[k]!;
        inp.jointPos[k] = envObs[obsAt.joint_pos_rel! + e]! + spec.defaultJointPos[e]!;
        inp.jointVel[k] = envObs[obsAt.joint_vel! + e]!;
      }
      dp.observe(inp, obs);
      const a = dp.act!(obs);
      for (let k = 0; k < J; k++) {
        const e = envIdx[k]!;
        const target = dp.defaultPose[k]! + dp.pipeline.scale * a[k]!;
        action[e] = (target - spec.defaultJointPos[e]!) / spec.pipeline.scale;
      }
      return action;
    },
    dispose: () => dp.dispose?.(),
  };
}
