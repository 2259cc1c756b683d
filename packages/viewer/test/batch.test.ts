/**
 * The viewer's draw-call batches (src/app/batch.ts), without a browser: parts are written in order and compacted,
 * a hidden part (or a hidden ancestor of its scene object) is dropped, only what changed is rewritten and
 * uploaded, and a line segment becomes one screen-space quad whose corners follow the shader's side convention.
 */
import * as THREE from 'three';
import { describe, expect, it } from 'vitest';
import { Batch, copyShape, solidShape, srgb, transformShape, type BatchPart } from '../src/app/batch.ts';

/** A part writing `n` vertices at x = base + i, counting its writes. */
function part(name: string, n: number, base: number, parent?: THREE.Object3D): BatchPart & { writes: number } {
  const object = new THREE.Object3D();
  object.name = name;
  parent?.add(object);
  const p = {
    object,
    capacity: n,
    writes: 0,
    write(pos: Float32Array, col: Float32Array, at: number): number {
      p.writes++;
      for (let i = 0; i < n; i++) {
        pos.set([base + i, 0, 0], (at + i) * 3);
        col.set([1, 0, 0], (at + i) * 3);
      }
      return n;
    },
  };
  return p;
}

const xs = (b: Batch): number[] => {
  const a = b.object.geometry.getAttribute('position').array as Float32Array;
  return Array.from({ length: b.object.geometry.drawRange.count }, (_, i) => a[i * 3]!);
};

describe('Batch', () => {
  it('writes parts in order, drops hidden ones (or those under a hidden group), and moves later parts up', () => {
    const b = new Batch('triangles', 't');
    const group = new THREE.Group();
    const a = part('a', 3, 10);
    const c = part('c', 3, 20, group);
    const d = part('d', 6, 30);
    b.add(a);
    b.add(c);
    b.add(d);
    b.sync();
    expect(xs(b)).toEqual([10, 11, 12, 20, 21, 22, 30, 31, 32, 33, 34, 35]);
    a.object.visible = false;
    b.sync();
    expect(xs(b)).toEqual([20, 21, 22, 30, 31, 32, 33, 34, 35]);
    group.visible = false;
    b.sync();
    expect(xs(b)).toEqual([30, 31, 32, 33, 34, 35]);
    expect(b.vertexCount).toBe(6);
    a.object.visible = true;
    group.visible = true;
    b.sync();
    expect(xs(b)).toEqual([10, 11, 12, 20, 21, 22, 30, 31, 32, 33, 34, 35]);
  });

  it('rewrites and uploads only from the first changed part on; nothing when nothing changed', () => {
    const b = new Batch('triangles', 't');
    const a = part('a', 3, 10);
    const c = part('c', 3, 20);
    b.add(a);
    const touchC = b.add(c);
    b.sync();
    expect([a.writes, c.writes]).toEqual([1, 1]);
    b.sync();
    expect([a.writes, c.writes]).toEqual([1, 1]);
    touchC();
    b.sync();
    expect([a.writes, c.writes]).toEqual([1, 2]);
    const pos = b.object.geometry.getAttribute('position') as THREE.BufferAttribute;
    expect(pos.updateRanges).toEqual([{ start: 3 * 3, count: 3 * 3 }]);
    expect(pos.version).toBeGreaterThan(0);
  });

  it('turns a line segment into an indexed quad (two triangles): each corner knows the other end and its edge of the quad', () => {
    const b = new Batch('lines', 'l');
    const seg: BatchPart = {
      object: new THREE.Object3D(),
      capacity: 2,
      write(pos, col, at) {
        pos.set([0, 0, 0, 1, 2, 3], at * 3);
        col.set([0.1, 0.2, 0.3, 0.1, 0.2, 0.3], at * 3);
        return 2;
      },
    };
    b.add(seg);
    b.sync();
    const g = b.object.geometry;
    expect(g.drawRange.count).toBe(6);
    expect(b.vertexCount).toBe(2);
    const P = g.getAttribute('position').array as Float32Array;
    const O = g.getAttribute('other').array as Float32Array;
    const S = g.getAttribute('side').array as Float32Array;
    const index = g.index!.array;
    const corners: string[] = [];
    // The two triangles' corners, through the index: a quad has 4 vertices, each shaded once.
    expect(new Set(Array.from(index.slice(0, 6))).size).toBe(4);
    for (const v of Array.from(index.slice(0, 6))) {
      const me = Array.from(P.slice(v * 3, v * 3 + 3));
      const other = Array.from(O.slice(v * 3, v * 3 + 3));
      const atA = me.every((x) => x === 0);
      expect(other).toEqual(atA ? [1, 2, 3] : [0, 0, 0]);
      // The shader offsets along perp(other − me) × side, which flips between the ends: the geometric edge is
      // side at end a and −side at end b.
      corners.push(`${atA ? 'a' : 'b'}${atA ? S[v] : -S[v]!}`);
    }
    // (a,−) (b,−) (b,+) and (a,−) (b,+) (a,+): the two triangles cover the quad between the edges.
    expect(corners).toEqual(['a-1', 'b-1', 'b1', 'a-1', 'b1', 'a1']);
    expect(Array.from((g.getAttribute('color').array as Float32Array).slice(0, 3))).toEqual([0.1, 0.2, 0.3].map(Math.fround));
  });

  it('a solid shape is written translated or transformed, in its display (sRGB) colour, at the given vertex', () => {
    const color = new THREE.Color(0.25, 0.5, 0.75); // linear, as THREE.Color holds colours
    const shape = solidShape(new THREE.BoxGeometry(1, 1, 1), color);
    const shown = Array.from(Float32Array.from(srgb(color).toArray())); // written as displayed: sRGB
    expect(shown[0]).toBeCloseTo(1.055 * 0.25 ** (1 / 2.4) - 0.055, 4); // the sRGB transfer function, not 0.25
    const n = shape.pos.length / 3;
    expect(n).toBe(36); // 12 triangles, non-indexed
    const pos = new Float32Array((n + 2) * 3);
    const col = new Float32Array((n + 2) * 3);
    expect(copyShape(shape, pos, col, 2, 10, 20, 30)).toBe(n);
    expect(Array.from(pos.slice(0, 6))).toEqual([0, 0, 0, 0, 0, 0]); // vertices before `at` untouched
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < 3; k++) expect(pos[(2 + i) * 3 + k]).toBeCloseTo(shape.pos[i * 3 + k]! + [10, 20, 30][k]!, 5);
      expect(Array.from(col.slice((2 + i) * 3, (2 + i) * 3 + 3))).toEqual(shown);
    }
    // A quarter turn about z, then a shift: (x, y, z) → (−y + 1, x, z).
    const m = new THREE.Matrix4().makeRotationZ(Math.PI / 2).setPosition(1, 0, 0);
    expect(transformShape(shape, m, pos, col, 0)).toBe(n);
    for (let i = 0; i < n; i++) {
      const [x, y, z] = [shape.pos[i * 3]!, shape.pos[i * 3 + 1]!, shape.pos[i * 3 + 2]!];
      expect(pos[i * 3]).toBeCloseTo(1 - y, 5);
      expect(pos[i * 3 + 1]).toBeCloseTo(x, 5);
      expect(pos[i * 3 + 2]).toBeCloseTo(z, 5);
    }
  });
});
