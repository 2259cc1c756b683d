/**
 * Collision shapes and mass properties of a robot's links for Rapier: URDF boxes, spheres, cylinders and convex
 * hulls of STL meshes (reduced to 256 support points, cached per mesh and scale), and inertia in principal axes.
 */
import { inertiaToMat, matToQuat, quatToMat, rotateInertia, rpyToQuat, symEig3, type Geometry, type Link, type Quat, type Shape, type Vec3 } from '@s2r/core';
import { readMesh } from '../mesh/load.ts';
import { supportPoints } from '../mesh/support-points.ts';
import type { Rapier } from './rapier.ts';

/** URDF cylinders lie along z, Rapier's along y. */
export const ROT_X_90: Quat = [Math.SQRT1_2, 0, 0, Math.SQRT1_2];

/** Support directions kept per convex hull (see supportPoints). */
const HULL_DIRECTIONS = 256;

/** Convex hull vertices per (mesh path, scale), computed by Rapier once and reused for every world. */
const hullCache = new Map<string, { vertices: Float32Array; indices: Uint32Array }>();

/** Mass properties of a link in principal axes; a massless link is simulated as 1 g (with a note in `warnings`). */
export function massProps(link: Link, isRoot: boolean, fixedBase: boolean, warnings: string[]): { mass: number; com: Vec3; inertia: Vec3; frame: Quat } {
  const inr = link.inertial;
  if (!inr || inr.mass <= 0) {
    if (!(isRoot && fixedBase)) {
      warnings.push(`link "${link.name}" has no mass; simulating it as 1 g so the solver stays well-posed`);
    }
    return { mass: 1e-3, com: [0, 0, 0], inertia: [1e-7, 1e-7, 1e-7], frame: [0, 0, 0, 1] };
  }
  const Ro = quatToMat(rpyToQuat(inr.origin.rpy));
  const I = rotateInertia(Ro, inertiaToMat(inr.inertia));
  const { values, R } = symEig3(I);
  const floor = 1e-9;
  return {
    mass: inr.mass,
    com: [...inr.origin.xyz] as Vec3,
    inertia: values.map((v) => Math.max(v, floor)) as Vec3,
    frame: matToQuat(R),
  };
}


/** The Rapier collider description of one URDF collision shape (shape only: the caller places it). */
export function colliderDesc(R: Rapier, g: Geometry, s: Shape, source: string) {
  switch (g.type) {
    case 'box':
      return R.ColliderDesc.cuboid(Math.max(g.size[0] / 2, 1e-4), Math.max(g.size[1] / 2, 1e-4), Math.max(g.size[2] / 2, 1e-4));
    case 'sphere':
      return R.ColliderDesc.ball(g.radius);
    case 'cylinder':
      return R.ColliderDesc.cylinder(Math.max(g.length / 2, 1e-4), g.radius);
    case 'mesh': {
      if (!g.path) throw new Error(`${source}: collision mesh "${g.uri}" of link "${s.link ?? '?'}" cannot be resolved`);
      const key = `${g.path}|${g.scale.join(',')}`;
      let hull = hullCache.get(key);
      if (!hull) {
        const mesh = readMesh(g.path, g.scale);
        const desc = R.ColliderDesc.convexHull(mesh.vertices);
        if (!desc) throw new Error(`${g.path}: cannot build a convex hull from the mesh (degenerate: all points coplanar?)`);
        // Build once in a scratch world to read the hull back; later worlds reuse it without recomputing.
        const tmp = new R.World({ x: 0, y: 0, z: 0 });
        try {
          const c = tmp.createCollider(desc);
          let vertices = new Float32Array(c.vertices());
          // CAD meshes give hulls of thousands of vertices (the Z1's up to ~5,700); keep 256 support points.
          const reduced = supportPoints(vertices, HULL_DIRECTIONS);
          let indices = new Uint32Array(c.indices() ?? []);
          if (reduced !== vertices) {
            const c2 = tmp.createCollider(R.ColliderDesc.convexHull(reduced)!);
            vertices = new Float32Array(c2.vertices());
            indices = new Uint32Array(c2.indices() ?? []);
          }
          hull = { vertices, indices };
        } finally {
          tmp.free();
        }
        hullCache.set(key, hull);
      }
      const d = hull.indices.length ? R.ColliderDesc.convexMesh(hull.vertices, hull.indices) : R.ColliderDesc.convexHull(hull.vertices);
      if (!d) throw new Error(`${g.path}: cannot rebuild the cached convex hull`);
      return d;
    }
  }
}
