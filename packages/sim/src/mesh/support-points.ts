/**
 * Reduce a dense point set (e.g. a convex hull with thousands of vertices from a CAD STL) to its support points in
 * N evenly spread directions (a Fibonacci sphere). The hull of the result is an inner approximation of the
 * original hull: with 256 directions the largest gap is about 0.6% of the radius of a round part, while collision
 * queries against the hull get cheaper in proportion to its vertex count.
 */
export function supportPoints(points: Float32Array, directions = 256): Float32Array {
  const n = points.length / 3;
  if (n <= directions) return points;
  const chosen = new Set<number>();
  const golden = Math.PI * (3 - Math.sqrt(5));
  for (let k = 0; k < directions; k++) {
    const z = 1 - (2 * (k + 0.5)) / directions;
    const r = Math.sqrt(1 - z * z);
    const dx = r * Math.cos(golden * k), dy = r * Math.sin(golden * k), dz = z;
    let best = 0, bestDot = -Infinity;
    for (let i = 0; i < n; i++) {
      const d = points[3 * i]! * dx + points[3 * i + 1]! * dy + points[3 * i + 2]! * dz;
      if (d > bestDot) {
        bestDot = d;
        best = i;
      }
    }
    chosen.add(best);
  }
  const out = new Float32Array(3 * chosen.size);
  let j = 0;
  for (const i of chosen) {
    out[3 * j] = points[3 * i]!;
    out[3 * j + 1] = points[3 * i + 1]!;
    out[3 * j + 2] = points[3 * i + 2]!;
    j++;
  }
  return out;
}
