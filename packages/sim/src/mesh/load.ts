/**
 * Reading mesh files from disk, cached per (path, scale) so building many worlds (one per env) parses each
 * STL once per process. Only STL is supported for collision; other formats get an error naming the file.
 */
import { readFileSync } from 'node:fs';
import { parseStl, StlError, type TriMesh } from './stl.ts';

const cache = new Map<string, TriMesh>();

export function readMesh(path: string, scale: [number, number, number] = [1, 1, 1]): TriMesh {
  const key = `${path}|${scale.join(',')}`;
  const hit = cache.get(key);
  if (hit) return hit;
  if (!/\.stl$/i.test(path)) {
    throw new StlError(`collision mesh format "${path.slice(path.lastIndexOf('.'))}" is not supported (use STL)`, path);
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new StlError(`cannot read mesh: ${(e as Error).message}`, path);
  }
  const mesh = parseStl(bytes, path, scale);
  cache.set(key, mesh);
  return mesh;
}
