/**
 * three.js rendering of a robot from its URDF (as RobotJson from the server). Each link is a Group placed
 * directly in world coordinates from the track's poses (no scene-graph hierarchy), so a link's rendered
 * matrixWorld is exactly the pose the data gave. Visual meshes (Collada, STL, OBJ) load asynchronously;
 * until then, and for good when a mesh is missing or fails to load, the link shows its collision geometry
 * and the page lists the missing meshes.
 */
import * as THREE from 'three';
import { ColladaLoader } from 'three/examples/jsm/loaders/ColladaLoader.js';
import { STLLoader } from 'three/examples/jsm/loaders/STLLoader.js';
import { OBJLoader } from 'three/examples/jsm/loaders/OBJLoader.js';
import { mergeVertices } from 'three/examples/jsm/utils/BufferGeometryUtils.js';
import { rpyToQuat } from '@s2r/core/robot/transform.ts';
import type { GeometryJson, RobotJson, ShapeJson } from '../server/robot-json.ts';
import type { KinTree } from '../kinematics.ts';

const meshCache = new Map<string, Promise<THREE.Object3D>>();

/**
 * Level of detail: CAD exports like the Go1's run to ~30k triangles per part (~330k for the robot), which a
 * software renderer (SwiftShader, headless CI, laptops without a GPU) cannot draw at 60 fps. Each mesh above
 * MAX_TRIS is simplified once at load (meshoptimizer, to ~5% of its triangles, error bound 0.5% of the part's size) — invisible at
 * viewing distance. `?lod=0` in the page URL turns it off.
 */
const MAX_TRIS = 1500;
const LOD = new URLSearchParams(globalThis.location?.search ?? '').get('lod') !== '0';
export const meshStats = { trianglesLoaded: 0, trianglesDrawn: 0 };

type Simplifier = (typeof import('meshoptimizer'))['MeshoptSimplifier'];
let simplifierP: Promise<Simplifier | null> | null = null;
/** The simplifier (WASM) loads on first need, after the first frame. */
function simplifier(): Promise<Simplifier | null> {
  simplifierP ??= import('meshoptimizer')
    .then(async (m) => {
      if (!m.MeshoptSimplifier.supported) return null;
      await m.MeshoptSimplifier.ready;
      return m.MeshoptSimplifier;
    })
    .catch(() => null);
  return simplifierP;
}

async function simplifyObject(root: THREE.Object3D): Promise<void> {
  const meshes: THREE.Mesh[] = [];
  root.traverse((o) => {
    if ((o as THREE.Mesh).isMesh) meshes.push(o as THREE.Mesh);
  });
  for (const m of meshes) {
    const g0 = m.geometry as THREE.BufferGeometry;
    const tris = (g0.index ? g0.index.count : g0.attributes.position!.count) / 3;
    meshStats.trianglesLoaded += tris;
    const MeshoptSimplifier = LOD && tris > MAX_TRIS ? await simplifier() : null;
    if (!MeshoptSimplifier) {
      meshStats.trianglesDrawn += tris;
      continue;
    }
    const bare = new THREE.BufferGeometry();
    bare.setAttribute('position', g0.attributes.position!);
    if (g0.index) bare.setIndex(g0.index);
    const g = mergeVertices(bare, 1e-6);
    const pos = g.attributes.position!.array as Float32Array;
    const idx = new Uint32Array(g.index!.array);
    const target = Math.max(MAX_TRIS, Math.floor(tris * 0.05)) * 3;
    let [out] = MeshoptSimplifier.simplify(idx, pos, 3, target, 5e-3, ['Prune']);
    if (out.length > target * 2) [out] = MeshoptSimplifier.simplifySloppy(idx, pos, 3, null, target, 1e-2);
    const ng = new THREE.BufferGeometry();
    ng.setAttribute('position', new THREE.BufferAttribute(new Float32Array(pos), 3));
    ng.setIndex(new THREE.BufferAttribute(out, 1));
    ng.computeVertexNormals();
    m.geometry = ng;
    g0.dispose();
    meshStats.trianglesDrawn += out.length / 3;
  }
}

