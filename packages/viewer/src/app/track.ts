/**
 * One recording in the page (a file, or the live stream): its series, events and robot, with sampling at an
 * arbitrary time t (s since the recording start). Poses and joint positions are interpolated between samples
 * (linear / normalised-lerp), so at a recorded sample time they are exactly the recorded values.
 */
import { buildKinTree, forwardKinematics, type KinTree } from '../kinematics.ts';
import { Series, unpackSeries, type SeriesLayout } from '../data/series.ts';
import { Ingest, type Events } from '../data/ingest.ts';
import type { RobotJson } from '../server/robot-json.ts';
import type { SliceHeader } from '../server/progressive.ts';
import { episodeSpans, type EpisodeSpan } from './episodes.ts';

export interface TrackMeta {
  id: string;
  name: string;
  start: number;
  end: number;
  complete: boolean;
  error?: string;
  meta: Record<string, string>;
  robot: RobotJson | null;
  robotError?: string;
  jointNames: string[];
  layout: SeriesLayout[];
  layoutRest?: SeriesLayout[];
  events: Events;
  /** Progressive load (server/progressive.ts): more slices follow; `slices` are in this snapshot; `v` names it. */
  loading?: boolean;
  slices?: number;
  v?: 'first' | 'full';
  fileEnd?: number;
}

const POSE_FIELDS = ['x', 'y', 'z', 'qx', 'qy', 'qz', 'qw'] as const;

export class Track {
  meta: TrackMeta;
  series: Map<string, Series>;
  events: Events;
  kin: KinTree | null;
  /** Live tracks append through this. */
  ingest: Ingest | null = null;
  poses: Float64Array;
  #poseCols = new Map<string, Float32Array[]>();
  #scratch = new Float64Array(7);
  #episodes = { n: -1, spans: [] as EpisodeSpan[] };

  constructor(meta: TrackMeta, series: Map<string, Series>, events: Events) {
    this.meta = meta;
    this.series = series;
    this.events = events;
    this.kin = meta.robot ? buildKinTree(meta.robot) : null;
    this.poses = new Float64Array((this.kin?.nodes.length ?? 0) * 7);
  }

  static fromBinary(meta: TrackMeta, buffer: ArrayBuffer): Track {
    return new Track(meta, unpackSeries(meta.layout, buffer), meta.events);
  }

  /**
   * The recording's episodes (episodes.ts), for the timeline and the info box alike: worked out again only when
   * episode events were added (progressive load, live).
   */
  get episodes(): readonly EpisodeSpan[] {
    const e = this.#episodes;
    if (e.n !== this.events.episode.length) Object.assign(e, { n: this.events.episode.length, spans: episodeSpans(this.events.episode) });
    return e.spans;
  }

  /** Add the series that were not needed for posing (downloaded after the first frame). */
  addRest(buffer: ArrayBuffer): void {
    for (const [k, s] of unpackSeries(this.meta.layoutRest ?? [], buffer)) this.series.set(k, s);
  }

  /** Append a progressive-load slice: the next rows of each series, new events, the grown time span. */
  appendSlice(h: SliceHeader, body: ArrayBuffer): void {
    for (const l of h.layout) {
      let s = this.series.get(l.name);
      if (!s) this.series.set(l.name, (s = new Series(l.name)));
      s.appendPacked(l, body);
    }
    for (const k of ['safety', 'episode', 'dr', 'scene'] as const) this.events[k].push(...h.events[k]);
    this.meta.start = h.start;
    this.meta.end = h.end;
    this.meta.complete = h.complete;
    if (h.error) this.meta.error = h.error;
  }

  /** Resolves when every series is present (file tracks fetch theirs in two parts). */
  complete: Promise<void> = Promise.resolve();

  static live(meta: TrackMeta): Track {
    const ingest = new Ingest(meta.jointNames);
    const t = new Track(meta, ingest.series, ingest.events);
    t.ingest = ingest;
    return t;
  }

  get start(): number {
    return this.ingest ? (Number.isFinite(this.ingest.start) ? this.ingest.start : 0) : this.meta.start;
  }

  get end(): number {
    return this.ingest ? (Number.isFinite(this.ingest.end) ? this.ingest.end : 0) : this.meta.end;
  }

  /** Interpolated value of a series field at t; NaN when the series is absent or empty. */
  value(series: string, field: string, t: number): number {
    const s = this.series.get(series);
    if (!s || s.n === 0) return Number.NaN;
    const c = s.cols.get(field);
    if (!c) return Number.NaN;
    const i = s.indexAt(t);
    if (i < 0) return c[0]!;
    if (i >= s.n - 1) return c[i]!;
    const t0 = s.t[i]!;
    const t1 = s.t[i + 1]!;
    const a = t1 > t0 ? (t - t0) / (t1 - t0) : 0;
    const v0 = c[i]!;
    if (a === 0) return v0;
    const v1 = c[i + 1]!;
    return Number.isFinite(v1) ? v0 + (v1 - v0) * a : v0;
  }

