/**
 * The floor under the robot: a ground plane, a two-level grid (1 m major lines over 12 m, 0.25 m minor lines within 3 m) that re-centres
 * under the robot in whole metres so a long walk never leaves it, a soft contact shadow under the base (darker
 * the closer the base is to the floor), and a 1 m scale bar with end ticks behind the robot.
 *
 * Why: a grid far below the camera read as a faint line on the horizon, and without a shadow a standing robot
 * looked like it floated. Everything here is built once; `update` only moves objects (no per-frame allocation).
 *
 * The ground plane itself is not a mesh: `clearFloor` paints it with two clears, floor colour below the horizon
 * and background above. A 400 m plane drawn as triangles covered ~90% of the canvas and cost SwiftShader
 * (software WebGL) about 11-15 ms of CPU per frame at 812×603 — a quarter of the viewer's frame — where a clear
 * costs next to nothing. The clear is also an infinite floor, with nothing below z = 0 hidden (terrain pits).
 */
import * as THREE from 'three';
import { mergeGeometries } from 'three/examples/jsm/utils/BufferGeometryUtils.js';

/** Half-size of the grid tile, m: the robot is always at least this far from its edge. */
const HALF = 6;
const MINOR = 0.25;
/**
 * Half-size of the minor-line patch, m. Minor lines only near the robot: beyond ~3 m they are a few pixels apart and
 * read as noise, and on software WebGL every segment costs (the full 12 m tile of minor lines was 2352 of the 2976
 * segments and ~3 ms of CPU per frame; now 432 + 624 major).
 */
const MINOR_HALF = 3;
const SHADOW_RADIUS = 0.45; // m: about a Go1's half-length
const SHADOW_FADE_HEIGHT = 1.0; // m of base height at which the shadow has faded out
const FLOOR_COLOR = new THREE.Color(0x2e333b);
const _dir = new THREE.Vector3();
const _size = new THREE.Vector2();

/**
 * Grid lines as short segments (`step` long), not one 12 m segment per line: a segment that crosses the camera's
 * plane is dropped whole by SwiftShader (software WebGL), so long lines vanished near the camera and only the far
 * ones showed — the "faint grid on the horizon".
 */
function gridLines(half: number, minorHalf: number, minorStep: number, piece: number, minorColor: number, majorColor: number): THREE.LineSegments {
  const pts: number[] = [];
  const cols: number[] = [];
  const add = (h: number, c: number, z: number, col: THREE.Color): void => {
    for (let a = -h; a < h - 1e-9; a += piece) {
      const b = a + piece;
      pts.push(c, a, z, c, b, z, a, c, z, b, c, z);
      for (let v = 0; v < 4; v++) cols.push(col.r, col.g, col.b);
    }
  };
  const minor = new THREE.Color(minorColor);
  const major = new THREE.Color(majorColor);
  // Whole-metre lines are the major ones, across the tile, a hair above the minor ones so they win where lines cross.
  for (let c = -half; c <= half; c++) add(half, c, 0.0005, major);
  const n = Math.round((2 * minorHalf) / minorStep);
  for (let i = 0; i <= n; i++) {
    const c = -minorHalf + i * minorStep;
    if (Math.abs(c - Math.round(c)) > 1e-9) add(minorHalf, c, 0, minor);
  }
  const g = new THREE.BufferGeometry();
  g.setAttribute('position', new THREE.Float32BufferAttribute(pts, 3));
  g.setAttribute('color', new THREE.Float32BufferAttribute(cols, 3));
  return new THREE.LineSegments(g, new THREE.LineBasicMaterial({ vertexColors: true }));
}

/**
 * A unit disc, black, its alpha falling from 1 in the middle to 0 at the rim as (1 − r²)², carried by vertex
 * colours on 4 rings (linear in between). Why not a texture on a square: on software WebGL, sampling a texture for
 * every covered pixel, corners included, cost more than the rest of the floor.
 */
function shadowDisc(): THREE.BufferGeometry {
  const RINGS = 4;
  const SEGMENTS = 24;
  const pos: number[] = [0, 0, 0];
  const col: number[] = [0, 0, 0, 1];
  const idx: number[] = [];
  for (let r = 1; r <= RINGS; r++) {
    const rad = r / RINGS;
    const a = (1 - rad * rad) ** 2;
    for (let k = 0; k < SEGMENTS; k++) {
      const th = (2 * Math.PI * k) / SEGMENTS;
      pos.push(rad * Math.cos(th), rad * Math.sin(th), 0);
      col.push(0, 0, 0, a);
    }
  }
  const v = (r: number, k: number): number => (r === 0 ? 0 : 1 + (r - 1) * SEGMENTS + (k % SEGMENTS));
  for (let k = 0; k < SEGMENTS; k++) idx.push(0, v(1, k), v(1, k + 1));
  for (let r = 1; r < RINGS; r++)
    for (let k = 0; k < SEGMENTS; k++) idx.push(v(r, k), v(r + 1, k), v(r + 1, k + 1), v(r, k), v(r + 1, k + 1), v(r, k + 1));
  const g = new THREE.BufferGeometry();
  g.setAttribute('position', new THREE.Float32BufferAttribute(pos, 3));
  g.setAttribute('color', new THREE.Float32BufferAttribute(col, 4));
  g.setIndex(idx);
  return g;
}

