/**
 * One draw call for many small parts: the floor's grid, contact shadow and scale bar, and the contact dots and
 * force arrows, are written as world-space vertices (position + colour) into one shared buffer per primitive type
 * — one `Batch` of triangles, one of line segments — instead of a mesh each.
 *
 * Why: on software WebGL (SwiftShader: headless CI, machines without a GPU) a draw call has a fixed cost besides
 * its pixels — a screen-space quad over 5% of the canvas cost ~0.3 ms of SwiftShader CPU, over all of it ~2 ms —
 * while a few thousand vertices written by JS cost microseconds. Six draw calls beside the robot's became two.
 * (An earlier reading of ~1 ms per draw call, from hiding parts one at a time, was within that method's noise.)
 *
 * Line segments are drawn as thin screen-space quads (4 vertices, two indexed triangles, LINE_WIDTH_PX wide,
 * expanded in the vertex shader), not as GL lines: SwiftShader rasterizes a line about 2.5× slower than triangles
 * covering the same pixels (measured on the grid: ~0.9 ms against ~0.35 ms of frame time). The shader also clips
 * each segment at the camera plane, which SwiftShader's own line clipping gets wrong (it dropped segments crossing
 * that plane).
 *
 * Pixels are what the floor costs: the shadow covers ~30k px under the default camera, the grid's lines ~8k. So
 * parts write display (sRGB) colours and both batches' fragment shaders pass the vertex colour through, where
 * three.js materials convert linear to sRGB per pixel. With that and indexed line quads (a quad's vertex shader runs
 * 4 times, not 6), bench:viewer's fps_ratio went from 1.157-1.174 (mean 1.166, three runs) to 1.104-1.135 (mean
 * 1.114, three runs) measured the same way, and 1.10-1.19 (mean 1.14) in six later full bench runs, higher when
 * the host ran fast; hiding the grid alone had been worth ~0.05 of it.
 *
 * Each part has a scene object that stands for it (named, e.g. `contact-shadow`): the part is drawn while that
 * object and all its ancestors are visible, so hiding the object (or its group) hides the part as a mesh would.
 * Its vertices are rewritten only when its owner says they changed (`touch`) or its visibility flips; parts after
 * it in the buffer move up or down, so put rarely changing parts first.
 */
import * as THREE from 'three';

/** Width of a batched line on screen, px. */
export const LINE_WIDTH_PX = 1.25;

const LINE_VERTEX = /* glsl */ `
attribute vec3 other;   // the segment's other end (world)
attribute float side;   // -1 or +1: which long edge of the quad this vertex is on
attribute vec3 color;
uniform mat4 uViewProjection; // projection × view, once per draw (not a matrix product per vertex)
uniform vec2 uResolution; // drawing buffer, px
uniform float uWidth;     // px
varying vec3 vColor;
void main() {
  vColor = color;
  vec4 p = uViewProjection * vec4(position, 1.0);
  vec4 q = uViewProjection * vec4(other, 1.0);
  // Clip the segment to w >= eps (in front of the camera plane) so its direction on screen is defined.
  const float eps = 1e-4;
  if (p.w < eps) {
    if (q.w < eps) { gl_Position = vec4(0.0, 0.0, 2.0, 1.0); return; } // wholly behind: outside the clip volume
    p = mix(p, q, (eps - p.w) / (q.w - p.w));
  }
  if (q.w < eps) q = mix(q, p, (eps - q.w) / (p.w - q.w));
  vec2 d = q.xy / q.w * uResolution - p.xy / p.w * uResolution;
  float l = length(d);
  d = l > 1e-6 ? d / l : vec2(1.0, 0.0);
  // Half the width either side, perpendicular on screen (NDC offset of k px is 2k / resolution).
  p.xy += vec2(-d.y, d.x) * side * (uWidth / uResolution) * p.w;
  gl_Position = p;
}`;

