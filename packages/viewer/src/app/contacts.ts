/**
 * Contact markers from /contacts at the playback time: a green dot at each link in contact and a red force arrow
 * (FORCE_SCALE m per N) from it. All dots are one InstancedMesh, all arrow shafts one LineSegments and all arrow
 * heads one InstancedMesh: 3 draw calls whatever the number of contacts, where a Mesh per dot and an ArrowHelper
 * (line + cone) per link made 3 per link. On software WebGL (SwiftShader) a draw call costs ~0.2-0.3 ms of CPU,
 * so a Go1's 4 feet cost ~3 ms per frame that way. Per-frame code allocates nothing: field names are worked out
 * once per series, vectors and matrices are module scratch.
 */
import * as THREE from 'three';
import type { Track } from './track.ts';

const FORCE_SCALE = 0.004; // m of arrow per N: a 12 kg robot's ~30 N per foot → 12 cm
const MIN_LENGTH = 0.02; // m: the shortest arrow drawn
const HEAD_LENGTH = 0.03; // m
const HEAD_WIDTH = 0.02; // m
const CAPACITY = 32; // links with contact data shown (a quadruped has 4, a humanoid's hands and feet fit)

const _p = new THREE.Vector3();
const _dir = new THREE.Vector3();
const _tip = new THREE.Vector3();
const _q = new THREE.Quaternion();
const _s = new THREE.Vector3();
const _m = new THREE.Matrix4();
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
  readonly dots: THREE.InstancedMesh;
  readonly shafts: THREE.LineSegments;
  readonly heads: THREE.InstancedMesh;
  /** Links whose dot / arrow the last update drew, in drawing order (for tests and the page hook). */
  readonly shown: { dots: string[]; arrows: string[] } = { dots: [], arrows: [] };
  #shaftPos: THREE.BufferAttribute;
  #fields: LinkFields[] = [];
  #fieldsFor: unknown = null;
  #fieldsCount = -1;

  constructor() {
    this.group.name = 'contacts';
    this.dots = new THREE.InstancedMesh(new THREE.SphereGeometry(0.018, 12, 8), new THREE.MeshBasicMaterial({ color: 0x40ff70 }), CAPACITY);
    this.dots.name = 'contact-dots';
    this.#shaftPos = new THREE.BufferAttribute(new Float32Array(CAPACITY * 2 * 3), 3);
    this.#shaftPos.setUsage(THREE.DynamicDrawUsage);
    const sg = new THREE.BufferGeometry();
    sg.setAttribute('position', this.#shaftPos);
    this.shafts = new THREE.LineSegments(sg, new THREE.LineBasicMaterial({ color: 0xff5040, toneMapped: false }));
    this.shafts.name = 'force-shafts';
    // A cone with its tip at the origin and its base 1 below, as ArrowHelper's: scaled to the head size per arrow.
    const cone = new THREE.CylinderGeometry(0, 0.5, 1, 5, 1);
    cone.translate(0, -0.5, 0);
    this.heads = new THREE.InstancedMesh(cone, new THREE.MeshBasicMaterial({ color: 0xff5040, toneMapped: false }), CAPACITY);
    this.heads.name = 'force-heads';
    for (const o of [this.dots, this.shafts, this.heads]) {
      // Bounds computed once would go stale as the markers move: never cull them (they are tiny).
      o.frustumCulled = false;
      this.group.add(o);
    }
    // Which link each instance shows, for tests and debugging (the same arrays as `shown`).
    this.dots.userData.links = this.shown.dots;
    this.heads.userData.links = this.shown.arrows;
    this.dots.count = 0;
    this.heads.count = 0;
    sg.setDrawRange(0, 0);
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
          _m.makeTranslation(_p.x, _p.y, _p.z);
          this.dots.setMatrixAt(nd++, _m);
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
        this.#shaftPos.setXYZ(na * 2, _p.x, _p.y, _p.z);
        this.#shaftPos.setXYZ(na * 2 + 1, _tip.x, _tip.y, _tip.z);
        _tip.copy(_dir).multiplyScalar(length).add(_p);
        _q.setFromUnitVectors(_up, _dir);
        _m.compose(_tip, _q, _s.set(HEAD_WIDTH, HEAD_LENGTH, HEAD_WIDTH));
        this.heads.setMatrixAt(na++, _m);
        this.shown.arrows.push(lf.link);
      }
    }
    this.dots.count = nd;
    this.heads.count = na;
    this.shafts.geometry.setDrawRange(0, na * 2);
    if (nd) this.dots.instanceMatrix.needsUpdate = true;
    if (na) {
      this.heads.instanceMatrix.needsUpdate = true;
      this.#shaftPos.needsUpdate = true;
    }
    // An empty InstancedMesh still costs a draw call in three: hide what has nothing to draw.
    this.dots.visible = nd > 0;
    this.heads.visible = na > 0;
    this.shafts.visible = na > 0;
  }
}
