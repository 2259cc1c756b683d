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

  /**
   * Append rows [0, n) of a packed block (`layout` into `buffer`, as packRows writes it) after the last row.
   * `layout.from` must be this series' row count: a block is the next rows, never an overlap or a gap.
   */
  appendPacked(l: SeriesLayout, buffer: ArrayBuffer): void {
    if ((l.from ?? 0) !== this.n) throw new Error(`series ${this.name}: block starts at row ${l.from ?? 0} but ${this.n} rows are held`);
    while (this.t.length < this.n + l.n) this.#grow();
    const at = this.n;
    this.t.set(new Float64Array(buffer, l.tOffset, l.n), at);
    for (const c of this.cols.values()) c.fill(Number.NaN, at, at + l.n);
    for (const c of l.cols) this.col(c.field).set(new Float32Array(buffer, c.offset, l.n), at);
    this.n += l.n;
  }

  #grow(): void {
    const cap = Math.max(this.t.length * 2, 16);
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
  /** First row of the series this block holds (0 for a whole series; later for a progressive-load block). */
  from?: number;
  tOffset: number;
  cols: { field: string; offset: number }[];
}

export function packSeries(list: Series[]): { layout: SeriesLayout[]; buffer: ArrayBuffer } {
  const { layout, buffer } = packRows(list.map((s) => ({ s, from: 0, to: s.n })));
  for (const l of layout) delete l.from;
  return { layout, buffer };
}

/** Rows [from, to) of each series (every column), packed like packSeries; the layout says where each block starts. */
export function packRows(list: { s: Series; from: number; to: number }[]): { layout: SeriesLayout[]; buffer: ArrayBuffer } {
  let size = 0;
  const layout: SeriesLayout[] = [];
  for (const { s, from, to } of list) {
    const n = to - from;
    const l: SeriesLayout = { name: s.name, n, from, tOffset: size, cols: [] };
    size += n * 8;
    for (const f of s.cols.keys()) {
      l.cols.push({ field: f, offset: size });
      size += Math.ceil((n * 4) / 8) * 8;
    }
    layout.push(l);
  }
  const buffer = new ArrayBuffer(size);
  list.forEach(({ s, from, to }, i) => {
    const l = layout[i]!;
    new Float64Array(buffer, l.tOffset, to - from).set(s.t.subarray(from, to));
    for (const c of l.cols) new Float32Array(buffer, c.offset, to - from).set(s.col(c.field).subarray(from, to));
  });
  return { layout, buffer };
}

/**
 * A fingerprint of series contents (row count, fields, FNV-1a of the time and value bytes), to compare a page's
 * data with the server's without shipping every array (tests: progressive load = whole-file load).
 */
export function seriesDigest(series: Map<string, Series>): Record<string, { n: number; fields: string[]; hash: number }> {
  const out: Record<string, { n: number; fields: string[]; hash: number }> = {};
  for (const name of [...series.keys()].sort()) {
    const s = series.get(name)!;
    const fields = s.fields.sort();
    let h = 0x811c9dc5;
    const mix = (a: Float64Array | Float32Array): void => {
      const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    };
    mix(s.times());
    for (const f of fields) mix(s.values(f));
    out[name] = { n: s.n, fields, hash: h >>> 0 };
  }
  return out;
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
