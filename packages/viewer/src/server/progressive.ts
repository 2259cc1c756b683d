/**
 * Progressive preparation of a recording for `s2r view` (issue 18: the first frame of a 10-minute file in ≤ 1 s).
 * The file is read in time slices with `readRecording(…, { timeRange })`, which hops over chunks outside the
 * window: slice 0 (the first FIRST_WINDOW_S) is read at once and served as the "first" snapshot; the rest is read
 * in the background (once the page has its first snapshot), one slice per event-loop turn (6 s of recording,
 * doubling up to 30 s: ≤ ~0.2 s of CPU for 500 Hz Go1 on a quiet machine, so requests keep being answered), into
 * the same Ingest. Pages fetch each later slice as a block of new rows per series
 * (/api/rec/<id>/slice/<k>) and append it; once every slice is in they hold exactly what a whole-file load gives.
 *
 * Slices split the messages by logTime into half-open ranges [a, b) (ns, exact bigint compare), so a chunk that
 * straddles a boundary is read by both slices but each message is ingested once. For a file in time order (what
 * one writer produces) the ingest order is the file order, as in a whole-file read; otherwise the final sort
 * (finishIngest) moves rows, and pages are told to reload the full snapshot instead of appending.
 * A slice that fails (a damaged chunk, an undecodable message) ends the load there, like a whole-file read stops:
 * what was read stays served, and the error goes to the page with the last slice.
 */
import { listChunks, readRecording, type Recording } from '@s2r/recording/reader.ts';
import { Ingest, type Events } from '../data/ingest.ts';
import { packRows, type Series } from '../data/series.ts';
import { finishIngest, ingestInto, packView, robotFor, type RobotPart, type ViewData } from './view-data.ts';

/** Seconds of recording in the first snapshot: enough to pose the robot and start playing. */
export const FIRST_WINDOW_S = 2;
/**
 * Seconds of recording in the first background slice; each next slice is twice as long, up to MAX_SLICE_S. Every
 * slice re-hops the file's record headers and re-reads its metadata (~16 ms for 10 minutes), so few large slices
 * cost less in total, while 30 s of 500 Hz Go1 (~0.2 s of CPU on a quiet machine) still keeps the server answering.
 */
export const SLICE_S = 6;
export const MAX_SLICE_S = 30;

export interface ProgressiveOptions {
  robotDir?: string;
  firstWindowS?: number;
  sliceS?: number;
  maxSliceS?: number;
  /**
   * The background read starts when this resolves (serve.ts: once a page has fetched the first snapshot, or after
   * a short delay): slices run on the server's thread, and the first page load should not queue behind one.
   */
  startWhen?: Promise<void>;
  /** Awaited before background slice k (k ≥ 1) is read: tests hold the load at a known point with it. */
  beforeSlice?: (k: number) => Promise<void> | void;
}

/** Row counts per series and event-list lengths once a slice is in: slice k's block is marks[k-1] → marks[k]. */
interface Mark {
  rows: Map<string, number>;
  events: Record<keyof Events, number>;
  start: number;
  end: number;
  messages: number;
}

export interface SliceHeader {
  k: number;
  /** True on the last slice: after it, the page holds the whole recording (or all of it that could be read). */
  done: boolean;
  /** The page must drop what it holds and load the full snapshot (the final sort moved rows). */
  reload?: boolean;
  error?: string;
  complete: boolean;
  start: number;
  end: number;
  messages: number;
  layout: ReturnType<typeof packRows>['layout'];
  events: Events;
  otherTopics: Record<string, number>;
}

export class ProgressiveView {
  readonly path: string;
  readonly id: string;
  /** The snapshot after slice 0: served while loading, and kept so a page's meta and blobs always match. */
  readonly first: ViewData;
  full: ViewData | null = null;
  error: string | undefined;
  /** Slice boundaries (ns): slice k holds logTime in [bounds[k], bounds[k+1]); the last one is open-ended. */
  readonly #bounds: bigint[];
  readonly #ingest = new Ingest([]);
  readonly #counter = { count: 0 };
  readonly #marks: Mark[] = [];
  readonly #opts: ProgressiveOptions;
  readonly #robot: RobotPart;
  #rec: Recording;
  #reordered = false;
  #stopped = false;
  #waiters: (() => void)[] = [];
  readonly #t0 = performance.now();
  readonly fileEnd: number;

