/**
 * The floor under the robot: a ground plane, a 1 m grid over 8 m that re-centres under the robot in whole metres
 * so a long walk never leaves it, a soft contact shadow under the base (darker the closer the base is to the
 * floor), and a 1 m ruler (ticks every 0.25 m) behind the robot.
 *
 * No 0.25 m minor lines: even within ±0.75 m of the robot they cost about 0.05 of bench:viewer's fps_ratio
 * (1.21, 1.21, 1.22 in three runs with them; 1.11-1.20, mean 1.16, in eight without), more than the whole metre
 * grid. The ruler's ticks give the finer scale for a few triangles.
 *
 * Why: a grid far below the camera read as a faint line on the horizon, and without a shadow a standing robot
 * looked like it floated.
 *
 * The grid, shadow and ruler are parts of the viewer's two batches (batch.ts): the grid's segments in the
 * line batch, shadow and ruler in the triangle batch, each stood for by a named scene object (`grid`,
 * `contact-shadow`, `scale-bar-1m`) whose visibility and position decide what is drawn. Shapes are built once;
 * `update` moves them (no per-frame allocation) and rewrites only a part that moved.
 *
 * The shadow is opaque, its colour falling from darkened floor colour in the middle to the floor colour itself at
 * the rim, where a blended disc needed its own transparent draw call. Under it the floor is one colour (the clear
 * below), so the two look alike; grid lines cross it undarkened (they are drawn a millimetre above it).
 *
 * The ground plane itself is not a mesh: `clearFloor` paints it with two clears, floor colour below the horizon
 * and background above. A 400 m plane drawn as triangles covered ~90% of the canvas and cost SwiftShader
 * (software WebGL) about 11-15 ms of CPU per frame at 812×603 — a quarter of the viewer's frame — where a clear
 * costs next to nothing. A plane over the grid tile alone, whose fragment shader drew grid, shadow and bar,
 * cost more still (~16 ms of SwiftShader CPU per frame: per-pixel derivatives and line maths over most of the
 * canvas). The clear is also an infinite floor, with nothing below z = 0 hidden (terrain pits).
 */
import * as THREE from 'three';
import { mergeGeometries } from 'three/examples/jsm/utils/BufferGeometryUtils.js';
import { copyShape, solidShape, srgb, type Batch } from './batch.ts';

/**
 * Half-size of the grid tile, m: the robot is always at least HALF − 0.5 from its edge. Lines fade into the
 * floor colour from FADE_FROM m to the edge (per-vertex colours), so the tile has no hard border.
 */
const HALF = 4;
const FADE_FROM = 2.5;
/** Grid lines are drawn as pieces this long, m (see writeLines). */
const PIECE = 0.5;
/** Display (sRGB) colours, as batches take them (batch.ts); lines fade towards the floor's in sRGB. */
const GRID_SRGB = srgb(new THREE.Color(0x9aa6b8));
/** m: a blob about the Go1's body; its pixels are most of what the shadow costs, so it does not grow with height. */
const SHADOW_RADIUS = 0.38;
const SHADOW_FADE_HEIGHT = 1.0; // m of base height at which the shadow has faded out
/** The floor's colour: the clear's (THREE.Color holds it linear), and in sRGB what grid lines fade into. */
const FLOOR_COLOR = new THREE.Color(0x2e333b);
const FLOOR_SRGB = srgb(FLOOR_COLOR);
const _dir = new THREE.Vector3();
const _size = new THREE.Vector2();

/** Write one grid vertex at (x, y, z); its colour goes towards the floor's near the tile's edge (tile centre ox, oy). */
function gridVertex(pos: Float32Array, col: Float32Array, o: number, x: number, y: number, z: number, ox: number, oy: number, color: THREE.Color): void {
  pos[o] = x;
  pos[o + 1] = y;
  pos[o + 2] = z;
  const f = THREE.MathUtils.smoothstep(Math.max(Math.abs(x - ox), Math.abs(y - oy)), FADE_FROM, HALF);
  col[o] = color.r + (FLOOR_SRGB.r - color.r) * f;
  col[o + 1] = color.g + (FLOOR_SRGB.g - color.g) * f;
  col[o + 2] = color.b + (FLOOR_SRGB.b - color.b) * f;
}

