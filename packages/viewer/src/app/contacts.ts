/**
 * Contact markers from /contacts at the playback time: a green dot at each link in contact and a red force arrow
 * (FORCE_SCALE m per N) from it. Dots and arrow heads are parts of the viewer's triangle batch, arrow shafts of its
 * line batch (batch.ts): no draw call of their own, where a Mesh per dot and an ArrowHelper (line + cone) per link
 * made 3 per link, and one InstancedMesh or LineSegments per kind still made 3 (on software WebGL a draw call has a
 * fixed cost of a few tenths of a ms of SwiftShader CPU: batch.ts). The named objects `contact-dots`, `force-shafts` and `force-heads`
 * stand for them: hidden when there is nothing to draw or the checkbox is off. Per-frame code allocates nothing:
 * field names are worked out once per series, vectors and matrices are module scratch.
 */
import * as THREE from 'three';
import type { Track } from './track.ts';
import { copyShape, solidShape, srgb, transformShape, type Batch } from './batch.ts';

const FORCE_SCALE = 0.004; // m of arrow per N: a 12 kg robot's ~30 N per foot → 12 cm
const MIN_LENGTH = 0.02; // m: the shortest arrow drawn
const HEAD_LENGTH = 0.03; // m
const HEAD_WIDTH = 0.02; // m
const CAPACITY = 32; // links with contact data shown (a quadruped has 4, a humanoid's hands and feet fit)
/** m: larger than a Go1's 2 cm foot sphere, which hid the 1.8 cm dots it had inside it. */
const DOT_RADIUS = 0.03;
const DOT_COLOR = new THREE.Color(0x40ff70);
/** Arrows are drawn in this colour as it is (toneMapped: false before): the bytes written are 0xff5040. */
const ARROW_COLOR = new THREE.Color(0xff5040);
const ARROW_SRGB = srgb(ARROW_COLOR);

const _p = new THREE.Vector3();
const _dir = new THREE.Vector3();
const _tip = new THREE.Vector3();
const _q = new THREE.Quaternion();
const _s = new THREE.Vector3();
const _up = new THREE.Vector3(0, 1, 0);

interface LinkFields {
  link: string;
  inContact: string;
  fx: string;
  fy: string;
  fz: string;
  f: string;
}

export class ContactMarkers {
  readonly group = new THREE.Group();
  /** Stand for the dots, shafts and heads drawn by the batches. */
  readonly dots = new THREE.Object3D();
  readonly shafts = new THREE.Object3D();
  readonly heads = new THREE.Object3D();
  /** Links whose dot / arrow the last update drew, in drawing order (for tests and the page hook). */
  readonly shown: { dots: string[]; arrows: string[] } = { dots: [], arrows: [] };
  /** World positions of the dots drawn (x y z per dot), and each arrow's shaft (from, to) and head transform. */
  readonly #dotAt = new Float32Array(CAPACITY * 3);
  readonly #shaftAt = new Float32Array(CAPACITY * 6);
  readonly #headAt = Array.from({ length: CAPACITY }, () => new THREE.Matrix4());
  #nd = 0;
  #na = 0;
  readonly #touch: () => void;
  #fields: LinkFields[] = [];
  #fieldsFor: unknown = null;
  #fieldsCount = -1;