const TRIANGLE_VERTEX = /* glsl */ `
attribute vec3 color;
varying vec3 vColor;
void main() {
  vColor = color;
  gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0);
}`;

/**
 * Both kinds: the vertex colour as it is. Parts write display (sRGB) colours, so no pixel converts linear to sRGB
 * (three.js's colorspace_fragment: a pow per channel per pixel, which SwiftShader pays on every pixel the floor's
 * grid and shadow cover).
 */
const FRAGMENT = /* glsl */ `
varying vec3 vColor;
void main() {
  gl_FragColor = vec4(vColor, 1.0);
}`;

export interface BatchPart {
  /** The scene object that stands for the part: drawn while it and its ancestors are visible. */
  readonly object: THREE.Object3D;
  /** The most vertices it ever writes. */
  readonly capacity: number;
  /**
   * Write world positions (x y z) and display colours (sRGB, r g b in 0-1: what the pixel shows; `srgb(color)`) for
   * vertices from `at` on; return how many were written (at most `capacity`).
   */
  write(pos: Float32Array, col: Float32Array, at: number): number;
}

interface Slot {
  part: BatchPart;
  shown: boolean;
  dirty: boolean;
  start: number;
  count: number;
}

/** The end (0: a, 1: b) each of a segment's 4 quad corners sits on: (a,−) (b,−) (b,+) (a,+). */
const CORNER_END = [0, 1, 1, 0];
/**
 * Each corner's `side` attribute. The shader offsets along perp(other − position) × side, and that direction flips
 * between the ends, so a corner on edge e has side e at end a and −e at end b.
 */
const SIDES = [-1, 1, -1, 1];
/** The quad's two triangles, as corner indices: (a,−) (b,−) (b,+) and (a,−) (b,+) (a,+). */
const QUAD = [0, 1, 2, 0, 2, 3];

/** Whether `o` and every ancestor are visible. */
function shown(o: THREE.Object3D): boolean {
  for (let p: THREE.Object3D | null = o; p; p = p.parent) if (!p.visible) return false;
  return true;
}

export class Batch {
  readonly object: THREE.Mesh;
  readonly kind: 'triangles' | 'lines';
  readonly #slots: Slot[] = [];
  /** What the parts write: triangle vertices, or segment ends (2 per segment). */
  #pos = new Float32Array(0);
  #col = new Float32Array(0);
  /** The GPU's attributes: for lines, 4 vertices (a quad, drawn as two indexed triangles) per segment. */
  readonly #attrs = new Map<string, THREE.BufferAttribute>();
  #capacity = 0;
  /**
   * Per vertex a part writes: GPU vertices (lines: a segment's 2 ends become a 4-corner quad) and draw-range
   * units (lines: its 6 indices).
   */
  readonly #gpuPerWritten: number;
  readonly #drawPerWritten: number;
  readonly #resolution = new THREE.Vector2(1, 1);
  readonly #viewProjection = new THREE.Matrix4();

