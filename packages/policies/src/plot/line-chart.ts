/**
 * A small raster line chart (axes, grid, tick labels in a built-in 3×5 pixel font, one or more series) rendered
 * to PNG. Used for the training curve (return vs wall-clock) in the run folder.
 */
import { encodePng } from './png.ts';

// 3×5 glyphs, rows top to bottom, 3 bits each (MSB = left).
const FONT: Record<string, number[]> = {
  '0': [7, 5, 5, 5, 7], '1': [2, 6, 2, 2, 7], '2': [7, 1, 7, 4, 7], '3': [7, 1, 7, 1, 7], '4': [5, 5, 7, 1, 1],
  '5': [7, 4, 7, 1, 7], '6': [7, 4, 7, 5, 7], '7': [7, 1, 1, 2, 2], '8': [7, 5, 7, 5, 7], '9': [7, 5, 7, 1, 7],
  '-': [0, 0, 7, 0, 0], '.': [0, 0, 0, 0, 2], k: [4, 5, 6, 5, 5], m: [0, 0, 7, 7, 5], i: [2, 0, 2, 2, 2], n: [0, 0, 6, 5, 5],
  r: [0, 0, 6, 4, 4], e: [7, 5, 7, 4, 7], t: [2, 7, 2, 2, 3], u: [0, 0, 5, 5, 7], ' ': [0, 0, 0, 0, 0], s: [7, 4, 7, 1, 7],
  M: [5, 7, 7, 5, 5], R: [6, 5, 6, 5, 5], T: [7, 2, 2, 2, 2], E: [7, 4, 6, 4, 7], U: [5, 5, 5, 5, 7], N: [5, 7, 7, 7, 5],
  I: [7, 2, 2, 2, 7], W: [5, 5, 7, 7, 5], A: [2, 5, 7, 5, 5], L: [4, 4, 4, 4, 7], C: [7, 4, 4, 4, 7], O: [7, 5, 5, 5, 7],
  K: [5, 5, 6, 5, 5], G: [7, 4, 5, 5, 7], F: [7, 4, 6, 4, 4], P: [7, 5, 7, 4, 4], H: [5, 5, 7, 5, 5], V: [5, 5, 5, 5, 2],
  X: [5, 5, 2, 5, 5], Y: [5, 5, 2, 2, 2], D: [6, 5, 5, 5, 6], B: [6, 5, 6, 5, 6], S: [7, 4, 7, 1, 7], J: [1, 1, 1, 5, 7], Q: [7, 5, 5, 7, 1], Z: [7, 1, 2, 4, 7], '(': [1, 2, 2, 2, 1], ')': [4, 2, 2, 2, 4], '/': [1, 1, 2, 4, 4], ':': [0, 2, 0, 2, 0],
};

type RGB = [number, number, number];

class Canvas {
  readonly px: Uint8Array;
  constructor(readonly w: number, readonly h: number) {
    this.px = new Uint8Array(w * h * 4).fill(255);
  }
  set(x: number, y: number, c: RGB): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.w || y >= this.h) return;
    const o = (y * this.w + x) * 4;
    this.px[o] = c[0];
    this.px[o + 1] = c[1];
    this.px[o + 2] = c[2];
    this.px[o + 3] = 255;
  }
  line(x0: number, y0: number, x1: number, y1: number, c: RGB, thick = 1): void {
    const n = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    for (let i = 0; i <= n; i++) {
      const x = x0 + ((x1 - x0) * i) / n;
      const y = y0 + ((y1 - y0) * i) / n;
      for (let dx = 0; dx < thick; dx++) for (let dy = 0; dy < thick; dy++) this.set(x + dx, y + dy, c);
    }
  }
  text(x: number, y: number, s: string, c: RGB, scale = 2): void {
    let cx = x;
    for (const ch of s) {
      const g = FONT[ch] ?? FONT[ch.toUpperCase()] ?? FONT[ch.toLowerCase()] ?? FONT[' ']!;
      for (let r = 0; r < 5; r++)
        for (let b = 0; b < 3; b++)
          if ((g[r]! >> (2 - b)) & 1) for (let sx = 0; sx < scale; sx++) for (let sy = 0; sy < scale; sy++) this.set(cx + b * scale + sx, y + r * scale + sy, c);
      cx += 4 * scale;
    }
  }
}

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toPrecision(6)));
  return out;
}

function label(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  if (a >= 100 || Number.isInteger(v)) return v.toFixed(0);
  return v.toFixed(a >= 10 ? 1 : 2);
}

export interface Series {
  x: number[];
  y: number[];
  color?: RGB;
}

/** Render series to a PNG (width×height px). Axis titles use the tiny built-in font (letters/digits). */
export function lineChartPng(series: Series[], o: { width?: number; height?: number; xLabel?: string; yLabel?: string; title?: string } = {}): Buffer {
  const W = o.width ?? 800;
  const H = o.height ?? 480;
  const c = new Canvas(W, H);
  const L = 80, R = 20, T = 40, B = 60;
  const xs = series.flatMap((s) => s.x).filter(Number.isFinite);
  const ys = series.flatMap((s) => s.y).filter(Number.isFinite);
  const x0 = xs.length ? Math.min(...xs) : 0;
  const x1 = xs.length ? Math.max(...xs) : 1;
  let y0 = ys.length ? Math.min(...ys) : 0;
  let y1 = ys.length ? Math.max(...ys) : 1;
  if (y1 - y0 < 1e-9) {
    y0 -= 1;
    y1 += 1;
  }
  const xt = niceTicks(x0, x1 > x0 ? x1 : x0 + 1);
  const yt = niceTicks(y0, y1);
  const X0 = Math.min(x0, xt[0] ?? x0), X1 = Math.max(x1 > x0 ? x1 : x0 + 1, xt[xt.length - 1] ?? x1);
  const Y0 = Math.min(y0, yt[0] ?? y0), Y1 = Math.max(y1, yt[yt.length - 1] ?? y1);
  const px = (x: number) => L + ((x - X0) / (X1 - X0)) * (W - L - R);
  const py = (y: number) => H - B - ((y - Y0) / (Y1 - Y0)) * (H - T - B);
  const grid: RGB = [225, 225, 225];
  const axis: RGB = [40, 40, 40];
  for (const t of xt) {
    c.line(px(t), T, px(t), H - B, grid);
    c.text(px(t) - label(t).length * 4, H - B + 8, label(t), axis);
  }
  for (const t of yt) {
    c.line(L, py(t), W - R, py(t), grid);
    c.text(L - 8 - label(t).length * 8, py(t) - 5, label(t), axis);
  }
  c.line(L, H - B, W - R, H - B, axis);
  c.line(L, T, L, H - B, axis);
  if (o.xLabel) c.text(W / 2 - o.xLabel.length * 4, H - 24, o.xLabel, axis);
  if (o.yLabel) c.text(8, 12, o.yLabel, axis);
  if (o.title) c.text(W / 2 - o.title.length * 4, 12, o.title, axis);
  const palette: RGB[] = [[31, 119, 180], [214, 39, 40], [44, 160, 44], [255, 127, 14]];
  series.forEach((s, k) => {
    const col = s.color ?? palette[k % palette.length]!;
    for (let i = 1; i < s.x.length; i++) {
      if (![s.x[i - 1], s.y[i - 1], s.x[i], s.y[i]].every((v) => Number.isFinite(v))) continue;
      c.line(px(s.x[i - 1]!), py(s.y[i - 1]!), px(s.x[i]!), py(s.y[i]!), col, 2);
    }
  });
  return encodePng(W, H, c.px);
}
