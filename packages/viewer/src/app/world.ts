/**
 * The 3D stage: renderer, Z-up camera with orbit controls and base-following, the floor (ground.ts), terrain
 * heightfield, scene bodies (z1-push block and goal), contact markers and force arrows (contacts.ts).
 * Per-frame code reuses module-level scratch objects (no allocation in the render loop).
 */
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import type { SceneMsg } from '@s2r/recording/topics.ts';
import type { Track } from './track.ts';
import { Ground } from './ground.ts';
import { ContactMarkers } from './contacts.ts';
import { Batch } from './batch.ts';

const _v = new THREE.Vector3();

/** Home camera (m, Z up): position and orbit target. Following keeps the camera's offset to the base at (pos − target). */
export const CAMERA_HOME = { position: [1.1, -1.3, 0.75] as const, target: [0, 0, 0.25] as const };

/**
 * The renderer, background, camera and lights every page of ours draws with: the viewer, and the bare three.js
 * reference page that `bench:viewer` measures it against (same settings, so the ratio is the viewer's overhead).
 */
export function createStage(): { renderer: THREE.WebGLRenderer; scene: THREE.Scene; camera: THREE.PerspectiveCamera } {
  const q = new URLSearchParams(globalThis.location?.search ?? '');
  const renderer = new THREE.WebGLRenderer({ antialias: q.get('aa') === '1', powerPreference: (q.get('pp') as WebGLPowerPreference) ?? 'default', depth: true, stencil: q.get('stencil') === '1' });
  renderer.setPixelRatio(1);
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0x20242c);
  const camera = new THREE.PerspectiveCamera(45, 1, 0.02, 200);
  camera.up.set(0, 0, 1);
  camera.position.set(...CAMERA_HOME.position);
  scene.add(new THREE.HemisphereLight(0xdde6ff, 0x404040, 1.6));
  const sun = new THREE.DirectionalLight(0xffffff, 1.6);
  sun.position.set(2, -3, 5);
  scene.add(sun);
  return { renderer, scene, camera };
}

export class World {
  readonly renderer: THREE.WebGLRenderer;
  readonly scene: THREE.Scene;
  readonly camera: THREE.PerspectiveCamera;
  readonly controls: OrbitControls;
  readonly ground: Ground;
  #terrain: THREE.Mesh | null = null;
  #bodies = new Map<string, THREE.Object3D>();
  /** One draw call each for the floor's and the contact markers' lines and triangles (batch.ts). */
  readonly lines = new Batch('lines', 'overlay-lines');
  readonly triangles = new Batch('triangles', 'overlay-triangles');
  readonly contacts: ContactMarkers;
  #followPrev: THREE.Vector3 | null = null;
  readonly container: HTMLElement;
  /** Sky colour: the renderer does not clear to it itself, Ground.clearFloor paints floor and sky (see there). */
  readonly background: THREE.Color;

  constructor(container: HTMLElement) {
    this.container = container;
    ({ renderer: this.renderer, scene: this.scene, camera: this.camera } = createStage());
    this.background = (this.scene.background as THREE.Color).clone();
    this.scene.background = null;
    this.renderer.autoClear = false;
    container.appendChild(this.renderer.domElement);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.target.set(...CAMERA_HOME.target);
    this.controls.update();
    this.ground = new Ground(this.lines, this.triangles);
    this.contacts = new ContactMarkers(this.lines, this.triangles);
    this.scene.add(this.ground.group, this.contacts.group, this.lines.object, this.triangles.object);
    this.resize();
    new ResizeObserver(() => this.resize()).observe(container);
  }

  /**
   * Dynamic resolution: software renderers (SwiftShader in headless CI, machines without a GPU) are fill-rate
   * bound. While frames take longer than ~18 ms, render fewer pixels (down to half resolution) and let the
   * compositor scale up; climb back when there is headroom. `?scale=1` pins full resolution.
   */
  renderScale = 1;
  #pinned = new URLSearchParams(globalThis.location?.search ?? '').get('scale');
  #intervals: number[] = [];

