/**
 * URDF → RobotModel. Pure data: no Rapier, no three.js. Node's fs is used only when present (to check that
 * mesh files exist), so the viewer can run the same parser in a browser with its own `exists` check.
 *
 * Errors name the file, the line, the element and what is wrong. Missing visual meshes are warnings;
 * missing collision meshes are errors (the simulator cannot guess their shape).
 */
import type { Geometry, Inertial, Joint, JointType, Link, Pose, RobotModel, Shape, Vec3 } from './model.ts';
import { descriptionRoot, resolveUri } from './paths.ts';
import { parseXml, XmlError, type XmlElement } from './xml.ts';

export class UrdfError extends Error {
  constructor(
    message: string,
    readonly source: string,
    readonly line?: number,
  ) {
    super(line !== undefined ? `${source}:${line}: ${message}` : `${source}: ${message}`);
    this.name = 'UrdfError';
  }
}

export interface ParseUrdfOptions {
  /** Path of the file the text came from (for errors and for resolving relative mesh paths). */
  source?: string;
  /** Explicit `package://NAME` folders. */
  packageDirs?: Record<string, string>;
  /** File-existence check for meshes. Default: Node's fs when available, otherwise "unknown" (assume present). */
  exists?: (path: string) => boolean;
}

const JOINT_TYPES: ReadonlySet<string> = new Set(['revolute', 'continuous', 'prismatic', 'fixed', 'floating', 'planar']);

function defaultExists(): ((p: string) => boolean) | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (m: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.('node:fs') as { existsSync(p: string): boolean } | undefined;
  return fs ? (p) => fs.existsSync(p) : undefined;
}

