import { describe, expect, it } from 'vitest';
import { Rng } from '../src/rng.ts';

describe('Rng', () => {
  it('reproduces a stream from the same seed', () => {
    const a = Rng.seed(42);
    const b = Rng.seed(42);
    for (let i = 0; i < 100; i++) expect(a.nextU32()).toBe(b.nextU32());
  });
  it('gives different streams for different seeds', () => {
    expect(Rng.seed(1).nextU32()).not.toBe(Rng.seed(2).nextU32());
  });
  it('splits by key, independent of how much the parent has drawn', () => {
    const a = Rng.seed(7);
    const b = Rng.seed(7);
    for (let i = 0; i < 50; i++) b.float();
    expect(a.split('env').split(3).float()).toBe(b.split('env').split(3).float());
    expect(a.split(3).float()).not.toBe(a.split(4).float());
  });
  it('draws within range with plausible moments', () => {
    const r = Rng.seed(3);
    let s = 0, s2 = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const u = r.uniform(-2, 5);
      expect(u).toBeGreaterThanOrEqual(-2);
      expect(u).toBeLessThan(5);
      const z = r.normal();
      s += z; s2 += z * z;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05);
  });
  it('restores state exactly', () => {
    const r = Rng.seed(9);
    r.normal();
    const st = r.getState();
    const x = [r.normal(), r.float()];
    r.setState(st);
    expect([r.normal(), r.float()]).toEqual(x);
  });
});
