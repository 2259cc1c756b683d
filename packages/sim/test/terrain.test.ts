import { describe, expect, it } from 'vitest';
import { defaultTerrainConfig, Terrain, TERRAIN_TYPES } from '../src/terrain/heightfield.ts';
import { createWorld } from '../src/physics/world.ts';
import { Rng } from '@s2r/core';

describe('terrain heightfield', () => {
  const cfg = { ...defaultTerrainConfig(), numLevels: 4 };
  const t = new Terrain(cfg, Rng.seed(1));

  it('is a function of its seed', () => {
    expect(new Terrain(cfg, Rng.seed(1)).heights).toEqual(t.heights);
    expect(new Terrain(cfg, Rng.seed(2)).heights).not.toEqual(t.heights);
  });

  it('gets harder with the level: larger height range per tile, flat border, quantised heights', () => {
    const range = (level: number, type: number) => {
      const [cx, cy] = t.tileCenter(level, type);
      let lo = Infinity, hi = -Infinity;
      for (let x = -2.4; x <= 2.4; x += 0.1) for (let y = -2.4; y <= 2.4; y += 0.1) {
        const h = t.heightAt(cx + x, cy + y);
        lo = Math.min(lo, h);
        hi = Math.max(hi, h);
      }
      return hi - lo;
    };
    for (let type = 0; type < TERRAIN_TYPES.length; type++) expect(range(3, type)).toBeGreaterThan(range(0, type));
    expect(t.heightAt(-(t.rows / 2) * t.spacing + 0.5, 0)).toBe(0); // border
    for (const h of t.heights) expect(Math.abs(h / cfg.verticalScale - Math.round(h / cfg.verticalScale))).toBeLessThan(1e-3);
  });

  it('matches the physics ground: a ball dropped anywhere rests on heightAt', async () => {
    const world = await createWorld({ dt: 0.005, ground: { type: 'heightfield', heights: t.heights, rows: t.rows, cols: t.cols, spacing: t.spacing } });
    try {
      const R = world.rapier;
      const rng = Rng.seed(3);
      for (let k = 0; k < 5; k++) {
        const [cx, cy] = t.tileCenter(rng.int(cfg.numLevels), rng.int(TERRAIN_TYPES.length));
        // On the spawn platform the surface is flat, so the resting height is exact.
        expect(world.groundHeight(cx, cy)).toBeCloseTo(t.heightAt(cx, cy), 6);
        const b = world.world.createRigidBody(R.RigidBodyDesc.dynamic().setTranslation(cx, cy, t.heightAt(cx, cy) + 0.3));
        world.world.createCollider(R.ColliderDesc.ball(0.05), b);
        for (let i = 0; i < 300; i++) world.step();
        expect(b.translation().z).toBeCloseTo(t.heightAt(cx, cy) + 0.05, 2);
        world.world.removeRigidBody(b);
      }
    } finally {
      world.free();
    }
  });
});