  /** Feed the wall time between rendered frames (ms) while continuously rendering. */
  adapt(frameMs: number): void {
    if (this.#pinned) return;
    this.#intervals.push(frameMs);
    if (this.#intervals.length < 20) return;
    const sorted = [...this.#intervals].sort((a, b) => a - b);
    const median = sorted[10]!;
    this.#intervals = [];
    let next = this.renderScale;
    if (median > 18 && this.renderScale > 0.5) next = Math.max(0.5, this.renderScale * 0.8);
    else if (median < 14 && this.renderScale < 1) next = Math.min(1, this.renderScale * 1.15);
    if (Math.abs(next - this.renderScale) > 1e-3) {
      this.renderScale = next;
      this.resize();
    }
  }

  resize(): void {
    const w = Math.max(this.container.clientWidth, 16);
    const h = Math.max(this.container.clientHeight, 16);
    const scale = this.#pinned ? Number(this.#pinned) : this.renderScale;
    this.renderer.setPixelRatio(scale);
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
  }

  /** Apply the latest /scene message: terrain and non-robot bodies. */
  setScene(msg: SceneMsg | null): void {
    if (this.#terrain) {
      this.#terrain.geometry.dispose();
      this.#terrain.removeFromParent();
      this.#terrain = null;
    }
    for (const b of this.#bodies.values()) b.removeFromParent();
    this.#bodies.clear();
    if (!msg) return;
    const tr = msg.terrain;
    if (tr && tr.type === 'heightfield') {
      const { rows, cols, spacing, heights } = tr;
      const g = new THREE.PlaneGeometry((rows - 1) * spacing, (cols - 1) * spacing, rows - 1, cols - 1);
      const pos = g.attributes.position as THREE.BufferAttribute;
      // PlaneGeometry vertices run along x fastest, from +y down; map them onto the row-major (x-index) grid.
      for (let k = 0; k < pos.count; k++) {
        const x = pos.getX(k);
        const y = pos.getY(k);
        const i = Math.round(x / spacing + (rows - 1) / 2);
        const j = Math.round(y / spacing + (cols - 1) / 2);
        pos.setZ(k, heights[i * cols + j] ?? 0);
      }
      g.computeVertexNormals();
      this.#terrain = new THREE.Mesh(g, new THREE.MeshLambertMaterial({ color: 0x6b7b5a, side: THREE.DoubleSide }));
      this.#terrain.name = 'terrain';
      this.scene.add(this.#terrain);
    }
    this.ground.group.visible = tr?.type !== 'none';
    this.ground.setTerrain(tr?.type === 'heightfield');
    for (const b of msg.bodies ?? []) {
      const color = new THREE.Color(b.color ?? (b.role === 'goal' ? '#3fbf5f' : '#d0b040'));
      const mat = new THREE.MeshLambertMaterial({ color, transparent: b.role === 'goal', opacity: b.role === 'goal' ? 0.55 : 1 });
      let geo: THREE.BufferGeometry;
      const sh = b.shape;
      if (sh.type === 'box') geo = new THREE.BoxGeometry(sh.size[0], sh.size[1], sh.size[2]);
      else if (sh.type === 'sphere') geo = new THREE.SphereGeometry(sh.radius, 24, 16);
      else {
        geo = new THREE.CylinderGeometry(sh.radius, sh.radius, sh.length, 24);
        geo.rotateX(Math.PI / 2);
      }
      const m = new THREE.Mesh(geo, mat);
      m.name = b.name;
      if (b.pose) {
        m.position.set(...b.pose.position);
        m.quaternion.set(...b.pose.orientation);
      }
      this.#bodies.set(b.name, m);
      this.scene.add(m);
    }
  }

  /** Move scene bodies that have recorded poses. */
  updateBodies(track: Track, t: number): void {
    for (const [name, obj] of this.#bodies) {
      const p = track.recordedPose(name, t);
      if (p) {
        obj.position.set(p[0]!, p[1]!, p[2]!);
        obj.quaternion.set(p[3]!, p[4]!, p[5]!, p[6]!);
      }
    }
  }

  /** Contact markers and force arrows at t (contacts.ts). */
  updateContacts(track: Track, linkPos: (link: string, out: THREE.Vector3) => boolean, t: number, showDots: boolean, showArrows: boolean): void {
    this.contacts.update(track, linkPos, t, showDots, showArrows);
  }

  /** Keep the camera's offset to the base constant. */
  follow(base: THREE.Vector3 | null, on: boolean): void {
    this.ground.update(base);
    if (!on || !base) {
      this.#followPrev = null;
      return;
    }
    if (this.#followPrev) {
      _v.subVectors(base, this.#followPrev);
      this.camera.position.add(_v);
      this.controls.target.add(_v);
    } else {
      _v.subVectors(base, this.controls.target);
      this.camera.position.add(_v);
      this.controls.target.copy(base);
    }
    this.#followPrev = (this.#followPrev ?? new THREE.Vector3()).copy(base);
    this.controls.update();
  }

  render(): void {
    this.ground.clearFloor(this.renderer, this.camera, this.background);
    this.lines.sync();
    this.triangles.sync();
    this.renderer.render(this.scene, this.camera);
  }
}
