/**
 * Resolve a layout against the robot and the ONNX file: every term, joint, gain and scale made explicit and
 * checked, before anything moves. `describeLayout` prints the result term by term and joint by joint.
 */
import type { RobotModel } from '@s2r/core/robot/model.ts';
import type { ResolvedRobotConfig } from '@s2r/core/robot/robot-config.ts';
import { LayoutError, jointOrderByRule } from './layout.ts';
import type { JointOrderRule, LayoutSpec, PerJoint } from './layout-spec.ts';
import { S2R_TERMS, UNMEASURED_ON_ROBOTS } from './presets.ts';
import type { OrtValueInfo } from './ort.ts';

export interface ResolvedTerm {
  /** Name in the layout's vocabulary (what the user wrote / the project calls it). */
  source: string;
  /** s2r term (S2R_TERMS). */
  name: string;
  size: number;
  /** Offset in the observation vector. */
  offset: number;
  scale: number[];
  clip: number | null;
  /** Written as zeros (--zero-terms). */
  zeroed: boolean;
}

export interface ResolvedLayout {
  name: string;
  where: string;
  input: string;
  output: string;
  obsSize: number;
  recurrent: { input: string; output: string; dims: number[] }[];
  terms: ResolvedTerm[];
  observationClip: number | null;
  /** Network action order. */
  actionJoints: string[];
  /** Joint order inside the joint terms of the observation. */
  obsJoints: string[];
  /** Per action joint: offset (rad), scale, gains (N·m/rad, N·m·s/rad), effort limit (N·m). */
  defaultPose: Float64Array;
  actionScale: Float64Array;
  actionClip: number | null;
  kp: Float64Array;
  kd: Float64Array;
  effort: Float64Array;
  policyRateHz: number;
  /** Where each fact came from ('ONNX metadata', 'layout', 's2r.json', 'URDF', 'preset', '--joint-order'). */
  from: Record<'joints' | 'defaultPose' | 'actionScale' | 'kp' | 'kd' | 'effort' | 'observation', string>;
  zeroTerms: string[];
}

export interface ResolveInput {
  spec: LayoutSpec;
  where: string;
  onnxWhere: string;
  model: RobotModel;
  robotConfig: ResolvedRobotConfig;
  inputs: OrtValueInfo[];
  outputs: OrtValueInfo[];
  metadata: Record<string, string>;
  /** --joint-order a,b,c */
  jointOrder?: string[];
  /** --zero-terms base_lin_vel */
  zeroTerms?: string[];
  /** Terms the hardware measures beyond joints, IMU, command and last action (the sim: base_lin_vel). */
  measures?: string[];
}

const csv = (s: string) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);

function csvNumbers(meta: Record<string, string>, key: string, n: number, where: string): number[] | null {
  const v = meta[key];
  if (v === undefined) return null;
  const xs = csv(v).map(Number);
  if (xs.some((x) => !Number.isFinite(x))) throw new LayoutError(where, `ONNX metadata "${key}" is not a list of numbers: "${v.slice(0, 80)}"`);
  if (xs.length === 1) return new Array<number>(n).fill(xs[0]!);
  if (xs.length !== n) throw new LayoutError(where, `ONNX metadata "${key}" has ${xs.length} values but "joint_names" has ${n}`);
  return xs;
}

function perJoint(v: PerJoint, joints: readonly string[], what: string, where: string): Float64Array {
  if (typeof v === 'number') return new Float64Array(joints.length).fill(v);
  if (Array.isArray(v)) {
    if (v.length !== joints.length) throw new LayoutError(where, `"${what}" has ${v.length} values, expected ${joints.length} (one per joint, action order)`);
    return Float64Array.from(v);
  }
  for (const k of Object.keys(v)) if (!joints.includes(k)) throw new LayoutError(where, `"${what}" names unknown joint "${k}"`);
  return Float64Array.from(joints, (j) => {
    const x = v[j];
    if (typeof x !== 'number') throw new LayoutError(where, `"${what}" has no value for joint "${j}"`);
    return x;
  });
}