export class Ground {
  /** Everything on the flat floor; hidden when a terrain heightfield replaces it. */
  readonly group = new THREE.Group();
  /** The grid tile, moved in whole metres to stay under the robot. */
  readonly grid = new THREE.Group();
  readonly shadow: THREE.Mesh;
  readonly scaleBar: THREE.Group;
  readonly #shadowMat: THREE.MeshBasicMaterial;

  constructor() {
    this.group.name = 'ground';
    // Minor and major lines in one draw call (each costs ~0.2-0.3 ms of CPU on software WebGL).
    const lines = gridLines(HALF, MINOR_HALF, MINOR, 0.5, 0x525b68, 0x9aa6b8);
    lines.name = 'grid-lines';
    this.grid.add(lines);
    this.grid.name = 'grid';
    this.group.add(this.grid);

    this.#shadowMat = new THREE.MeshBasicMaterial({ vertexColors: true, transparent: true, opacity: 0.55, depthWrite: false });
    this.shadow = new THREE.Mesh(shadowDisc().scale(SHADOW_RADIUS, SHADOW_RADIUS, 1), this.#shadowMat);
    this.shadow.name = 'contact-shadow';
    this.shadow.position.z = 0.001;
    this.shadow.renderOrder = 1;
    this.shadow.visible = false;
    this.group.add(this.shadow);

    // 1 m scale bar: a bar with end ticks, lying on the floor beside the robot.
    this.scaleBar = new THREE.Group();
    this.scaleBar.name = 'scale-bar-1m';
    // Bar and both ticks merged into one mesh: one draw call.
    const bar = new THREE.BoxGeometry(1, 0.012, 0.004).translate(0.5, 0, 0);
    const t0 = new THREE.BoxGeometry(0.012, 0.08, 0.004);
    const t1 = new THREE.BoxGeometry(0.012, 0.08, 0.004).translate(1, 0, 0);
    this.scaleBar.add(new THREE.Mesh(mergeGeometries([bar, t0, t1]), new THREE.MeshBasicMaterial({ color: 0xf2d36b })));
    this.scaleBar.position.z = 0.002;
    this.group.add(this.scaleBar);
  }

  #onTerrain = false;

  /**
   * Clear colour, depth and stencil, painting the floor (the plane z = 0, unlit) below the horizon and `background`
   * above it. The camera never rolls (orbit controls keep +z up), so the horizon — where view rays are level — is
   * a horizontal line on screen: at NDC y = tan(pitch down) / tan(fov/2). From below the floor, or with the ground
   * hidden, everything is background (a single-sided plane was invisible from below, too).
   */
  clearFloor(renderer: THREE.WebGLRenderer, camera: THREE.PerspectiveCamera, background: THREE.Color): void {
    renderer.setClearColor(background);
    camera.getWorldDirection(_dir);
    const level = Math.hypot(_dir.x, _dir.y);
    let horizon = Number.NaN; // NDC y of the horizon
    if (this.group.visible && camera.position.z > 0) horizon = level < 1e-9 ? Infinity : -_dir.z / level / Math.tan(THREE.MathUtils.degToRad(camera.fov) / 2);
    if (!(horizon > -1)) {
      renderer.clear(true, true, true); // no floor in view
      return;
    }
    renderer.setClearColor(FLOOR_COLOR);
    renderer.clear(true, true, true);
    if (horizon >= 1) return; // looking down: floor everywhere
    renderer.getSize(_size);
    const y = Math.round(((horizon + 1) / 2) * _size.y); // CSS px from the bottom
    renderer.setScissor(0, y, _size.x, _size.y - y);
    renderer.setScissorTest(true);
    renderer.setClearColor(background);
    renderer.clear(true, false, false);
    renderer.setScissorTest(false);
  }

  /**
   * Over a heightfield the flat grid, shadow and scale bar would cut through the terrain: only the floor stays
   * (under the terrain and beyond its edge).
   */
  setTerrain(on: boolean): void {
    this.#onTerrain = on;
    this.grid.visible = !on;
    this.scaleBar.visible = !on;
    if (on) this.shadow.visible = false;
  }

  /** Follow the robot's base (world position, m), or park at the origin when there is none. */
  update(base: THREE.Vector3 | null): void {
    const x = base?.x ?? 0;
    const y = base?.y ?? 0;
    // Whole metres, so the major lines stay on the world's metre grid while the tile moves.
    this.grid.position.set(Math.round(x), Math.round(y), 0);
    // Behind the robot as the default camera sees it (+y), on a metre line, so it reads against the grid.
    this.scaleBar.position.set(Math.round(x) - 0.5, Math.round(y) + 1, 0.002);
    if (!base || this.#onTerrain) {
      this.shadow.visible = false;
      return;
    }
    const h = Math.max(0, base.z);
    this.shadow.visible = h < SHADOW_FADE_HEIGHT;
    this.shadow.position.set(x, y, 0.001);
    this.#shadowMat.opacity = 0.6 * Math.max(0, 1 - h / SHADOW_FADE_HEIGHT);
    const s = 1 + 0.6 * h; // a higher base casts a wider, softer shadow
    this.shadow.scale.set(s, s, 1);
  }
}