/**
 * Writes the lines x = ox + c (running along y, oy ± h) and y = oy + c (along x, ox ± h) at height z, as pieces
 * PIECE long; returns the vertex count. Pieces, not one segment per line, so that a fading line's colour has
 * vertices to change along (colours interpolate linearly between them).
 */
function writeLines(pos: Float32Array, col: Float32Array, at: number, ox: number, oy: number, c: number, h: number, z: number, color: THREE.Color): number {
  let n = 0;
  for (let a = -h; a < h - 1e-9; a += PIECE) {
    const b = Math.min(a + PIECE, h);
    gridVertex(pos, col, (at + n++) * 3, ox + c, oy + a, z, ox, oy, color);
    gridVertex(pos, col, (at + n++) * 3, ox + c, oy + b, z, ox, oy, color);
    gridVertex(pos, col, (at + n++) * 3, ox + a, oy + c, z, ox, oy, color);
    gridVertex(pos, col, (at + n++) * 3, ox + b, oy + c, z, ox, oy, color);
  }
  return n;
}

/** Vertices of the grid: lines every metre, across the tile. */
const GRID_VERTICES = (2 * HALF + 1) * Math.ceil((2 * HALF) / PIECE) * 4;

const SHADOW_RINGS = 3;
const SHADOW_SEGMENTS = 16;

/**
 * A unit disc as triangles, with each vertex's shadow weight (1 − r²)² (1 in the middle, 0 at the rim) on SHADOW_RINGS rings
 * (linear in between). `Ground` colours it by weight × strength each time the base moves.
 */
function shadowDisc(): { pos: Float32Array; weight: Float32Array } {
  const ring = (r: number, k: number): [number, number, number] => {
    const rad = r / SHADOW_RINGS;
    const th = (2 * Math.PI * k) / SHADOW_SEGMENTS;
    return [rad * Math.cos(th), rad * Math.sin(th), (1 - rad * rad) ** 2];
  };
  const pos: number[] = [];
  const weight: number[] = [];
  const tri = (...v: [number, number, number][]): void => {
    for (const [x, y, w] of v) {
      pos.push(x, y, 0);
      weight.push(w);
    }
  };
  for (let k = 0; k < SHADOW_SEGMENTS; k++) tri(ring(0, 0), ring(1, k), ring(1, k + 1));
  for (let r = 1; r < SHADOW_RINGS; r++)
    for (let k = 0; k < SHADOW_SEGMENTS; k++) {
      tri(ring(r, k), ring(r + 1, k), ring(r + 1, k + 1));
      tri(ring(r, k), ring(r + 1, k + 1), ring(r, k + 1));
    }
  return { pos: Float32Array.from(pos), weight: Float32Array.from(weight) };
}

export class Ground {
  /** Everything on the flat floor; hidden when a terrain heightfield replaces it. */
  readonly group = new THREE.Group();
  /** Stands for the grid tile (drawn by the line batch); its position is the tile centre, in whole metres. */
  readonly grid = new THREE.Object3D();
  /** Stands for the contact shadow (triangle batch): centred at its position, radius SHADOW_RADIUS. */
  readonly shadow = new THREE.Object3D();
  /** Stands for the 1 m ruler (triangle batch): it starts at its position and runs 1 m along +x. */
  readonly scaleBar = new THREE.Object3D();
  #strength = 0;
  readonly #touch: { grid: () => void; shadow: () => void; bar: () => void };

