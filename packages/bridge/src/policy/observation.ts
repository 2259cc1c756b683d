/**
 * Deploy-time observation built from an observation spec's term names (legged_gym layout and friends), for
 * artifacts whose task does not ship its own pure `observe`. Unknown terms are an error naming the term, so a
 * policy never runs on an observation it was not trained on.
 */
import type { ObsInput } from './types.ts';

export interface ObsTermSpec {
  name: string;
  size: number;
  /** Multiplier applied to the term (legged_gym obs_scales), one number or one per component; default 1. */
  scale?: number | readonly number[];
  /** Clip the scaled term to ±clip (ONNX layouts). */
  clip?: number;
}

type Writer = (inp: ObsInput, out: Float32Array, o: number, size: number, scale: number) => void;

function vec(get: (inp: ObsInput) => ArrayLike<number>): Writer {
  return (inp, out, o, size, scale) => {
    const v = get(inp);
    for (let i = 0; i < size; i++) out[o + i] = v[i]! * scale;
  };
}

const WRITERS: Record<string, Writer> = {
  base_lin_vel: vec((i) => i.linVel),
  base_ang_vel: vec((i) => i.angVel),
  projected_gravity: vec((i) => i.projectedGravity),
  commands: vec((i) => i.commands),
  velocity_commands: vec((i) => i.commands),
  velocity_command: vec((i) => i.commands),
  joint_pos: vec((i) => i.jointPos),
  joint_pos_rel: (inp, out, o, size, scale) => {
    for (let i = 0; i < size; i++) out[o + i] = (inp.jointPos[i]! - inp.defaultPose[i]!) * scale;
  },
  joint_vel: vec((i) => i.jointVel),
  last_action: vec((i) => i.lastAction),
  actions: vec((i) => i.lastAction),
};

export const KNOWN_OBS_TERMS = Object.keys(WRITERS);

/** Compile a spec into an allocation-free observe(input, out). */
export function observationFromSpec(terms: readonly ObsTermSpec[], nJoints: number): { size: number; observe: (inp: ObsInput, out: Float32Array) => void } {
  const plan: { w: Writer; o: number; size: number; scale: number; scales: readonly number[] | null; clip: number }[] = [];
  let o = 0;
  for (const t of terms) {
    const w = WRITERS[t.name];
    if (!w) throw new Error(`observation term "${t.name}" is not known at deploy time (known: ${KNOWN_OBS_TERMS.join(', ')}); give the policy its task's observe()`);
    const expected = t.name.startsWith('joint_') || t.name === 'last_action' || t.name === 'actions' ? nJoints : 3;
    if (t.size !== expected) throw new Error(`observation term "${t.name}" has size ${t.size}, expected ${expected}`);
    const scales = typeof t.scale === 'object' ? t.scale : null;
    if (scales && scales.length !== t.size) throw new Error(`observation term "${t.name}" has ${scales.length} scales, expected ${t.size}`);
    plan.push({ w, o, size: t.size, scale: typeof t.scale === 'number' ? t.scale : 1, scales, clip: t.clip ?? Infinity });
    o += t.size;
  }
  const size = o;
  return {
    size,
    observe(inp, out) {
      for (let k = 0; k < plan.length; k++) {
        const p = plan[k]!;
        p.w(inp, out, p.o, p.size, p.scale);
        if (p.scales) for (let i = 0; i < p.size; i++) out[p.o + i] = out[p.o + i]! * p.scales[i]!;
        if (p.clip !== Infinity) {
          for (let i = p.o; i < p.o + p.size; i++) out[i] = out[i]! > p.clip ? p.clip : out[i]! < -p.clip ? -p.clip : out[i]!;
        }
      }
    },
  };
}
