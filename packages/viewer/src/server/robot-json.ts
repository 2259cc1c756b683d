/**
 * Server side of the robot shown in the page: parse the URDF embedded in a recording with @s2r/sim's parser,
 * resolve its meshes on disk, and describe it to the browser as JSON where every mesh is referred to by an
 * index into an allowlist (the server never serves a path the page chose).
 */
import { existsSync, statSync } from 'node:fs';
import { extname, isAbsolute, resolve, join } from 'node:path';
import { parseUrdf, type Geometry, type RobotModel, type Shape } from '@s2r/core';

export const MESH_TYPES: Record<string, string> = { '.dae': 'model/vnd.collada+xml', '.stl': 'model/stl', '.obj': 'model/obj' };

export type GeometryJson = Exclude<Geometry, { type: 'mesh' }> | { type: 'mesh'; uri: string; scale: [number, number, number]; url: string | null; format: string };

export interface ShapeJson {
  origin: Shape['origin'];
  geometry: GeometryJson;
  rgba?: [number, number, number, number];
}

export interface RobotJson {
  name: string;
  rootLink: string;
  actuatedJoints: string[];
  links: { name: string; visuals: ShapeJson[]; collisions: ShapeJson[] }[];
  joints: RobotModel['joints'];
  warnings: string[];
  /** Visual meshes that could not be found: the page shows collision geometry for them, with a note. */
  missingMeshes: { link: string; uri: string; tried: string | null }[];
}

export interface MeshTable {
  files: string[];
  add(path: string): number;
}

export function meshTable(): MeshTable {
  const files: string[] = [];
  const idx = new Map<string, number>();
  return {
    files,
    add(p) {
      let i = idx.get(p);
      if (i === undefined) {
        i = files.length;
        files.push(p);
        idx.set(p, i);
      }
      return i;
    },
  };
}

const isFile = (p: string): boolean => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/**
 * Parse a recorded URDF. `urdfPath` is where it lived when recorded (meshes resolve next to it);
 * `robotDir` overrides where `package://` meshes are looked for (the description was moved).
 */
export function parseRecordedRobot(urdf: string, opts: { urdfPath?: string; robotDir?: string }): RobotModel {
  const packageDirs: Record<string, string> = {};
  if (opts.robotDir) for (const m of urdf.matchAll(/package:\/\/([^/"']+)/g)) packageDirs[m[1]!] = resolve(opts.robotDir);
  const source = opts.urdfPath && isAbsolute(opts.urdfPath) ? opts.urdfPath : join(resolve(opts.robotDir ?? '.'), 'urdf', 'robot.urdf');
  try {
    return parseUrdf(urdf, { source, packageDirs, exists: isFile });
  } catch (e) {
    // The simulator must refuse a missing collision mesh; a viewer should still show what it can.
    const model = parseUrdf(urdf, { source, packageDirs, exists: () => true });
    for (const l of model.links)
      for (const s of [...l.visuals, ...l.collisions]) if (s.geometry.type === 'mesh') s.geometry.exists = !!s.geometry.path && isFile(s.geometry.path);
    model.warnings.push(`viewer: ${(e as Error).message}`);
    return model;
  }
}

export function robotToJson(model: RobotModel, table: MeshTable, urlPrefix: string): RobotJson {
  const missing: RobotJson['missingMeshes'] = [];
  const shape = (s: Shape, link: string, visual: boolean): ShapeJson => {
    const g = s.geometry;
    let geometry: GeometryJson;
    if (g.type === 'mesh') {
      const format = extname(g.path ?? g.uri).toLowerCase();
      const ok = g.exists && !!g.path && format in MESH_TYPES && existsSync(g.path);
      let url: string | null = null;
      if (ok) {
        const i = table.add(g.path!);
        url = `${urlPrefix}/${i}/mesh${format}`;
      } else if (visual) missing.push({ link, uri: g.uri, tried: g.path });
      geometry = { type: 'mesh', uri: g.uri, scale: g.scale, url, format };
    } else geometry = g;
    const out: ShapeJson = { origin: s.origin, geometry };
    if (s.rgba) out.rgba = s.rgba;
    return out;
  };
  return {
    name: model.name,
    rootLink: model.rootLink,
    actuatedJoints: model.actuatedJoints,
    links: model.links.map((l) => ({ name: l.name, visuals: l.visuals.map((s) => shape(s, l.name, true)), collisions: l.collisions.map((s) => shape(s, l.name, false)) })),
    joints: model.joints,
    warnings: model.warnings,
    missingMeshes: missing,
  };
}
