/**
 * Deploy-time observation built from an observation spec's term names (legged_gym layout and friends), for
 * artifacts whose task does not ship its own pure `observe`. Term names are @s2r/core's OBS_TERMS (the env's);
 * other frameworks' spellings (`commands`, `velocity_commands`, `actions`) are read through OBS_TERM_ALIASES.
 * Unknown terms are an error naming the term, so a policy never runs on an observation it was not trained on.
 */
import { OBS_TERMS, OBS_TERM_ALIASES, type ObsTermName } from '@s2r/core';
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

const WRITERS: Record<ObsTermName, Writer> = {
  [OBS_TERMS.baseLinVel]: vec((i) => i.linVel),
  [OBS_TERMS.baseAngVel]: vec((i) => i.angVel),
  [OBS_TERMS.projectedGravity]: vec((i) => i.projectedGravity),
  [OBS_TERMS.velocityCommand]: vec((i) => i.command),
  [OBS_TERMS.jointPos]: vec((i) => i.jointPos),
  [OBS_TERMS.jointPosRel]: (inp, out, o, size, scale) => {
    for (let i = 0; i < size; i++) out[o + i] = (inp.jointPos[i]! - inp.defaultPose[i]!) * scale;
  },
  [OBS_TERMS.jointVel]: vec((i) => i.jointVel),
  [OBS_TERMS.lastAction]: vec((i) => i.lastAction),
};

export const KNOWN_OBS_TERMS = [...Object.keys(WRITERS), ...Object.keys(OBS_TERM_ALIASES)];

/** s2r's name of a term, or undefined when neither a name nor a known alias. */
function canonicalTerm(name: string): ObsTermName | undefined {
  if (Object.hasOwn(WRITERS, name)) return name as ObsTermName;
  return OBS_TERM_ALIASES[name];
}

/** Compile a spec into an allocation-free observe(input, out). */
export function observationFromSpec(terms: readonly ObsTermSpec[], nJoints: number): { size: number; observe: (inp: ObsInput, out: Float32Array) => void } {
  const plan: { w: Writer; o: number; size: number; scale: number; scales: readonly number[] | null; clip: number }[] = [];
  let o = 0;
  for (const t of terms) {
    const canon = canonicalTerm(t.name);
    const w = canon ? WRITERS[canon] : undefined;
    if (!w || !canon) throw new Error(`observation term "${t.name}" is not known at deploy time (known: ${KNOWN_OBS_TERMS.join(', ')}); give the policy its task's observe()`);
    const expected = canon.startsWith('joint_') || canon === OBS_TERMS.lastAction ? nJoints : 3;
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