function loadMesh(url: string, format: string): Promise<THREE.Object3D> {
  let p = meshCache.get(url);
  if (!p) {
    p = new Promise<THREE.Object3D>((resolve, reject) => {
      const fail = (e: unknown): void => reject(new Error(`${url}: ${e instanceof Error ? e.message : String((e as { target?: { status?: number } })?.target?.status ?? e)}`));
      if (format === '.dae') {
        new ColladaLoader().load(
          url,
          (c) => {
            if (!c?.scene) return fail('not a Collada file');
            // ColladaLoader turns Z-up assets to three's Y-up; this world is Z-up like URDF, so undo it.
            const up = (c as unknown as { scene: THREE.Object3D }).scene;
            // CAD exports carry their own lights and cameras (the Go1's parts hold 3-17 lights each). A robot part
            // must not light the world: with them every surface washes out white and each pixel pays for ~100 lights.
            const extras: THREE.Object3D[] = [];
            up.traverse((o) => {
              if ((o as THREE.Light).isLight || (o as THREE.Camera).isCamera) extras.push(o);
            });
            for (const o of extras) o.removeFromParent();
            if (Math.abs(up.rotation.x + Math.PI / 2) < 1e-9) up.rotation.set(0, 0, 0);
            else up.rotation.set(Math.PI / 2, 0, 0); // a Y-up asset: turn it Z-up, as rviz does
            simplifyObject(up).then(() => resolve(up), fail);
          },
          undefined,
          fail,
        );
      } else if (format === '.stl') {
        new STLLoader().load(
          url,
          (g) => {
            const m = new THREE.Mesh(g, new THREE.MeshLambertMaterial({ color: 0x9a9aa6 }));
            simplifyObject(m).then(() => resolve(m), fail);
          },
          undefined,
          fail,
        );
      } else if (format === '.obj') {
        new OBJLoader().load(url, (o) => simplifyObject(o).then(() => resolve(o), fail), undefined, fail);
      } else reject(new Error(`${url}: unsupported mesh format ${format}`));
    });
    meshCache.set(url, p);
  }
  return p.then((o) => o.clone(true));
}

function primitive(g: GeometryJson, material: THREE.Material): THREE.Object3D | null {
  switch (g.type) {
    case 'box':
      return new THREE.Mesh(new THREE.BoxGeometry(g.size[0], g.size[1], g.size[2]), material);
    case 'sphere':
      return new THREE.Mesh(new THREE.SphereGeometry(g.radius, 20, 12), material);
    case 'cylinder': {
      const m = new THREE.Mesh(new THREE.CylinderGeometry(g.radius, g.radius, g.length, 24), material);
      m.rotation.x = Math.PI / 2; // URDF cylinders lie along z, three's along y
      const w = new THREE.Group();
      w.add(m);
      return w;
    }
    default:
      return null;
  }
}

function placed(obj: THREE.Object3D, s: ShapeJson): THREE.Object3D {
  const g = new THREE.Group();
  g.position.set(...s.origin.xyz);
  const q = rpyToQuat(s.origin.rpy);
  g.quaternion.set(q[0], q[1], q[2], q[3]);
  if (s.geometry.type === 'mesh') obj.scale.multiply(new THREE.Vector3(...s.geometry.scale));
  g.add(obj);
  return g;
}

export interface RobotViewOptions {
  ghost?: boolean;
  color?: number;
  /** Called with a message for each visual mesh shown as collision geometry. */
  onNote?: (msg: string) => void;
}

export class RobotView {
  readonly root = new THREE.Group();
  readonly links = new Map<string, THREE.Group>();
  readonly robot: RobotJson;
  pending = 0;
  readonly missing: string[] = [];
  #ghostMat: THREE.Material | null;
  #fallbackMat: THREE.Material;
  #defaultMat: THREE.Material;
  #opts: RobotViewOptions;
  ready: Promise<void>;

