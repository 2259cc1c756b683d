/**
 * Columnar time series: one Float64 time column (s) and named Float32 value columns of equal length.
 * Browser-safe (no Node imports). Files are converted to this on the server and sent as one binary blob,
 * so the page never JSON-parses tens of thousands of messages; live mode appends to the same structure.
 */
export class Series {
  readonly name: string;
  t: Float64Array;
  readonly cols = new Map<string, Float32Array>();
  n = 0;

  constructor(name: string, capacity = 256) {
    this.name = name;
    this.t = new Float64Array(capacity);
  }

  get fields(): string[] {
    return [...this.cols.keys()];
  }

  /** Make sure a column exists; rows written before it appeared read NaN. */
  col(field: string): Float32Array {
    let c = this.cols.get(field);
    if (!c) {
      c = new Float32Array(this.t.length).fill(Number.NaN);
      this.cols.set(field, c);
    }
    return c;
  }

  /** Start a new row at time t (s); returns its index. Unset columns in the row read NaN. */
  push(t: number): number {
    if (this.n === this.t.length) this.#grow();
    const i = this.n++;
    this.t[i] = t;
    for (const c of this.cols.values()) c[i] = Number.NaN;
    return i;
  }

  set(row: number, field: string, v: number): void {
    this.col(field)[row] = v;
  }

  /** Index of the last row with time <= t, or -1. Binary search: O(log n). */
  indexAt(t: number): number {
    const ts = this.t;
    let lo = 0;
    let hi = this.n - 1;
    if (hi < 0 || t < ts[0]!) return -1;
    if (t >= ts[hi]!) return hi;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ts[mid]! <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Trimmed views of the filled rows. */
  times(): Float64Array {
    return this.t.subarray(0, this.n);
  }

  values(field: string): Float32Array {
    return this.col(field).subarray(0, this.n);
  }

  #grow(): void {
    const cap = this.t.length * 2;
    const t = new Float64Array(cap);
    t.set(this.t);
    this.t = t;
    for (const [k, c] of this.cols) {
      const nc = new Float32Array(cap).fill(Number.NaN);
      nc.set(c.subarray(0, this.n));
      this.cols.set(k, nc);
    }
  }
}

/** Layout of the binary blob: per series, its time column then its value columns, 8-byte aligned. */
export interface SeriesLayout {
  name: string;
  n: number;
  tOffset: number;
  cols: { field: string; offset: number }[];
}

export function packSeries(list: Series[]): { layout: SeriesLayout[]; buffer: ArrayBuffer } {
  let size = 0;
  const layout: SeriesLayout[] = [];
  for (const s of list) {
    const l: SeriesLayout = { name: s.name, n: s.n, tOffset: size, cols: [] };
    size += s.n * 8;
    for (const f of s.cols.keys()) {
      l.cols.push({ field: f, offset: size });
      size += Math.ceil((s.n * 4) / 8) * 8;
    }
    layout.push(l);
  }
  const buffer = new ArrayBuffer(size);
  list.forEach((s, i) => {
    const l = layout[i]!;
    new Float64Array(buffer, l.tOffset, s.n).set(s.times());
    for (const c of l.cols) new Float32Array(buffer, c.offset, s.n).set(s.values(c.field));
  });
  return { layout, buffer };
}

export function unpackSeries(layout: SeriesLayout[], buffer: ArrayBuffer): Map<string, Series> {
  const out = new Map<string, Series>();
  for (const l of layout) {
    const s = new Series(l.name, 1);
    // Views into the received buffer, no copy. Growing (live append) copies on demand.
    s.t = new Float64Array(buffer, l.tOffset, l.n);
    for (const c of l.cols) s.cols.set(c.field, new Float32Array(buffer, c.offset, l.n));
    s.n = l.n;
    out.set(l.name, s);
  }
  return out;
}
