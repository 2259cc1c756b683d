/**
 * The benchmark's policy: a legged_gym-sized actor MLP (45 → 512 → 256 → 128 → 12, ELU) on the plain Float32Array
 * runtime of @s2r/policies, with small seeded random weights (so the robot stands), observing what a Go1 locomotion
 * policy observes. It stands in for a trained artifact so the loop benchmark does not depend on training.
 */
import { RuntimeMlp } from '@s2r/policies/runtime/mlp.ts';
import { Rng } from '@s2r/core';
import type { DeployPolicy } from '../src/policy/types.ts';
import { observationFromSpec } from '../src/policy/observation.ts';

export interface BenchMlpOptions {
  joints: string[];
  defaultPose: number[];
  hidden?: number[];
  seed?: number;
  kp?: number;
  kd?: number;
}

export function benchMlpPolicy(o: BenchMlpOptions): DeployPolicy {
  const n = o.joints.length;
  const obs = observationFromSpec([
    { name: 'base_ang_vel', size: 3 },
    { name: 'projected_gravity', size: 3 },
    { name: 'velocity_command', size: 3 },
    { name: 'joint_pos_rel', size: n },
    { name: 'joint_vel', size: n },
    { name: 'last_action', size: n },
  ], n);
  const sizes = [obs.size, ...(o.hidden ?? [512, 256, 128]), n];
  const rng = Rng.seed(o.seed ?? 0).split('bench-mlp');
  const layers = sizes.slice(1).map((out, i) => {
    const inn = sizes[i]!;
    const w = new Float32Array(inn * out);
    rng.fillNormal(w, 0, 0.01 / Math.sqrt(inn)); // tiny: actions ≈ 0, the robot holds its default pose
    return { in: inn, out, w, b: new Float32Array(out) };
  });
  const mlp = new RuntimeMlp(layers, 'elu');
  const a = new Float32Array(n);
  return {
    jointNames: o.joints,
    obsSize: obs.size,
    actSize: n,
    defaultPose: Float64Array.from(o.defaultPose),
    // Target = default pose + 0.25 · action, actions in [-1, 1]; no joint limits or rate limit in the bench.
    pipeline: {
      mode: 'position',
      joints: [...o.joints],
      low: -1,
      high: 1,
      scale: 0.25,
      offset: [...o.defaultPose],
      lower: new Array<number | null>(n).fill(null),
      upper: new Array<number | null>(n).fill(null),
      maxRate: new Array<number | null>(n).fill(null),
      substepDt: 0.005,
    },
    kp: new Float64Array(n).fill(o.kp ?? 20),
    kd: new Float64Array(n).fill(o.kd ?? 0.5),
    observe: obs.observe,
    act(x) {
      const y = mlp.forward(x, 1);
      for (let i = 0; i < n; i++) a[i] = Math.max(-1, Math.min(1, y[i]!));
      return a;
    },
    reset() {},
  };
}
