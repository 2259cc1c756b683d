/**
 * A layout says how to build an ONNX policy's input from robot readings and how to turn its output into joint
 * targets: the ordered observation terms (scale, clip), the joint order of observation and action, the action scale
 * and offset, the tensor names, the PD gains, the policy rate and any recurrent state. `resolveLayout` checks it
 * against the robot and the ONNX file and fills what the file's metadata (mjlab) or the robot's s2r.json supply;
 * every missing or inconsistent field is one error naming it. The schema is documented in docs/deploy-onnx.md.
 */
import type { RobotModel } from '@s2r/core/robot/model.ts';
import { existsSync, readFileSync } from 'node:fs';
import { PRESETS } from './presets.ts';
import type { JointOrderRule, LayoutSpec } from './layout-spec.ts';
export type { JointOrderRule, LayoutSpec, LayoutTermSpec, PerJoint } from './layout-spec.ts';

const KEYS = new Set(['name', 'description', 'extends', 'input', 'output', 'recurrent', 'terms', 'observation', 'observationClip', 'jointOrder', 'observationJointOrder', 'actionScale', 'actionClip', 'defaultPose', 'kp', 'kd', 'effort', 'policyRateHz', 'metadata']);

export class LayoutError extends Error {
  constructor(where: string, message: string) {
    super(`layout ${where}: ${message}`);
    this.name = 'LayoutError';
  }
}

/** A preset name, or a JSON file path (which may `extends` a preset). */
export function loadLayout(nameOrFile: string): { spec: LayoutSpec; where: string } {
  if (PRESETS[nameOrFile]) return { spec: PRESETS[nameOrFile]!, where: nameOrFile };
  if (!existsSync(nameOrFile)) throw new LayoutError(nameOrFile, `neither a preset (${Object.keys(PRESETS).join(', ')}) nor an existing layout file`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(nameOrFile, 'utf8'));
  } catch (e) {
    throw new LayoutError(nameOrFile, `not valid JSON (${(e as Error).message})`);
  }
  return { spec: checkLayoutJson(json, nameOrFile), where: nameOrFile };
}

function isPerJoint(v: unknown): boolean {
  return typeof v === 'number' || (Array.isArray(v) && v.every((x) => typeof x === 'number')) || (!!v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'number'));
}

