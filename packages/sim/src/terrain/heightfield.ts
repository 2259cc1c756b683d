/**
 * Procedural terrain for rough-terrain locomotion, legged_gym style: a grid of square tiles, one row per
 * difficulty level and one column per terrain type, surrounded by a flat border. Heights are generated from a
 * seeded Rng, so every env (and every worker) builds the same map.
 *
 * Grid convention (matches physics GroundSpec 'heightfield'): heights[r * cols + c] is the height (m) at
 * x = (r − (rows − 1)/2)·spacing, y = (c − (cols − 1)/2)·spacing, i.e. row-major, rows along x, centred at the origin.
 */
import type { Rng } from '@s2r/core';

export type TerrainType = 'smooth_slope' | 'rough_slope' | 'stairs_up' | 'stairs_down' | 'discrete';
export const TERRAIN_TYPES: TerrainType[] = ['smooth_slope', 'rough_slope', 'stairs_up', 'stairs_down', 'discrete'];

export interface TerrainConfig {
  /** Difficulty rows. legged_gym: 10. */
  numLevels: number;
  /** Tile edge (m). legged_gym uses 8 m; a Go1 episode covers less, and smaller tiles keep each world light. */
  tileSize: number;
  /** Horizontal resolution (m). legged_gym: 0.1. */
  horizontalScale: number;
  /** Height quantum (m). legged_gym: 0.005. */
  verticalScale: number;
  /** Flat border around the map (m). */
  border: number;
  /** Share of each type when a column is drawn (legged_gym 0.1/0.1/0.35/0.25/0.2). */
  proportions: [number, number, number, number, number];
  /** Hardest settings (at level numLevels − 1), scaled down from legged_gym's ANYmal values for a 12 kg Go1. */
  maxSlope: number; // rise over run
  maxRoughness: number; // ± m uniform noise on rough slopes
  maxStepHeight: number; // m
  minStepHeight: number; // m
  stepWidth: number; // m
  maxObstacleHeight: number; // m
  minObstacleHeight: number; // m
  /** Flat platform at each tile centre where robots spawn (m). */
  platformSize: number;
  /** Seed of the map (the same map in every env). */
  seed: number;
}

export function defaultTerrainConfig(): TerrainConfig {
  return {
    numLevels: 10,
    tileSize: 5,
    horizontalScale: 0.1,
    verticalScale: 0.005,
    border: 3,
    proportions: [0.1, 0.1, 0.35, 0.25, 0.2],
    maxSlope: 0.35,
    maxRoughness: 0.03,
    maxStepHeight: 0.13,
    minStepHeight: 0.03,
    stepWidth: 0.3,
    maxObstacleHeight: 0.13,
    minObstacleHeight: 0.03,
    platformSize: 1.2,
    seed: 1,
  };
}

export class Terrain {
  readonly rows: number;
  readonly cols: number;
  readonly spacing: number;
  readonly heights: Float32Array;
  readonly cfg: TerrainConfig;
  private readonly tileCells: number;
  private readonly borderCells: number;

  constructor(cfg: TerrainConfig, rng: Rng) {
    this.cfg = cfg;
    this.spacing = cfg.horizontalScale;
    this.tileCells = Math.round(cfg.tileSize / cfg.horizontalScale);
    this.borderCells = Math.round(cfg.border / cfg.horizontalScale);
    const T = TERRAIN_TYPES.length;
    this.rows = cfg.numLevels * this.tileCells + 2 * this.borderCells + 1;
    this.cols = T * this.tileCells + 2 * this.borderCells + 1;
    this.heights = new Float32Array(this.rows * this.cols);
    for (let level = 0; level < cfg.numLevels; level++) {
      const d = cfg.numLevels === 1 ? 1 : level / (cfg.numLevels - 1);
      for (let t = 0; t < T; t++) this.fillTile(level, t, d, rng.split(level * T + t));
    }
    const q = cfg.verticalScale;
    if (q > 0) for (let i = 0; i < this.heights.length; i++) this.heights[i] = Math.round(this.heights[i]! / q) * q;
  }