  /** `lines` and `triangles`: the viewer's batches (batch.ts). */
  constructor(lines: Batch, triangles: Batch) {
    this.group.name = 'contacts';
    this.dots.name = 'contact-dots';
    this.shafts.name = 'force-shafts';
    this.heads.name = 'force-heads';
    this.group.add(this.dots, this.shafts, this.heads);
    // Which link each dot / arrow shows, and where the dots are, for tests and debugging.
    this.dots.userData.links = this.shown.dots;
    this.dots.userData.at = this.#dotAt;
    this.heads.userData.links = this.shown.arrows;
    const sphere = solidShape(new THREE.SphereGeometry(DOT_RADIUS, 8, 6), DOT_COLOR);
    // A cone with its tip at the origin and its base 1 below, as ArrowHelper's: scaled to the head size per arrow.
    const cone = solidShape(new THREE.CylinderGeometry(0, 0.5, 1, 5, 1).translate(0, -0.5, 0), ARROW_COLOR);
    const tDots = triangles.add({
      object: this.dots,
      capacity: CAPACITY * (sphere.pos.length / 3),
      write: (pos, col, at) => {
        let n = 0;
        for (let i = 0; i < this.#nd; i++) n += copyShape(sphere, pos, col, at + n, this.#dotAt[i * 3]!, this.#dotAt[i * 3 + 1]!, this.#dotAt[i * 3 + 2]!);
        return n;
      },
    });
    const tHeads = triangles.add({
      object: this.heads,
      capacity: CAPACITY * (cone.pos.length / 3),
      write: (pos, col, at) => {
        let n = 0;
        for (let i = 0; i < this.#na; i++) n += transformShape(cone, this.#headAt[i]!, pos, col, at + n);
        return n;
      },
    });
    const tShafts = lines.add({
      object: this.shafts,
      capacity: CAPACITY * 2,
      write: (pos, col, at) => {
        pos.set(this.#shaftAt.subarray(0, this.#na * 6), at * 3);
        for (let i = 0; i < this.#na * 2; i++) {
          col[(at + i) * 3] = ARROW_SRGB.r;
          col[(at + i) * 3 + 1] = ARROW_SRGB.g;
          col[(at + i) * 3 + 2] = ARROW_SRGB.b;
        }
        return this.#na * 2;
      },
    });
    this.#touch = () => {
      tDots();
      tHeads();
      tShafts();
    };
    this.dots.visible = false;
    this.shafts.visible = false;
    this.heads.visible = false;
  }

  /** Field names per link, from the contacts series' columns `<link>/in`, `<link>/fx|fy|fz` or `<link>/f`. */
  #linkFields(cols: Map<string, unknown>): LinkFields[] {
    if (this.#fieldsFor === cols && this.#fieldsCount === cols.size) return this.#fields;
    this.#fieldsFor = cols;
    this.#fieldsCount = cols.size;
    this.#fields = [];
    for (const f of cols.keys()) {
      if (!f.endsWith('/in')) continue;
      const link = f.slice(0, -3);
      this.#fields.push({ link, inContact: f, fx: `${link}/fx`, fy: `${link}/fy`, fz: `${link}/fz`, f: `${link}/f` });
      if (this.#fields.length === CAPACITY) break;
    }
    return this.#fields;
  }

  /** Show the contacts at time t; `linkPos` gives a link's rendered world position (false: link not shown). */
  update(track: Track, linkPos: (link: string, out: THREE.Vector3) => boolean, t: number, showDots: boolean, showArrows: boolean): void {
    let nd = 0;
    let na = 0;
    this.shown.dots.length = 0;
    this.shown.arrows.length = 0;
    const s = track.series.get('contacts');
    if (s && s.n > 0 && (showDots || showArrows)) {
      const i = Math.max(s.indexAt(t), 0); // sample-and-hold: contact flags are discrete
      const at = (field: string): number => {
        const c = s.cols.get(field);
        return c ? c[i]! : Number.NaN;
      };
      for (const lf of this.#linkFields(s.cols)) {
        if (!(at(lf.inContact) > 0.5) || !linkPos(lf.link, _p)) continue;
        if (showDots) {
          _p.toArray(this.#dotAt, nd++ * 3);
          this.shown.dots.push(lf.link);
        }
        if (!showArrows) continue;
        const fx = at(lf.fx);
        const fy = at(lf.fy);
        const fz = at(lf.fz);
        if (Number.isFinite(fx) && Number.isFinite(fy) && Number.isFinite(fz)) _dir.set(fx, fy, fz);
        else {
          const fm = at(lf.f);
          _dir.set(0, 0, Number.isFinite(fm) ? fm : 0); // only a magnitude was recorded: draw it as a normal force
        }
        const len = _dir.length();
        if (!(len > 1e-6)) continue;
        _dir.divideScalar(len);
        const length = Math.max(len * FORCE_SCALE, MIN_LENGTH);
        // shaft from the link to the head's base, head's tip at the arrow's end (as ArrowHelper draws it)
        _tip.copy(_dir).multiplyScalar(Math.max(length - HEAD_LENGTH, 1e-4)).add(_p);
        _p.toArray(this.#shaftAt, na * 6);
        _tip.toArray(this.#shaftAt, na * 6 + 3);
        _tip.copy(_dir).multiplyScalar(length).add(_p);
        _q.setFromUnitVectors(_up, _dir);
        this.#headAt[na++]!.compose(_tip, _q, _s.set(HEAD_WIDTH, HEAD_LENGTH, HEAD_WIDTH));
        this.shown.arrows.push(lf.link);
      }
    }
    this.#nd = nd;
    this.#na = na;
    this.#touch();
    // Nothing to draw: hidden (the batches skip hidden parts).
    this.dots.visible = nd > 0;
    this.heads.visible = na > 0;
    this.shafts.visible = na > 0;
  }
}