function checkJointList(names: string[], model: RobotModel, what: string, where: string): string[] {
  const actuated = new Set(model.actuatedJoints);
  const seen = new Set<string>();
  for (const n of names) {
    if (!actuated.has(n)) throw new LayoutError(where, `${what}: unknown joint "${n}" (robot ${model.name} has ${model.actuatedJoints.join(', ')})`);
    if (seen.has(n)) throw new LayoutError(where, `${what}: joint "${n}" listed twice`);
    seen.add(n);
  }
  const missing = model.actuatedJoints.filter((j) => !seen.has(j));
  if (missing.length) throw new LayoutError(where, `${what}: ${names.length} joints given, robot joint(s) ${missing.join(', ')} missing`);
  return names;
}

function order(v: JointOrderRule | string[], model: RobotModel, what: string, where: string): string[] {
  return checkJointList(typeof v === 'string' ? jointOrderByRule(model, v) : [...v], model, what, where);
}

export function resolveLayout(r: ResolveInput): ResolvedLayout {
  const { spec, where, model } = r;
  const name = spec.name ?? where;
  const from = { joints: 'preset', defaultPose: 's2r.json', actionScale: 'layout', kp: 's2r.json', kd: 's2r.json', effort: 'URDF', observation: 'layout' } as ResolvedLayout['from'];
  const meta = spec.metadata === 'mjlab' ? r.metadata : {};
  if (spec.metadata === 'mjlab' && !meta.joint_names) throw new LayoutError(where, `${r.onnxWhere} carries no mjlab metadata ("joint_names" missing); export it with mjlab's exporter or use another layout`);

  // Joint order: --joint-order, else the file's metadata, else the layout's rule or list.
  let actionJoints: string[];
  if (r.jointOrder?.length) {
    actionJoints = checkJointList(r.jointOrder, model, '--joint-order', where);
    from.joints = '--joint-order';
  } else if (meta.joint_names) {
    actionJoints = checkJointList(csv(meta.joint_names), model, 'ONNX metadata "joint_names"', where);
    from.joints = 'ONNX metadata';
  } else {
    actionJoints = order(spec.jointOrder ?? 'urdf', model, 'jointOrder', where);
    from.joints = typeof spec.jointOrder === 'string' ? spec.jointOrder : spec.jointOrder ? 'layout' : 'urdf';
  }
  const obsJoints = r.jointOrder?.length || !spec.observationJointOrder ? actionJoints : order(spec.observationJointOrder, model, 'observationJointOrder', where);
  const J = actionJoints.length;
  const urdfIdx = (j: string) => model.actuatedJoints.indexOf(j);
  const fromConfig = (a: Float64Array) => Float64Array.from(actionJoints, (j) => a[urdfIdx(j)]!);

  // Action scale, offset, gains: ONNX metadata, then the layout, then s2r.json / URDF.
  const mPose = csvNumbers(meta, 'default_joint_pos', J, where);
  const mKp = csvNumbers(meta, 'joint_stiffness', J, where);
  const mKd = csvNumbers(meta, 'joint_damping', J, where);
  const mScale = csvNumbers(meta, 'action_scale', J, where);
  const pick = (m: number[] | null, v: PerJoint | undefined, fallback: (() => Float64Array) | null, key: keyof ResolvedLayout['from'], what: string, dflt: string): Float64Array => {
    if (m) {
      from[key] = 'ONNX metadata';
      return Float64Array.from(m);
    }
    if (v !== undefined) {
      from[key] = 'layout';
      return perJoint(v, actionJoints, what, where);
    }
    if (!fallback) throw new LayoutError(where, `no "${what}" (not in the layout, nor in the ONNX metadata)`);
    from[key] = dflt;
    return fallback();
  };
  const defaultPose = pick(mPose, spec.defaultPose, () => fromConfig(r.robotConfig.defaultJointPos), 'defaultPose', 'defaultPose', r.robotConfig.source ? 's2r.json' : 'zeros (no s2r.json)');
  const actionScale = pick(mScale, spec.actionScale, null, 'actionScale', 'actionScale', '');
  const kp = pick(mKp, spec.kp, () => fromConfig(r.robotConfig.kp), 'kp', 'kp', 's2r.json');
  const kd = pick(mKd, spec.kd, () => fromConfig(r.robotConfig.kd), 'kd', 'kd', 's2r.json');
  const effort = pick(null, spec.effort, () => Float64Array.from(actionJoints, (j) => model.joints.find((x) => x.name === j)!.limits.effort), 'effort', 'effort', 'URDF');
  for (const [k, a] of [['defaultPose', defaultPose], ['actionScale', actionScale], ['kp', kp], ['kd', kd]] as const) {
    a.forEach((x, i) => {
      if (!Number.isFinite(x)) throw new LayoutError(where, `${k} of joint "${actionJoints[i]}" is not a finite number`);
    });
  }
  if (kp.every((x) => x === 0)) throw new LayoutError(where, `every Kp is 0 (from ${from.kp}): give "kp" in the layout or in the robot's s2r.json`);

  // Observation terms, in the network's input order.
  let termList = spec.observation ?? [];
  if (meta.observation_names) {
    termList = csv(meta.observation_names).map((t) => spec.observation?.find((o) => o.term === t) ?? { term: t });
    from.observation = 'ONNX metadata';
  }
  const known = { ...Object.fromEntries(Object.keys(S2R_TERMS).map((k) => [k, k])), ...(spec.terms ?? {}) };
  const zero = new Set(r.zeroTerms ?? []);
  const terms: ResolvedTerm[] = [];
  let offset = 0;
  for (const t of termList) {
    const s2r = known[t.term];
    if (!s2r || !S2R_TERMS[s2r]) throw new LayoutError(where, `unknown observation term "${t.term}" (known: ${Object.keys(known).join(', ')})`);
    const size = S2R_TERMS[s2r]!.size === 'J' ? J : 3;
    const scale = typeof t.scale === 'number' || t.scale === undefined ? new Array<number>(size).fill(t.scale ?? 1) : t.scale;
    if (scale.length !== size) throw new LayoutError(where, `observation term "${t.term}" has ${scale.length} scales, expected ${size}`);
    terms.push({ source: t.term, name: s2r, size, offset, scale, clip: t.clip ?? null, zeroed: zero.has(t.term) || zero.has(s2r) });
    offset += size;
  }
  for (const z of zero) if (!terms.some((t) => t.source === z || t.name === z)) throw new LayoutError(where, `--zero-terms: "${z}" is not a term of this layout (${terms.map((t) => t.source).join(', ')})`);
  const measures = new Set(r.measures ?? []);
  for (const t of terms) {
    if (UNMEASURED_ON_ROBOTS.includes(t.name) && !measures.has(t.name) && !t.zeroed) {
      throw new LayoutError(where, `observation term "${t.source}" (${S2R_TERMS[t.name]!.what}) is not measured by this hardware; pass --zero-terms ${t.source} to feed zeros (the policy then runs on an input it was not trained with)`);
    }
  }

  // Tensors: names, sizes and recurrent state against the file.
  const inName = spec.input ?? 'obs';
  const outName = spec.output ?? 'actions';
  const names = (l: OrtValueInfo[]) => l.map((v) => `${v.name} [${v.dims.join(', ')}]`).join(', ');
  const inp = r.inputs.find((v) => v.name === inName);
  if (!inp) throw new LayoutError(where, `input tensor "${inName}" is not in ${r.onnxWhere} (inputs: ${names(r.inputs)})`);
  const out = r.outputs.find((v) => v.name === outName);
  if (!out) throw new LayoutError(where, `output tensor "${outName}" is not in ${r.onnxWhere} (outputs: ${names(r.outputs)})`);
  const width = (v: OrtValueInfo) => v.dims[v.dims.length - 1];
  if (typeof width(inp) === 'number' && width(inp) !== offset) {
    throw new LayoutError(where, `the observation terms sum to ${offset} values (${terms.map((t) => `${t.source} ${t.size}`).join(' + ')}) but ONNX input "${inName}" takes ${width(inp)}`);
  }
  if (typeof width(out) === 'number' && width(out) !== J) throw new LayoutError(where, `ONNX output "${outName}" has ${width(out)} values, the robot has ${J} joints`);
  const recurrent = (spec.recurrent ?? autoRecurrent(r.inputs, r.outputs, inName)).map((s) => {
    const i = r.inputs.find((v) => v.name === s.input);
    const o = r.outputs.find((v) => v.name === s.output);
    if (!i) throw new LayoutError(where, `recurrent input "${s.input}" is not in ${r.onnxWhere} (inputs: ${names(r.inputs)})`);
    if (!o) throw new LayoutError(where, `recurrent output "${s.output}" is not in ${r.onnxWhere} (outputs: ${names(r.outputs)})`);
    const dims = i.dims.map((d) => (typeof d === 'number' ? d : 1));
    return { input: s.input, output: s.output, dims };
  });
  const fed = new Set([inName, ...recurrent.map((s) => s.input)]);
  const unfed = r.inputs.filter((v) => !fed.has(v.name));
  if (unfed.length) throw new LayoutError(where, `${r.onnxWhere} has inputs the layout does not feed: ${names(unfed)} (recurrent state? add "recurrent": [{"input", "output"}])`);

  const rate = spec.policyRateHz ?? 50;
  return {
    name, where, input: inName, output: outName, obsSize: offset, recurrent, terms,
    observationClip: spec.observationClip ?? null, actionJoints, obsJoints, defaultPose, actionScale,
    actionClip: spec.actionClip ?? null, kp, kd, effort, policyRateHz: rate, from, zeroTerms: [...zero],
  };
}