  constructor(path: string, id: string, opts: ProgressiveOptions = {}) {
    this.path = path;
    this.id = id;
    this.#opts = opts;
    const chunks = listChunks(path);
    const firstNs = BigInt(Math.round((opts.firstWindowS ?? FIRST_WINDOW_S) * 1e9));
    let sliceNs = BigInt(Math.max(1, Math.round((opts.sliceS ?? SLICE_S) * 1e9)));
    const maxNs = BigInt(Math.max(1, Math.round(Math.max(opts.maxSliceS ?? MAX_SLICE_S, opts.sliceS ?? 0) * 1e9)));
    if (chunks.length === 0) {
      // No chunks (messages outside chunks, or none): one slice, the whole file.
      this.#bounds = [0n];
      this.fileEnd = 0;
    } else {
      let lo = chunks[0]!.messageStartTime;
      let hi = chunks[0]!.messageEndTime;
      for (const c of chunks) {
        if (c.messageStartTime < lo) lo = c.messageStartTime;
        if (c.messageEndTime > hi) hi = c.messageEndTime;
      }
      this.fileEnd = Number(hi) / 1e9;
      this.#bounds = [0n];
      for (let b = lo + firstNs; b <= hi; b += sliceNs, sliceNs = sliceNs * 2n > maxNs ? maxNs : sliceNs * 2n) this.#bounds.push(b);
    }
    this.#rec = this.#readSlice(0);
    this.#robot = robotFor(this.#rec, id, opts.robotDir);
    this.first = this.#snapshot('first');
    if (this.done) this.#finish();
    else setImmediate(() => void this.#background());
  }

  get done(): boolean {
    return this.#stopped || this.error !== undefined || this.#marks.length === this.#bounds.length;
  }

  /** The snapshot a page should start from: the full one once loaded. */
  current(): ViewData {
    return this.full ?? this.first;
  }

  /** Stop reading (server closing). */
  stop(): void {
    this.#stopped = true;
    this.#wake();
  }

  /** Slice k's block of new rows, once it is read: [u32 LE JSON length][JSON header][pad to 8][packed rows]. */
  async slice(k: number): Promise<Buffer> {
    while (this.#marks.length <= k && !this.done) await new Promise<void>((r) => this.#waiters.push(r));
    const last = this.#marks.length - 1;
    if (k > last || k < 1 || this.#reordered) {
      // Past the end (the load stopped early), or rows moved: nothing to append.
      return frame(this.#header(k, true, { layout: [], buffer: new ArrayBuffer(0) }, null), new ArrayBuffer(0));
    }
    const prev = this.#marks[k - 1]!;
    const cur = this.#marks[k]!;
    const list: { s: Series; from: number; to: number }[] = [];
    for (const [name, to] of cur.rows) {
      const from = prev.rows.get(name) ?? 0;
      if (to > from) list.push({ s: this.#ingest.series.get(name)!, from, to });
    }
    const packed = packRows(list);
    return frame(this.#header(k, k === last && this.done, packed, { prev, cur }), packed.buffer);
  }

  #header(k: number, done: boolean, packed: ReturnType<typeof packRows>, span: { prev: Mark; cur: Mark } | null): SliceHeader {
    const ev = this.#ingest.events;
    const cut = (key: keyof Events): Events[keyof Events] => (span ? ev[key].slice(span.prev.events[key], span.cur.events[key]) : []);
    const m = span?.cur ?? this.#marks[this.#marks.length - 1]!;
    const h: SliceHeader = {
      k,
      done,
      complete: this.#rec.complete,
      start: m.start,
      end: m.end,
      messages: m.messages,
      layout: packed.layout,
      events: { safety: cut('safety'), episode: cut('episode'), dr: cut('dr'), scene: cut('scene') },
      otherTopics: Object.fromEntries(this.#ingest.other),
    };
    if (done && this.#reordered) h.reload = true;
    if (done && this.error) h.error = this.error;
    return h;
  }

  #readSlice(k: number): Recording {
    const a = this.#bounds[k]!;
    const b = this.#bounds[k + 1];
    const feed = ingestInto(this.#ingest, this.#counter);
    // The reader's window is in seconds (a float): widen it by 1 ms and cut exactly on logTime here.
    const range: [number, number] = [Math.max(0, Number(a) / 1e9 - 1e-3), b === undefined ? Infinity : Number(b) / 1e9 + 1e-3];
    let rec: Recording;
    try {
      rec = readRecording(this.path, {
        timeRange: this.#bounds.length === 1 ? undefined : range,
        onMessage: (m, ch) => {
          if (m.logTime >= a && (b === undefined || m.logTime < b)) feed(m, ch);
        },
      });
    } catch (e) {
      if (k === 0) throw e; // nothing to show: the page gets the error as today
      this.error = (e as Error).message;
      rec = this.#rec;
    }
    if (rec.error) this.error = rec.error;
    this.#mark();
    return rec;
  }

  #mark(): void {
    const g = this.#ingest;
    this.#marks.push({
      rows: new Map([...g.series].map(([name, s]) => [name, s.n])),
      events: { safety: g.events.safety.length, episode: g.events.episode.length, dr: g.events.dr.length, scene: g.events.scene.length },
      start: Number.isFinite(g.start) ? g.start : 0,
      end: Number.isFinite(g.end) ? g.end : 0,
      messages: this.#counter.count,
    });
  }

  #snapshot(v: 'first' | 'full'): ViewData {
    const d = packView(this.path, this.id, this.#rec, this.#ingest, this.#robot, this.#counter.count);
    if (this.error) d.meta.error = this.error;
    Object.assign(d.meta, { v, loading: v === 'first' && !this.done, slices: this.#marks.length, fileEnd: this.fileEnd, loadMs: Math.round(performance.now() - this.#t0) });
    return d;
  }

  async #background(): Promise<void> {
    await this.#opts.startWhen;
    for (let k = 1; k < this.#bounds.length && !this.done; k++) {
      await this.#opts.beforeSlice?.(k);
      if (this.#stopped) return;
      this.#rec = this.#readSlice(k);
      if (this.done) this.#finish();
      this.#wake();
      // One slice per turn of the event loop: page requests are answered between slices.
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  #finish(): void {
    if (this.full) return;
    this.#reordered = finishIngest(this.#ingest);
    this.full = this.#snapshot('full');
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const r of w) r();
  }
}

function frame(h: SliceHeader, body: ArrayBuffer): Buffer {
  const json = Buffer.from(JSON.stringify(h));
  const pad = (8 - ((4 + json.length) % 8)) % 8;
  const head = Buffer.alloc(4 + json.length + pad, 0x20); // JSON padded with spaces: still valid JSON
  head.writeUInt32LE(json.length + pad, 0);
  json.copy(head, 4);
  return Buffer.concat([head, Buffer.from(body)]);
}