  /** `kind`: triangles (every 3 vertices written) or line segments (every 2). */
  constructor(kind: 'triangles' | 'lines', name: string) {
    this.kind = kind;
    this.#gpuPerWritten = kind === 'lines' ? 2 : 1;
    this.#drawPerWritten = kind === 'lines' ? 3 : 1;
    const geo = new THREE.BufferGeometry();
    geo.setDrawRange(0, 0);
    const mat =
      kind === 'lines'
        ? new THREE.ShaderMaterial({
            vertexShader: LINE_VERTEX,
            fragmentShader: FRAGMENT,
            uniforms: { uViewProjection: { value: this.#viewProjection }, uResolution: { value: this.#resolution }, uWidth: { value: LINE_WIDTH_PX } },
          })
        : new THREE.ShaderMaterial({ vertexShader: TRIANGLE_VERTEX, fragmentShader: FRAGMENT });
    this.object = new THREE.Mesh(geo, mat);
    this.object.name = name;
    // Vertices are in world space and move every frame: bounds would always be stale, and the parts are small.
    this.object.frustumCulled = false;
    // After the robot: floor pixels it covers (most of the shadow's middle) then fail the depth test before shading.
    this.object.renderOrder = 1;
    if (kind === 'lines')
      this.object.onBeforeRender = (renderer, _scene, camera) => {
        renderer.getDrawingBufferSize(this.#resolution);
        this.#viewProjection.multiplyMatrices(camera.projectionMatrix, camera.matrixWorldInverse);
      };
    this.#allocate();
  }

  /** (Re)size the arrays to the parts' capacity, keeping what is written. */
  #allocate(): void {
    const grow = (a: Float32Array, n: number): Float32Array<ArrayBuffer> => {
      const b = new Float32Array(n);
      b.set(a.subarray(0, Math.min(a.length, n)));
      return b;
    };
    const lines = this.kind === 'lines';
    const sizes: [string, number][] = lines ? [['position', 3], ['other', 3], ['side', 1], ['color', 3]] : [['position', 3], ['color', 3]];
    for (const [name, size] of sizes) {
      const old = this.#attrs.get(name);
      const a = new THREE.BufferAttribute(grow((old?.array as Float32Array) ?? new Float32Array(0), this.#capacity * this.#gpuPerWritten * size), size).setUsage(THREE.DynamicDrawUsage);
      this.#attrs.set(name, a);
      this.object.geometry.setAttribute(name, a);
    }
    if (lines) {
      // Segment ends are expanded into the GPU arrays (#expandLines); which edge of its quad a corner is on never changes.
      this.#pos = grow(this.#pos, this.#capacity * 3);
      this.#col = grow(this.#col, this.#capacity * 3);
      const side = this.#attrs.get('side')!;
      for (let v = 0; v < side.count; v++) side.setX(v, SIDES[v % 4]!);
      side.setUsage(THREE.StaticDrawUsage);
      // Indexed, so a quad's vertex shader runs 4 times, not 6 (SwiftShader shades shared indices once).
      const quads = Math.ceil(this.#capacity / 2);
      const index = new (quads * 4 > 65535 ? Uint32Array : Uint16Array)(quads * 6);
      for (let q = 0; q < quads; q++) for (let c = 0; c < 6; c++) index[q * 6 + c] = q * 4 + QUAD[c]!;
      this.object.geometry.setIndex(new THREE.BufferAttribute(index, 1));
    } else {
      // Triangle parts write straight into what is uploaded.
      this.#pos = this.#attrs.get('position')!.array as Float32Array<ArrayBuffer>;
      this.#col = this.#attrs.get('color')!.array as Float32Array<ArrayBuffer>;
    }
  }

  /** Add a part (drawn after the ones added before it); the returned function marks its vertices as changed. */
  add(part: BatchPart): () => void {
    const slot: Slot = { part, shown: false, dirty: true, start: 0, count: 0 };
    this.#slots.push(slot);
    this.#capacity += part.capacity;
    this.#allocate();
    return () => {
      slot.dirty = true;
    };
  }

  /** Rewrite what changed since the last call and upload only that range: called before every render. */
  sync(): void {
    let from = -1;
    for (let i = 0; i < this.#slots.length; i++) {
      const s = this.#slots[i]!;
      const on = shown(s.part.object);
      if (on !== s.shown) {
        s.shown = on;
        s.dirty = true;
      }
      if (s.dirty && from < 0) from = i;
    }
    if (from < 0) return;
    const pos = this.#pos;
    const col = this.#col;
    let at = from > 0 ? this.#slots[from - 1]!.start + this.#slots[from - 1]!.count : 0;
    const first = at;
    for (let i = from; i < this.#slots.length; i++) {
      const s = this.#slots[i]!;
      s.start = at;
      s.count = s.shown ? Math.min(s.part.write(pos, col, at), s.part.capacity) : 0;
      s.dirty = false;
      at += s.count;
    }
    if (this.kind === 'lines') this.#expandLines(first - (first % 2), at);
    this.object.geometry.setDrawRange(0, at * this.#drawPerWritten);
    const k = this.#gpuPerWritten;
    if (at > first) {
      for (const [name, a] of this.#attrs) {
        if (name === 'side') continue; // constant, uploaded once
        a.clearUpdateRanges();
        a.addUpdateRange(first * k * a.itemSize, (at - first) * k * a.itemSize);
        a.needsUpdate = true;
      }
    }
  }

  /** Segment ends [from, to) (pairs) → a quad each: corners (a,−1) (b,−1) (b,+1) (a,+1). */
  #expandLines(from: number, to: number): void {
    const P = this.#attrs.get('position')!.array as Float32Array;
    const O = this.#attrs.get('other')!.array as Float32Array;
    const C = this.#attrs.get('color')!.array as Float32Array;
    const pos = this.#pos;
    const col = this.#col;
    for (let e = from; e + 1 < to; e += 2) {
      for (let c = 0; c < 4; c++) {
        const end = CORNER_END[c]!; // which end this corner sits on
        const v = e * 2 + c; // GPU vertex (4 per segment = 2 per end written)
        const me = e + end;
        const you = e + 1 - end;
        for (let i = 0; i < 3; i++) {
          P[v * 3 + i] = pos[me * 3 + i]!;
          O[v * 3 + i] = pos[you * 3 + i]!;
          C[v * 3 + i] = col[me * 3 + i]!;
        }
      }
    }
  }

  /** Vertices written by the parts now (segment ends for lines; for tests). */
  get vertexCount(): number {
    return this.object.geometry.drawRange.count / this.#drawPerWritten;
  }
}

/** Vertex positions of a geometry as non-indexed triangles (x y z per vertex), for parts that copy a shape. */
export function triangleVertices(g: THREE.BufferGeometry): Float32Array {
  const flat = g.index ? g.toNonIndexed() : g;
  return Float32Array.from(flat.attributes.position!.array as ArrayLike<number>);
}

/** A triangle part's shape: local vertices (x y z, non-indexed) and their display colours (sRGB r g b). */
export interface Shape {
  pos: Float32Array;
  col: Float32Array;
}

/** `color` as a batch vertex colour: its display (sRGB) components. */
export function srgb(color: THREE.Color): THREE.Color {
  return color.clone().convertLinearToSRGB();
}

/** A shape of `geometry`'s triangles in one colour. */
export function solidShape(geometry: THREE.BufferGeometry, color: THREE.Color): Shape {
  const pos = triangleVertices(geometry);
  const col = new Float32Array(pos.length);
  const c = srgb(color);
  for (let i = 0; i < col.length; i += 3) c.toArray(col, i);
  return { pos, col };
}

/** Write `shape` into a batch's arrays at vertex `at`, translated by (x, y, z); returns its vertex count. */
export function copyShape(shape: Shape, pos: Float32Array, col: Float32Array, at: number, x: number, y: number, z: number): number {
  const n = shape.pos.length / 3;
  for (let i = 0; i < n; i++) {
    pos[(at + i) * 3] = shape.pos[i * 3]! + x;
    pos[(at + i) * 3 + 1] = shape.pos[i * 3 + 1]! + y;
    pos[(at + i) * 3 + 2] = shape.pos[i * 3 + 2]! + z;
  }
  col.set(shape.col, at * 3);
  return n;
}

const _v = new THREE.Vector3();

/** Write `shape` into a batch's arrays at vertex `at`, transformed by `m`; returns its vertex count. */
export function transformShape(shape: Shape, m: THREE.Matrix4, pos: Float32Array, col: Float32Array, at: number): number {
  const n = shape.pos.length / 3;
  for (let i = 0; i < n; i++) _v.fromArray(shape.pos, i * 3).applyMatrix4(m).toArray(pos, (at + i) * 3);
  col.set(shape.col, at * 3);
  return n;
}