/** rsl_rl's recurrent export names: h_in → h_out, c_in → c_out. */
function autoRecurrent(inputs: OrtValueInfo[], outputs: OrtValueInfo[], obs: string): { input: string; output: string }[] {
  const pairs: { input: string; output: string }[] = [];
  for (const i of inputs) {
    if (i.name === obs) continue;
    const o = i.name.endsWith('_in') ? i.name.slice(0, -3) + '_out' : null;
    if (o && outputs.some((x) => x.name === o)) pairs.push({ input: i.name, output: o });
  }
  return pairs;
}

const f3 = (x: number) => (Number.isFinite(x) ? (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(3).replace(/\.?0+$/, '') || '0') : '∞');

/** The resolved mapping, term by term and joint by joint, for the operator to read before anything moves. */
export function describeLayout(l: ResolvedLayout): string[] {
  const lines = [`ONNX layout ${l.name}: input "${l.input}" [1, ${l.obsSize}] → output "${l.output}" [1, ${l.actionJoints.length}], policy ${l.policyRateHz} Hz${l.recurrent.length ? `, recurrent ${l.recurrent.map((s) => `${s.input}→${s.output} [${s.dims.join(',')}]`).join(', ')} (zeroed at episode start)` : ''}`];
  lines.push(`  observation (order from ${l.from.observation}${l.observationClip ? `, clipped to ±${l.observationClip}` : ''}):`);
  for (const t of l.terms) {
    const sc = t.scale.every((x) => x === t.scale[0]) ? f3(t.scale[0]!) : `[${t.scale.map(f3).join(', ')}]`;
    lines.push(`    [${String(t.offset).padStart(3)}..${String(t.offset + t.size - 1).padStart(3)}] ${t.source.padEnd(18)} → ${t.name.padEnd(18)} ×${sc}${t.clip ? ` clip ±${t.clip}` : ''}${t.zeroed ? '  ZEROED (--zero-terms): the policy sees 0 here' : ''}`);
  }
  const sameObs = l.obsJoints.join() === l.actionJoints.join();
  lines.push(`  joints (action order from ${l.from.joints}${sameObs ? ', same order in the observation' : ''}); target = offset + scale·action${l.actionClip ? `, action clipped to ±${l.actionClip}` : ''}:`);
  lines.push(`    ${'#'.padStart(3)} ${'joint'.padEnd(18)} ${'offset rad'.padStart(10)} ${'scale'.padStart(7)} ${'Kp'.padStart(7)} ${'Kd'.padStart(6)} ${'effort'.padStart(7)}${sameObs ? '' : '  obs slot'}`);
  l.actionJoints.forEach((j, i) => {
    lines.push(`    ${String(i).padStart(3)} ${j.padEnd(18)} ${f3(l.defaultPose[i]!).padStart(10)} ${f3(l.actionScale[i]!).padStart(7)} ${f3(l.kp[i]!).padStart(7)} ${f3(l.kd[i]!).padStart(6)} ${f3(l.effort[i]!).padStart(7)}${sameObs ? '' : `  ${l.obsJoints.indexOf(j)}`}`);
  });
  lines.push(`  offset from ${l.from.defaultPose}, scale from ${l.from.actionScale}, Kp from ${l.from.kp}, Kd from ${l.from.kd}, effort from ${l.from.effort}`);
  for (const z of l.zeroTerms) lines.push(`  WARNING: --zero-terms ${z}: this term is fed as zeros; the policy was trained with it measured`);
  return lines;
}