  /** `lines` and `triangles`: the viewer's batches (batch.ts), which draw the grid, and the shadow and ruler. */
  constructor(lines: Batch, triangles: Batch) {
    this.group.name = 'ground';
    this.grid.name = 'grid';
    this.shadow.name = 'contact-shadow';
    this.shadow.visible = false;
    this.scaleBar.name = 'scale-bar-1m';
    this.scaleBar.position.set(-0.5, 1, 0.002); // see update
    this.group.add(this.grid, this.shadow, this.scaleBar);

    const gridPart = lines.add({
      object: this.grid,
      capacity: GRID_VERTICES,
      write: (pos, col, at) => {
        const { x, y } = this.grid.position;
        let n = 0;
        // Half a millimetre up: over the shadow (at −1 mm), under the ruler (at 2 mm).
        for (let c = -HALF; c <= HALF; c++) n += writeLines(pos, col, at + n, x, y, c, HALF, 0.0005, GRID_SRGB);
        return n;
      },
    });

    // Bar, end ticks and shorter ticks every 0.25 m: a ruler 2 mm above the floor (over the grid lines and the shadow).
    const ticks = [0, 0.25, 0.5, 0.75, 1].map((x) => (x % 1 === 0 ? new THREE.BoxGeometry(0.012, 0.08, 0.004) : new THREE.BoxGeometry(0.008, 0.045, 0.004)).translate(x, 0, 0));
    const barShape = solidShape(mergeGeometries([new THREE.BoxGeometry(1, 0.012, 0.004).translate(0.5, 0, 0), ...ticks]), new THREE.Color(0xf2d36b));
    const barPart = triangles.add({
      object: this.scaleBar,
      capacity: barShape.pos.length / 3,
      write: (pos, col, at) => copyShape(barShape, pos, col, at, this.scaleBar.position.x, this.scaleBar.position.y, this.scaleBar.position.z),
    });

    const disc = shadowDisc();
    const shadowPart = triangles.add({
      object: this.shadow,
      capacity: disc.weight.length,
      write: (pos, col, at) => {
        const { x, y } = this.shadow.position;
        for (let i = 0; i < disc.weight.length; i++) {
          const o = (at + i) * 3;
          pos[o] = disc.pos[i * 3]! * SHADOW_RADIUS + x;
          pos[o + 1] = disc.pos[i * 3 + 1]! * SHADOW_RADIUS + y;
          pos[o + 2] = -0.001; // under the grid lines
          // The floor's sRGB colour darkened as blending black over it would.
          const k = 1 - this.#strength * disc.weight[i]!;
          col[o] = FLOOR_SRGB.r * k;
          col[o + 1] = FLOOR_SRGB.g * k;
          col[o + 2] = FLOOR_SRGB.b * k;
        }
        return disc.weight.length;
      },
    });
    this.#touch = { grid: gridPart, shadow: shadowPart, bar: barPart };
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
    // Whole metres, so the lines stay on the world's metre grid while the tile moves.
    const gx = Math.round(x);
    const gy = Math.round(y);
    if (gx !== this.grid.position.x || gy !== this.grid.position.y) {
      this.grid.position.set(gx, gy, 0);
      // Behind the robot as the default camera sees it (+y), on a metre line, so it reads against the grid.
      this.scaleBar.position.set(gx - 0.5, gy + 1, 0.002);
      this.#touch.grid();
      this.#touch.bar();
    }
    if (!base || this.#onTerrain) {
      this.shadow.visible = false;
      return;
    }
    const h = Math.max(0, base.z);
    this.shadow.visible = h < SHADOW_FADE_HEIGHT;
    const strength = 0.6 * Math.max(0, 1 - h / SHADOW_FADE_HEIGHT); // a higher base casts a fainter shadow
    if (x !== this.shadow.position.x || y !== this.shadow.position.y || strength !== this.#strength) {
      this.shadow.position.set(x, y, 0);
      this.#strength = strength;
      this.#touch.shadow();
    }
  }
}