  /** World (x, y) of the centre of tile (level, type). */
  tileCenter(level: number, type: number): [number, number] {
    const r = this.borderCells + level * this.tileCells + this.tileCells / 2;
    const c = this.borderCells + type * this.tileCells + this.tileCells / 2;
    return [(r - (this.rows - 1) / 2) * this.spacing, (c - (this.cols - 1) / 2) * this.spacing];
  }

  /** Bilinear height (m) at world (x, y); the border height (0) outside the map. */
  heightAt(x: number, y: number): number {
    const fr = x / this.spacing + (this.rows - 1) / 2;
    const fc = y / this.spacing + (this.cols - 1) / 2;
    if (fr < 0 || fc < 0 || fr > this.rows - 1 || fc > this.cols - 1) return 0;
    const r0 = Math.min(Math.floor(fr), this.rows - 2);
    const c0 = Math.min(Math.floor(fc), this.cols - 2);
    const ar = fr - r0;
    const ac = fc - c0;
    const h = this.heights;
    const i = r0 * this.cols + c0;
    return (h[i]! * (1 - ac) + h[i + 1]! * ac) * (1 - ar) + (h[i + this.cols]! * (1 - ac) + h[i + this.cols + 1]! * ac) * ar;
  }

  private fillTile(level: number, type: number, d: number, rng: Rng): void {
    const cfg = this.cfg;
    const n = this.tileCells;
    const r0 = this.borderCells + level * n;
    const c0 = this.borderCells + type * n;
    const s = this.spacing;
    const half = (n * s) / 2;
    const plat = cfg.platformSize / 2;
    const kind = TERRAIN_TYPES[type]!;
    const stepH = cfg.minStepHeight + (cfg.maxStepHeight - cfg.minStepHeight) * d;
    const slope = cfg.maxSlope * d;
    const rough = cfg.maxRoughness * (0.2 + 0.8 * d);
    // Obstacles are drawn once per tile, then rasterised.
    const obstacles: [number, number, number, number, number][] = [];
    if (kind === 'discrete') {
      const hObs = cfg.minObstacleHeight + (cfg.maxObstacleHeight - cfg.minObstacleHeight) * d;
      for (let k = 0; k < 20; k++) {
        const w = rng.uniform(0.3, 0.8);
        const l = rng.uniform(0.3, 0.8);
        const cx = rng.uniform(-half, half);
        const cy = rng.uniform(-half, half);
        obstacles.push([cx - w / 2, cx + w / 2, cy - l / 2, cy + l / 2, (rng.float() < 0.5 ? -1 : 1) * hObs]);
      }
    }
    const down = rng.float() < 0.5; // smooth/rough slopes: pyramid up or down
    for (let i = 0; i <= n; i++) {
      for (let j = 0; j <= n; j++) {
        const x = i * s - half; // tile-local, centred
        const y = j * s - half;
        // Distance outward from the platform edge, in the max norm (pyramids), 0 on the platform.
        const dist = Math.max(0, Math.max(Math.abs(x), Math.abs(y)) - plat);
        const edge = Math.max(0, half - plat);
        let h = 0;
        switch (kind) {
          case 'smooth_slope':
          case 'rough_slope':
            // The tile rim sits at 0 so neighbouring tiles meet; the platform is raised (or sunk) by slope·edge.
            h = (down ? -1 : 1) * slope * (edge - dist);
            if (kind === 'rough_slope') h += rng.uniform(-rough, rough);
            break;
          case 'stairs_up':
          case 'stairs_down': {
            const steps = Math.floor((edge - dist) / cfg.stepWidth);
            h = (kind === 'stairs_up' ? 1 : -1) * steps * stepH;
            break;
          }
          case 'discrete':
            if (dist > 0) for (const [x0, x1, y0, y1, oh] of obstacles) if (x >= x0 && x <= x1 && y >= y0 && y <= y1) h = oh;
            break;
        }
        this.heights[(r0 + i) * this.cols + (c0 + j)] = h;
      }
    }
  }
}
