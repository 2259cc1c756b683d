/**
 * STL reader (binary and ASCII). Returns unique vertex positions (m, after scale) and triangle indices.
 * Binary vs ASCII is decided by size (84 + 50·n bytes), not by the "solid" prefix: many binary exporters
 * (the Z1's included) start their 80-byte header with "solid".
 */
export interface TriMesh {
  /** xyz per vertex, deduplicated. */
  vertices: Float32Array;
  /** Three vertex indices per triangle. */
  indices: Uint32Array;
}

export class StlError extends Error {
  constructor(message: string, readonly source: string) {
    super(`${source}: ${message}`);
    this.name = 'StlError';
  }
}

function dedupe(raw: Float32Array, source: string): TriMesh {
  const n = raw.length / 3;
  const map = new Map<string, number>();
  const verts: number[] = [];
  const indices = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const x = raw[i * 3]!, y = raw[i * 3 + 1]!, z = raw[i * 3 + 2]!;
    if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z)) {
      throw new StlError(`vertex ${i} of triangle ${Math.floor(i / 3)} is not finite`, source);
    }
    const key = `${x},${y},${z}`;
    let idx = map.get(key);
    if (idx === undefined) {
      idx = verts.length / 3;
      map.set(key, idx);
      verts.push(x, y, z);
    }
    indices[i] = idx;
  }
  return { vertices: new Float32Array(verts), indices };
}

/** Parse STL bytes. `source` names the file in errors. */
export function parseStl(bytes: Uint8Array, source = '<stl>', scale: [number, number, number] = [1, 1, 1]): TriMesh {
  const [sx, sy, sz] = scale;
  if (bytes.length >= 84) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const count = dv.getUint32(80, true);
    // A size match decides, unless the file also reads as ASCII from end to end ("solid" … "endsolid").
    const tail = new TextDecoder('latin1').decode(bytes.subarray(Math.max(0, bytes.length - 256)));
    const head = new TextDecoder('latin1').decode(bytes.subarray(0, 5));
    const looksAscii = head === 'solid' && /endsolid[^\n]*\s*$/.test(tail);
    if (84 + count * 50 === bytes.length && !looksAscii) {
      if (count === 0) throw new StlError('binary STL with zero triangles', source);
      const raw = new Float32Array(count * 9);
      for (let t = 0; t < count; t++) {
        const base = 84 + t * 50 + 12; // skip the facet normal
        for (let v = 0; v < 3; v++) {
          const o = base + v * 12;
          raw[t * 9 + v * 3] = dv.getFloat32(o, true) * sx;
          raw[t * 9 + v * 3 + 1] = dv.getFloat32(o + 4, true) * sy;
          raw[t * 9 + v * 3 + 2] = dv.getFloat32(o + 8, true) * sz;
        }
      }
      return dedupe(raw, source);
    }
  }
  const text = new TextDecoder('utf-8').decode(bytes);
  if (!/^\s*solid\b/.test(text)) {
    throw new StlError(
      `not an STL file: neither binary (size ${bytes.length} ≠ 84 + 50 × triangle count) nor ASCII (no "solid" header)`,
      source,
    );
  }
  const coords: number[] = [];
  const re = /vertex\s+(\S+)\s+(\S+)\s+(\S+)/g;
  let m: RegExpExecArray | null;
  let lineNo = 1;
  let last = 0;
  while ((m = re.exec(text))) {
    const x = Number(m[1]), y = Number(m[2]), z = Number(m[3]);
    if (![x, y, z].every(Number.isFinite)) {
      for (let i = last; i < m.index; i++) if (text.charCodeAt(i) === 10) lineNo++;
      throw new StlError(`line ${lineNo}: bad vertex "${m[0]}"`, source);
    }
    coords.push(x * sx, y * sy, z * sz);
  }
  if (coords.length === 0) throw new StlError('ASCII STL has no vertices', source);
  if (coords.length % 9 !== 0) throw new StlError(`ASCII STL has ${coords.length / 3} vertices, not a multiple of 3`, source);
  return dedupe(new Float32Array(coords), source);
}