  constructor(robot: RobotJson, opts: RobotViewOptions = {}) {
    this.robot = robot;
    this.#opts = opts;
    this.#ghostMat = opts.ghost ? new THREE.MeshLambertMaterial({ color: opts.color ?? 0x66ccff, transparent: true, opacity: 0.35, depthWrite: false }) : null;
    this.#fallbackMat = this.#ghostMat ?? new THREE.MeshLambertMaterial({ color: 0xd9892b });
    this.#defaultMat = this.#ghostMat ?? new THREE.MeshLambertMaterial({ color: 0x8a8f99 });
    this.root.name = opts.ghost ? `ghost:${robot.name}` : robot.name;
    const loads: Promise<void>[] = [];
    for (const link of robot.links) {
      const g = new THREE.Group();
      g.name = link.name;
      g.matrixAutoUpdate = true;
      this.links.set(link.name, g);
      this.root.add(g);
      let usedFallback = false;
      const fallback = (why: string): void => {
        if (!usedFallback) {
          usedFallback = true;
          for (const c of link.collisions) this.#addShape(g, c, this.#fallbackMat);
        }
        this.missing.push(why);
        this.#opts.onNote?.(why);
      };
      for (const v of link.visuals) {
        const mat = this.#ghostMat ?? (v.rgba ? new THREE.MeshLambertMaterial({ color: new THREE.Color(v.rgba[0], v.rgba[1], v.rgba[2]), opacity: v.rgba[3], transparent: v.rgba[3] < 1 }) : this.#defaultMat);
        if (v.geometry.type === 'mesh') {
          const geo = v.geometry;
          if (!geo.url) {
            fallback(`Missing visual mesh ${geo.uri} (link ${link.name}): showing its collision geometry.`);
            continue;
          }
          this.pending++;
          loads.push(
            loadMesh(geo.url, geo.format)
              .then((obj) => {
                if (this.#ghostMat) obj.traverse((o) => ((o as THREE.Mesh).isMesh ? ((o as THREE.Mesh).material = this.#ghostMat!) : null));
                g.add(placed(obj, v));
              })
              .catch((e: Error) => fallback(`Visual mesh ${geo.uri} (link ${link.name}) failed to load (${e.message}): showing its collision geometry.`))
              .finally(() => this.pending--),
          );
        } else this.#addShape(g, v, mat);
      }
    }
    this.ready = Promise.all(loads).then(() => undefined);
  }

  #addShape(g: THREE.Group, s: ShapeJson, mat: THREE.Material): void {
    const obj = primitive(s.geometry, mat);
    if (obj) g.add(placed(obj, s));
    else if (s.geometry.type === 'mesh' && s.geometry.url) {
      const url = s.geometry.url;
      const fmt = s.geometry.format;
      this.pending++;
      loadMesh(url, fmt)
        .then((o) => {
          o.traverse((m) => ((m as THREE.Mesh).isMesh ? ((m as THREE.Mesh).material = mat) : null));
          g.add(placed(o, s));
        })
        .catch(() => undefined)
        .finally(() => this.pending--);
    }
  }

  /** Place every link from `poses` (tree.nodes × 7). */
  setPoses(tree: KinTree, poses: Float64Array): void {
    const nodes = tree.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const g = this.links.get(nodes[i]!.link);
      if (!g) continue;
      const o = i * 7;
      g.position.set(poses[o]!, poses[o + 1]!, poses[o + 2]!);
      g.quaternion.set(poses[o + 3]!, poses[o + 4]!, poses[o + 5]!, poses[o + 6]!);
    }
  }

  dispose(): void {
    this.root.traverse((o) => {
      const m = o as THREE.Mesh;
      if (m.isMesh) m.geometry?.dispose();
    });
    this.root.removeFromParent();
  }
}
