export { parseStl, StlError, type TriMesh } from './stl.ts';
export { readMesh } from './load.ts';
export { supportPoints } from './support-points.ts';
