import { describe, expect, it } from 'vitest';
import { inflateSync } from 'node:zlib';
import { Rng } from '@s2r/core';
import { bootstrapCI, iqm, iqmStratified, mean, summarize } from '../src/stats.ts';
import { encodePng, crc32 } from '../src/plot/png.ts';
import { lineChartPng } from '../src/plot/line-chart.ts';

describe('statistics', () => {
  it('IQM drops the lowest and highest quarter (scipy trim_mean 0.25)', () => {
    expect(iqm([1, 2, 3, 4, 5, 6, 7, 100])).toBe(4.5); // drops 1,2 and 7,100
    expect(iqm([3, 1, 2])).toBe(2); // n=3: nothing trimmed
    expect(iqm([-1000, 1, 1, 1000])).toBe(1);
  });

  it('bootstrap CI brackets the mean, shrinks with n, and is reproducible for a seed', () => {
    const rng = Rng.seed(1);
    const small = Array.from({ length: 20 }, () => rng.normal(10, 2));
    const big = Array.from({ length: 2000 }, () => rng.normal(10, 2));
    const [a, b] = bootstrapCI(small, mean, { rng: Rng.seed(5) });
    expect(a).toBeLessThan(mean(small));
    expect(b).toBeGreaterThan(mean(small));
    const [c, d] = bootstrapCI(big, mean, { rng: Rng.seed(5) });
    expect(d - c).toBeLessThan((b - a) / 5);
    // ≈ ±1.96·σ/√n for the big sample
    expect(d - c).toBeCloseTo(2 * 1.96 * 2 / Math.sqrt(2000), 1);
    expect(bootstrapCI(small, mean, { rng: Rng.seed(5) })).toEqual([a, b]);
    expect(summarize([1, 1, 1]).ci95).toEqual([1, 1]);
  });

  it('stratified IQM over seeds', () => {
    const s = iqmStratified([[1, 2, 3, 4], [5, 6, 7, 8]], Rng.seed(2));
    expect(s.mean).toBe(4.5);
    expect(s.ci95[0]).toBeLessThanOrEqual(4.5);
    expect(s.ci95[1]).toBeGreaterThanOrEqual(4.5);
    expect(s.n).toBe(8);
  });
});

describe('PNG', () => {
  it('writes a valid PNG whose pixels decode back', () => {
    const px = new Uint8Array(3 * 2 * 4).map((_, i) => (i * 37) & 255);
    const png = encodePng(3, 2, px);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // chunk CRCs are correct
    let o = 8;
    const types: string[] = [];
    let idat: Buffer = Buffer.alloc(0);
    while (o < png.length) {
      const len = png.readUInt32BE(o);
      const type = png.toString('ascii', o + 4, o + 8);
      types.push(type);
      expect(png.readUInt32BE(o + 8 + len)).toBe(crc32(png.subarray(o + 4, o + 8 + len)));
      if (type === 'IDAT') idat = png.subarray(o + 8, o + 8 + len);
      o += 12 + len;
    }
    expect(types).toEqual(['IHDR', 'IDAT', 'IEND']);
    const raw = inflateSync(idat);
    expect(raw.length).toBe(2 * (1 + 12));
    expect(raw.subarray(1, 13)).toEqual(Buffer.from(px.subarray(0, 12)));
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('renders a chart with the series drawn in colour', () => {
    const png = lineChartPng([{ x: [0, 1, 2, 3], y: [0, 5, 3, 9] }], { width: 200, height: 120, xLabel: 'minutes', yLabel: 'return' });
    expect(png.readUInt32BE(16)).toBe(200);
    expect(png.readUInt32BE(20)).toBe(120);
  });
});