  /** Last value at or before t (sample-and-hold), for discrete signals like contact flags. */
  held(series: string, field: string, t: number): number {
    const s = this.series.get(series);
    const c = s?.cols.get(field);
    if (!s || !c || s.n === 0) return Number.NaN;
    const i = s.indexAt(t);
    return c[Math.max(i, 0)]!;
  }

  /** Recorded world pose of a frame at t (interpolated), or null when the recording has none for it. */
  recordedPose(frame: string, t: number, out: Float64Array = this.#scratch): Float64Array | null {
    const s = this.#tfSeries(frame);
    if (!s || s.n === 0) return null;
    let cols = this.#poseCols.get(frame);
    if (!cols || cols[0] !== s.cols.get('x')) {
      cols = POSE_FIELDS.map((f) => s.col(f));
      this.#poseCols.set(frame, cols);
    }
    let i = s.indexAt(t);
    if (i < 0) i = 0;
    const j = Math.min(i + 1, s.n - 1);
    const t0 = s.t[i]!;
    const t1 = s.t[j]!;
    const a = j > i && t > t0 && t1 > t0 ? Math.min((t - t0) / (t1 - t0), 1) : 0;
    for (let k = 0; k < 7; k++) out[k] = cols[k]![i]!;
    if (a > 0) {
      for (let k = 0; k < 3; k++) out[k] = out[k]! + (cols[k]![j]! - out[k]!) * a;
      // nlerp on the shorter arc
      let dot = 0;
      for (let k = 3; k < 7; k++) dot += out[k]! * cols[k]![j]!;
      const sign = dot < 0 ? -1 : 1;
      let n = 0;
      for (let k = 3; k < 7; k++) {
        out[k] = out[k]! * (1 - a) + sign * cols[k]![j]! * a;
        n += out[k]! * out[k]!;
      }
      n = Math.sqrt(n) || 1;
      for (let k = 3; k < 7; k++) out[k] = out[k]! / n;
    }
    for (let k = 0; k < 7; k++) if (!Number.isFinite(out[k]!)) return null;
    // A zero or garbage quaternion (e.g. written before the first state arrived) is no pose: fall back to FK.
    const qn = Math.hypot(out[3]!, out[4]!, out[5]!, out[6]!);
    if (!(qn > 0.5 && qn < 2)) return null;
    if (Math.abs(qn - 1) > 1e-6) for (let k = 3; k < 7; k++) out[k] = out[k]! / qn;
    return out;
  }

  /** The `tf:<frame>` series, without building that key every frame (the cache resets when series are added). */
  #tfSeries(frame: string): Series | undefined {
    if (this.#tfKeysFor !== this.series.size) {
      this.#tfKeys.clear();
      this.#tfKeysFor = this.series.size;
    }
    let s = this.#tfKeys.get(frame);
    if (s === undefined) {
      s = this.series.get(`tf:${frame}`) ?? null;
      this.#tfKeys.set(frame, s);
    }
    return s ?? undefined;
  }
  #tfKeys = new Map<string, Series | null>();
  #tfKeysFor = -1;

  /** World poses of every kinematic node at t: recorded poses where present, forward kinematics elsewhere. */
  computePoses(t: number): Float64Array {
    if (!this.kin) return this.poses;
    if (this.poses.length !== this.kin.nodes.length * 7) this.poses = new Float64Array(this.kin.nodes.length * 7);
    this.#fkT = t;
    forwardKinematics(this.kin, this.#jointAt, this.#poseAt, this.poses);
    return this.poses;
  }

  // The callbacks forwardKinematics calls, made once (not two closures and a scratch array per frame).
  #fkT = 0;
  #fkScratch = new Float64Array(7);
  #jointAt = (j: string): number => this.value('joint_pos', j, this.#fkT);
  #poseAt = (link: string): Float64Array | null => this.recordedPose(link, this.#fkT, this.#fkScratch);

  /** Sample times of the densest pose-driving series (for frame stepping). */
  frameTimes(): Float64Array {
    let best: Series | undefined;
    for (const [k, s] of this.series) if ((k === 'joint_pos' || k.startsWith('tf:')) && (!best || s.n > best.n)) best = s;
    return best ? best.times() : new Float64Array(0);
  }

  /** Names of frames with recorded poses. */
  tfFrames(): string[] {
    return [...this.series.keys()].filter((k) => k.startsWith('tf:')).map((k) => k.slice(3));
  }
}