/** Shape checks of a layout file; merges it over its `extends` preset. */
export function checkLayoutJson(json: unknown, where: string): LayoutSpec {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new LayoutError(where, 'must be a JSON object');
  const j = json as Record<string, unknown>;
  for (const k of Object.keys(j)) if (!KEYS.has(k)) throw new LayoutError(where, `unknown field "${k}" (fields: ${[...KEYS].join(', ')})`);
  const str = (k: string) => {
    if (j[k] !== undefined && typeof j[k] !== 'string') throw new LayoutError(where, `"${k}" must be a string`);
  };
  ['name', 'description', 'extends', 'input', 'output'].forEach(str);
  if (j.extends !== undefined && !PRESETS[j.extends as string]) throw new LayoutError(where, `"extends": unknown preset "${j.extends}" (presets: ${Object.keys(PRESETS).join(', ')})`);
  for (const k of ['actionScale', 'defaultPose', 'kp', 'kd', 'effort']) {
    if (j[k] !== undefined && !isPerJoint(j[k])) throw new LayoutError(where, `"${k}" must be a number, an array of numbers (joint order) or {joint: number}`);
  }
  for (const k of ['observationClip', 'actionClip', 'policyRateHz']) {
    if (j[k] !== undefined && !(typeof j[k] === 'number' && (j[k] as number) > 0)) throw new LayoutError(where, `"${k}" must be a number > 0`);
  }
  for (const k of ['jointOrder', 'observationJointOrder']) {
    const v = j[k];
    if (v !== undefined && !(['urdf', 'breadth_first', 'depth_first'].includes(v as string) || (Array.isArray(v) && v.every((x) => typeof x === 'string')))) {
      throw new LayoutError(where, `"${k}" must be "urdf", "breadth_first", "depth_first" or an array of joint names`);
    }
  }
  if (j.metadata !== undefined && j.metadata !== 'mjlab') throw new LayoutError(where, `"metadata" must be "mjlab" (the only metadata convention known), got ${JSON.stringify(j.metadata)}`);
  if (j.terms !== undefined && !(j.terms && typeof j.terms === 'object' && Object.values(j.terms).every((v) => typeof v === 'string'))) throw new LayoutError(where, '"terms" must map term names to s2r term names');
  if (j.recurrent !== undefined && !(Array.isArray(j.recurrent) && j.recurrent.every((r) => r && typeof r.input === 'string' && typeof r.output === 'string'))) {
    throw new LayoutError(where, '"recurrent" must be a list of {"input": "h_in", "output": "h_out"}');
  }
  if (j.observation !== undefined) {
    if (!Array.isArray(j.observation) || j.observation.length === 0) throw new LayoutError(where, '"observation" must be a non-empty list of {"term": name, "scale"?, "clip"?}');
    j.observation.forEach((t, i) => {
      if (!t || typeof t.term !== 'string') throw new LayoutError(where, `observation[${i}] has no "term" name`);
      for (const k of Object.keys(t)) if (!['term', 'scale', 'clip'].includes(k)) throw new LayoutError(where, `observation[${i}] ("${t.term}"): unknown field "${k}"`);
      if (t.scale !== undefined && !(typeof t.scale === 'number' || (Array.isArray(t.scale) && t.scale.every((x: unknown) => typeof x === 'number')))) throw new LayoutError(where, `observation[${i}] ("${t.term}"): "scale" must be a number or an array of numbers`);
      if (t.clip !== undefined && !(typeof t.clip === 'number' && t.clip > 0)) throw new LayoutError(where, `observation[${i}] ("${t.term}"): "clip" must be a number > 0`);
    });
  }
  const base = j.extends ? PRESETS[j.extends as string]! : {};
  const merged: LayoutSpec = { ...base, ...(j as LayoutSpec) };
  if (!merged.observation) throw new LayoutError(where, 'missing "observation" (the ordered terms), and no "extends" preset supplies one');
  return merged;
}

/** Actuated joints ordered by a rule over the URDF tree. Siblings are taken by name, as PhysX and Isaac Gym do. */
export function jointOrderByRule(model: RobotModel, rule: JointOrderRule): string[] {
  const actuated = new Set(model.actuatedJoints);
  if (rule === 'urdf') return [...model.actuatedJoints];
  const children = new Map<string, { joint: string; child: string }[]>();
  for (const j of model.joints) {
    const l = children.get(j.parent) ?? [];
    l.push({ joint: j.name, child: j.child });
    children.set(j.parent, l);
  }
  for (const l of children.values()) l.sort((a, b) => (a.joint < b.joint ? -1 : a.joint > b.joint ? 1 : 0));
  if (rule === 'depth_first') {
    const out: string[] = [];
    const visit = (link: string) => {
      for (const c of children.get(link) ?? []) {
        if (actuated.has(c.joint)) out.push(c.joint);
        visit(c.child);
      }
    };
    visit(model.rootLink);
    return out;
  }
  // Breadth-first by actuated depth (a fixed joint adds no level), one level's joints by name: all hips, all thighs…
  return levelsOf(model, children, actuated).flatMap((l) => [...l].sort());
}

function levelsOf(model: RobotModel, children: Map<string, { joint: string; child: string }[]>, actuated: Set<string>): string[][] {
  const levels: string[][] = [];
  const walk = (link: string, d: number) => {
    for (const c of children.get(link) ?? []) {
      if (actuated.has(c.joint)) {
        (levels[d] ??= []).push(c.joint);
        walk(c.child, d + 1);
      } else walk(c.child, d);
    }
  };
  walk(model.rootLink, 0);
  return levels;
}
