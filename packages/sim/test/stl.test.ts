import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStl, StlError } from '../src/mesh/stl.ts';
import { readMesh } from '../src/mesh/load.ts';
import { supportPoints } from '../src/mesh/support-points.ts';
import { sharedRobot, tmpDir } from '../../../test/helpers/robots.ts';

/** A unit tetrahedron's 4 faces as triangles. */
const TET: number[][][] = [
  [[0, 0, 0], [1, 0, 0], [0, 1, 0]],
  [[0, 0, 0], [0, 0, 1], [1, 0, 0]],
  [[0, 0, 0], [0, 1, 0], [0, 0, 1]],
  [[1, 0, 0], [0, 0, 1], [0, 1, 0]],
];

function binaryStl(tris: number[][][], header = 'binary test'): Uint8Array {
  const buf = new Uint8Array(84 + 50 * tris.length);
  const dv = new DataView(buf.buffer);
  buf.set(new TextEncoder().encode(header.padEnd(80, ' ').slice(0, 80)), 0);
  dv.setUint32(80, tris.length, true);
  tris.forEach((t, i) => {
    t.forEach((v, k) => v.forEach((c, a) => dv.setFloat32(84 + 50 * i + 12 + 12 * k + 4 * a, c, true)));
  });
  return buf;
}

function asciiStl(tris: number[][][]): string {
  const facets = tris
    .map((t) => `  facet normal 0 0 0\n    outer loop\n${t.map((v) => `      vertex ${v.join(' ')}`).join('\n')}\n    endloop\n  endfacet`)
    .join('\n');
  return `solid tet\n${facets}\nendsolid tet\n`;
}

describe('STL', () => {
  it('reads binary STL and deduplicates vertices', () => {
    const m = parseStl(binaryStl(TET));
    expect(m.vertices.length / 3).toBe(4);
    expect(m.indices.length).toBe(12);
    const v = (i: number) => Array.from(m.vertices.slice(3 * m.indices[i]!, 3 * m.indices[i]! + 3));
    expect(v(3)).toEqual([0, 0, 0]);
    expect(v(11)).toEqual([0, 1, 0]);
  });

  it('reads a binary STL whose header starts with "solid" (decided by size, not prefix)', () => {
    const m = parseStl(binaryStl(TET, 'solid but actually binary'));
    expect(m.vertices.length / 3).toBe(4);
  });

  it('reads ASCII STL, with scale', () => {
    const m = parseStl(new TextEncoder().encode(asciiStl(TET)), 'tet.stl', [2, 2, 2]);
    expect(m.vertices.length / 3).toBe(4);
    expect(Math.max(...m.vertices)).toBe(2);
  });

  it('binary and ASCII of the same mesh agree', () => {
    const a = parseStl(binaryStl(TET));
    const b = parseStl(new TextEncoder().encode(asciiStl(TET)));
    expect(Array.from(a.vertices)).toEqual(Array.from(b.vertices));
    expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
  });

  it('errors name the file and what is wrong', () => {
    expect(() => parseStl(new TextEncoder().encode('hello world'), 'x.stl')).toThrow(StlError);
    expect(() => parseStl(new TextEncoder().encode('hello world'), 'x.stl')).toThrow(/^x\.stl: not an STL file/);
    expect(() => parseStl(new TextEncoder().encode('solid a\n facet\n vertex 1 2 nope\n'), 'y.stl')).toThrow(/y\.stl: line 3: bad vertex/);
    expect(() => parseStl(new TextEncoder().encode('solid a\nendsolid a\n'), 'z.stl')).toThrow(/z\.stl: ASCII STL has no vertices/);
    const dir = tmpDir();
    expect(() => readMesh(join(dir, 'missing.stl'))).toThrow(/missing\.stl: cannot read mesh/);
    const dae = join(dir, 'a.dae');
    writeFileSync(dae, '<COLLADA/>');
    expect(() => readMesh(dae)).toThrow(/a\.dae: collision mesh format "\.dae" is not supported/);
  });

  it('reads the real Z1 collision meshes (binary STL with a "solid" header)', () => {
    const path = sharedRobot('z1/meshes/collision/z1_Link00.STL');
    expect(readFileSync(path).subarray(0, 5).toString()).toBe('solid');
    const m = readMesh(path);
    const triangles = (statSync(path).size - 84) / 50;
    expect(m.indices.length).toBe(3 * triangles);
    expect(m.vertices.length / 3).toBeLessThan(3 * triangles); // shared vertices were merged
    // The base link is about 6.5 cm across and 5 cm tall (metres, not millimetres).
    let maxAbs = 0;
    for (const v of m.vertices) maxAbs = Math.max(maxAbs, Math.abs(v));
    expect(maxAbs).toBeGreaterThan(0.02);
    expect(maxAbs).toBeLessThan(0.2);
  });

  it('supportPoints keeps ≤ N original points whose extent matches the dense set in every direction', () => {
    const m = readMesh(sharedRobot('z1/meshes/collision/z1_Link01.STL'));
    const reduced = supportPoints(m.vertices, 256);
    expect(reduced.length / 3).toBeLessThanOrEqual(256);
    const original = new Set<string>();
    for (let i = 0; i < m.vertices.length; i += 3) original.add(`${m.vertices[i]},${m.vertices[i + 1]},${m.vertices[i + 2]}`);
    for (let i = 0; i < reduced.length; i += 3) expect(original.has(`${reduced[i]},${reduced[i + 1]},${reduced[i + 2]}`)).toBe(true);
    const extent = (p: Float32Array, d: number[]) => {
      let best = -Infinity;
      for (let i = 0; i < p.length; i += 3) best = Math.max(best, p[i]! * d[0]! + p[i + 1]! * d[1]! + p[i + 2]! * d[2]!);
      return best;
    };
    let size = 0;
    for (const v of m.vertices) size = Math.max(size, Math.abs(v));
    for (let k = 0; k < 50; k++) {
      const d = [Math.sin(k * 1.3) * Math.cos(k * 0.7), Math.sin(k * 1.3) * Math.sin(k * 0.7), Math.cos(k * 1.3)];
      const gap = extent(m.vertices, d) - extent(reduced, d);
      expect(gap).toBeGreaterThanOrEqual(0); // inner approximation
      expect(gap).toBeLessThan(0.02 * size);
    }
    const few = new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(supportPoints(few, 256)).toBe(few);
  });
});