/** Parse URDF text into a RobotModel. Throws UrdfError (or XmlError) naming the file and element. */
export function parseUrdf(text: string, options: ParseUrdfOptions = {}): RobotModel {
  const source = options.source ?? '<urdf>';
  const exists = options.exists ?? defaultExists();
  const root = parseXml(text, source);
  const err = (msg: string, el?: XmlElement): never => {
    throw new UrdfError(msg, source, el?.line);
  };
  if (root.name !== 'robot') err(`root element is <${root.name}>, expected <robot>`, root);
  const robotName = root.attrs.name ?? '';
  if (!robotName) err('<robot> has no name attribute', root);
  const warnings: string[] = [];

  const num = (el: XmlElement, attr: string, what: string, fallback?: number): number => {
    const raw = el.attrs[attr];
    if (raw === undefined) {
      if (fallback !== undefined) return fallback;
      return err(`${what}: <${el.name}> is missing attribute ${attr}`, el);
    }
    const v = Number(raw.trim());
    if (raw.trim() === '' || !Number.isFinite(v)) err(`${what}: <${el.name} ${attr}="${raw}"> is not a finite number`, el);
    return v;
  };
  const vec = (el: XmlElement, attr: string, what: string, n: number, fallback?: number[]): number[] => {
    const raw = el.attrs[attr];
    if (raw === undefined) {
      if (fallback) return fallback;
      return err(`${what}: <${el.name}> is missing attribute ${attr}`, el);
    }
    const parts = raw.trim().split(/\s+/);
    const vals = parts.map(Number);
    if (parts.length !== n || vals.some((v) => !Number.isFinite(v))) {
      err(`${what}: <${el.name} ${attr}="${raw}"> must be ${n} finite numbers`, el);
    }
    return vals;
  };
  const child = (el: XmlElement, name: string): XmlElement | undefined => el.children.find((c) => c.name === name);
  const pose = (el: XmlElement | undefined, what: string): Pose => {
    if (!el) return { xyz: [0, 0, 0], rpy: [0, 0, 0] };
    return {
      xyz: vec(el, 'xyz', what, 3, [0, 0, 0]) as Vec3,
      rpy: vec(el, 'rpy', what, 3, [0, 0, 0]) as Vec3,
    };
  };

  // Named materials at the top level, referenced by visuals.
  const materials = new Map<string, [number, number, number, number]>();
  const readColor = (m: XmlElement, what: string) => {
    const c = child(m, 'color');
    return c ? (vec(c, 'rgba', what, 4) as [number, number, number, number]) : undefined;
  };
  for (const m of root.children) {
    if (m.name !== 'material' || !m.attrs.name) continue;
    const rgba = readColor(m, `material "${m.attrs.name}"`);
    if (rgba) materials.set(m.attrs.name, rgba);
  }

  const geometry = (shapeEl: XmlElement, kind: 'visual' | 'collision', linkName: string): Geometry | null => {
    const what = `<${kind}> of link "${linkName}"`;
    const g = child(shapeEl, 'geometry');
    if (!g) return err(`${what} has no <geometry>`, shapeEl);
    const inner = g.children;
    if (inner.length !== 1) err(`${what}: <geometry> must hold exactly one shape, found ${inner.length}`, g);
    const s = inner[0]!;
    switch (s.name) {
      case 'box': {
        const size = vec(s, 'size', what, 3) as Vec3;
        if (size.some((v) => v < 0)) err(`${what}: <box size> must not be negative`, s);
        return { type: 'box', size };
      }
      case 'cylinder': {
        const radius = num(s, 'radius', what);
        const length = num(s, 'length', what);
        if (radius <= 0 || length < 0) err(`${what}: <cylinder> needs radius > 0 and length ≥ 0`, s);
        return { type: 'cylinder', radius, length };
      }
      case 'sphere': {
        const radius = num(s, 'radius', what);
        if (radius <= 0) err(`${what}: <sphere radius> must be > 0`, s);
        return { type: 'sphere', radius };
      }
      case 'mesh': {
        const uri = s.attrs.filename;
        if (!uri) return err(`${what}: <mesh> has no filename`, s);
        const scale = vec(s, 'scale', what, 3, [1, 1, 1]) as Vec3;
        const r = resolveUri(uri, { urdfPath: source, packageDirs: options.packageDirs, exists });
        const known = exists !== undefined;
        if (!r.exists && known) {
          if (kind === 'collision') {
            err(`${what}: collision mesh "${uri}" not found (looked in ${r.tried.join(', ') || 'no candidates'})`, s);
          }
          warnings.push(`visual mesh "${uri}" of link "${linkName}" not found (line ${s.line}); falling back to collision geometry`);
        }
        return { type: 'mesh', uri, path: r.path, scale, exists: known ? r.exists : true };
      }
      default:
        return err(`${what}: unknown geometry <${s.name}> (expected box, cylinder, sphere or mesh)`, s);
    }
  };

  const links: Link[] = [];
  const linkByName = new Map<string, Link>();
  const linkLine = new Map<string, number>();
  for (const el of root.children) {
    if (el.name !== 'link') continue;
    const name = el.attrs.name;
    if (!name) err('<link> has no name attribute', el);
    if (linkByName.has(name!)) err(`duplicate link name "${name}" (first on line ${linkLine.get(name!)})`, el);
    let inertial: Inertial | null = null;
    const inEl = child(el, 'inertial');
    if (inEl) {
      const what = `<inertial> of link "${name}"`;
      const massEl = child(inEl, 'mass');
      if (!massEl) err(`${what} has no <mass>`, inEl);
      const mass = num(massEl!, 'value', what);
      if (mass < 0) err(`${what}: mass ${mass} is negative`, massEl);
      const iEl = child(inEl, 'inertia');
      const inertia = iEl
        ? {
            ixx: num(iEl, 'ixx', what, 0),
            iyy: num(iEl, 'iyy', what, 0),
            izz: num(iEl, 'izz', what, 0),
            ixy: num(iEl, 'ixy', what, 0),
            ixz: num(iEl, 'ixz', what, 0),
            iyz: num(iEl, 'iyz', what, 0),
          }
        : { ixx: 0, iyy: 0, izz: 0, ixy: 0, ixz: 0, iyz: 0 };
      if (!iEl) warnings.push(`link "${name}" has <inertial> without <inertia> (line ${inEl.line}); using zero inertia`);
      else if (mass > 0 && (inertia.ixx <= 0 || inertia.iyy <= 0 || inertia.izz <= 0)) {
        warnings.push(`link "${name}" has non-positive principal inertia (line ${iEl.line})`);
      }
      inertial = { mass, origin: pose(child(inEl, 'origin'), what), inertia };
    }
    const shapes = (kind: 'visual' | 'collision'): Shape[] => {
      const out: Shape[] = [];
      for (const s of el.children) {
        if (s.name !== kind) continue;
        const g = geometry(s, kind, name!);
        if (!g) continue;
        const shape: Shape = { origin: pose(child(s, 'origin'), `<${kind}> of link "${name}"`), geometry: g };
        if (s.attrs.name) shape.name = s.attrs.name;
        if (kind === 'visual') {
          const m = child(s, 'material');
          if (m) {
            const rgba = readColor(m, `<material> of link "${name}"`) ?? (m.attrs.name ? materials.get(m.attrs.name) : undefined);
            if (rgba) shape.rgba = rgba;
          }
        }
        out.push(shape);
      }
      return out;
    };
    const link: Link = { name: name!, inertial, collisions: shapes('collision'), visuals: shapes('visual') };
    links.push(link);
    linkByName.set(name!, link);
    linkLine.set(name!, el.line);
  }
  if (links.length === 0) err('<robot> has no <link>', root);

  const joints: Joint[] = [];
  const jointLine = new Map<string, number>();
  const parentOf = new Map<string, string>();
  for (const el of root.children) {
    if (el.name !== 'joint') continue;
    const name = el.attrs.name;
    if (!name) err('<joint> has no name attribute', el);
    const what = `joint "${name}"`;
    if (jointLine.has(name!)) err(`duplicate joint name "${name}" (first on line ${jointLine.get(name!)})`, el);
    const type = el.attrs.type;
    if (!type) err(`${what} has no type attribute`, el);
    if (!JOINT_TYPES.has(type!)) err(`${what}: unknown type "${type}" (expected ${[...JOINT_TYPES].join(', ')})`, el);
    const pEl = child(el, 'parent');
    const cEl = child(el, 'child');
    if (!pEl?.attrs.link) err(`${what} has no <parent link="...">`, el);
    if (!cEl?.attrs.link) err(`${what} has no <child link="...">`, el);
    const parent = pEl!.attrs.link!;
    const childName = cEl!.attrs.link!;
    if (!linkByName.has(parent)) err(`${what}: parent link "${parent}" is not defined`, pEl);
    if (!linkByName.has(childName)) err(`${what}: child link "${childName}" is not defined`, cEl);
    if (parentOf.has(childName)) err(`${what}: link "${childName}" already has parent joint "${parentOf.get(childName)}"`, cEl);
    parentOf.set(childName, name!);
    const axisEl = child(el, 'axis');
    let axis = (axisEl ? vec(axisEl, 'xyz', what, 3, [1, 0, 0]) : [1, 0, 0]) as Vec3;
    const n = Math.hypot(...axis);
    const moving = type === 'revolute' || type === 'continuous' || type === 'prismatic';
    if (moving && n < 1e-9) err(`${what}: <axis xyz> is zero`, axisEl);
    if (n > 1e-9) axis = axis.map((v) => v / n) as Vec3;
    const limEl = child(el, 'limit');
    const limits = { lower: -Infinity, upper: Infinity, velocity: Infinity, effort: Infinity };
    if (limEl) {
      if (limEl.attrs.effort !== undefined) limits.effort = Math.abs(num(limEl, 'effort', what));
      if (limEl.attrs.velocity !== undefined) limits.velocity = Math.abs(num(limEl, 'velocity', what));
      if (type !== 'continuous') {
        if (limEl.attrs.lower !== undefined) limits.lower = num(limEl, 'lower', what);
        if (limEl.attrs.upper !== undefined) limits.upper = num(limEl, 'upper', what);
        if (limits.lower > limits.upper) err(`${what}: <limit lower="${limits.lower}"> is above upper="${limits.upper}"`, limEl);
      }
      if (limits.effort === 0 && moving) warnings.push(`${what} has effort limit 0 (line ${limEl.line}); it cannot be actuated`);
    } else if (type === 'revolute' || type === 'prismatic') {
      warnings.push(`${what} (${type}) has no <limit> (line ${el.line}); treating it as unlimited`);
    }
    if ((type === 'revolute' || type === 'prismatic') && limEl && (limEl.attrs.lower === undefined || limEl.attrs.upper === undefined)) {
      // URDF defaults lower/upper to 0; an unset pair would lock the joint, which is rarely what was meant.
      warnings.push(`${what} <limit> lacks lower/upper (line ${limEl.line}); treating the missing bound as unlimited`);
    }
    const dynEl = child(el, 'dynamics');
    const dynamics = {
      damping: dynEl ? num(dynEl, 'damping', what, 0) : 0,
      friction: dynEl ? num(dynEl, 'friction', what, 0) : 0,
    };
    if (type === 'planar') warnings.push(`${what} is planar; the simulator treats it as fixed`);
    joints.push({
      name: name!,
      type: type as JointType,
      parent,
      child: childName,
      origin: pose(child(el, 'origin'), what),
      axis,
      limits,
      dynamics,
    });
    jointLine.set(name!, el.line);
  }

  // Exactly one root, and no cycles.
  const roots = links.filter((l) => !parentOf.has(l.name));
  if (roots.length !== 1) {
    err(
      roots.length === 0
        ? 'the joints form a cycle: every link has a parent'
        : `the robot must be one tree, but links ${roots.map((r) => `"${r.name}"`).join(', ')} have no parent joint`,
      root,
    );
  }
  let rootLink = roots[0]!.name;
  const childrenOf = new Map<string, Joint[]>();
  for (const j of joints) childrenOf.set(j.parent, [...(childrenOf.get(j.parent) ?? []), j]);
  const seen = new Set<string>();
  const walk = [rootLink];
  while (walk.length) {
    const l = walk.pop()!;
    if (seen.has(l)) err(`link "${l}" is reached twice: the joints form a cycle`, root);
    seen.add(l);
    for (const j of childrenOf.get(l) ?? []) walk.push(j.child);
  }
  if (seen.size !== links.length) {
    const lost = links.filter((l) => !seen.has(l.name)).map((l) => l.name);
    err(`links ${lost.join(', ')} are not connected to the root "${rootLink}" (the joints form a cycle)`, root);
  }

  // A massless `world` root pinned by one fixed/floating joint is a ROS convention for "bolted to the ground"
  // (or, floating, for "free"). Drop it and remember which it was.
  let fixedToWorld: boolean | undefined;
  let outLinks = links;
  let outJoints = joints;
  const rl = linkByName.get(rootLink)!;
  const rootJoints = childrenOf.get(rootLink) ?? [];
  if (rootLink === 'world' && !rl.inertial && rl.collisions.length === 0 && rootJoints.length === 1) {
    const j = rootJoints[0]!;
    if (j.type === 'fixed' || j.type === 'floating') {
      fixedToWorld = j.type === 'fixed';
      if (j.origin.xyz.some((v) => v !== 0) || j.origin.rpy.some((v) => v !== 0)) {
        warnings.push(`joint "${j.name}" from "world" has a non-zero origin; the spawn pose replaces it`);
      }
      outLinks = links.filter((l) => l !== rl);
      outJoints = joints.filter((x) => x !== j);
      rootLink = j.child;
    }
  }
  for (const l of outLinks) {
    const isRootish = l.name === rootLink;
    if (!l.inertial && !isRootish && l.collisions.length > 0) {
      warnings.push(`link "${l.name}" has collision geometry but no <inertial> (line ${linkLine.get(l.name)})`);
    }
  }

  const actuated = outJoints.filter((j) => j.type === 'revolute' || j.type === 'continuous' || j.type === 'prismatic');
  const model: RobotModel = {
    name: robotName,
    source,
    rootDir: descriptionRoot(source === '<urdf>' ? './robot.urdf' : source),
    links: outLinks,
    joints: outJoints,
    rootLink,
    actuatedJoints: actuated.map((j) => j.name),
    warnings,
    urdf: text,
  };
  if (fixedToWorld !== undefined) model.fixedToWorld = fixedToWorld;
  return model;
}

export { XmlError };
