/**
 * A recording prepared for the page: JSON metadata (robot, events, series layout) plus one binary blob of
 * columnar series. Converting once on the server keeps the page's first frame fast: it receives typed
 * arrays instead of parsing tens of thousands of JSON messages.
 */
import { basename } from 'node:path';
import { readRecording, type RecordedChannel, type RecordedMessage, type Recording } from '@s2r/recording/reader.ts';
import { Ingest } from '../data/ingest.ts';
import { packSeries, type Series, type SeriesLayout } from '../data/series.ts';
import { meshTable, parseRecordedRobot, robotToJson, type MeshTable, type RobotJson } from './robot-json.ts';

export interface ViewMeta {
  id: string;
  name: string;
  file: string;
  complete: boolean;
  error?: string;
  start: number;
  end: number;
  meta: Record<string, string>;
  robot: RobotJson | null;
  robotError?: string;
  jointNames: string[];
  /** Series needed to pose the robot (joint_pos, tf:*): the first download, so the first frame comes early. */
  layout: SeriesLayout[];
  /** Everything else (velocities, efforts, commands, actions, rewards, timing, contacts): fetched after. */
  layoutRest: SeriesLayout[];
  events: Ingest['events'];
  otherTopics: Record<string, number>;
  messages: number;
  bytes: number;
  loadMs: number;
  /**
   * Progressive load (serve.ts): true while the server is still reading the file; this snapshot then holds its
   * first `slices` slices and the page fetches the next ones from /api/rec/<id>/slice/<k>.
   */
  loading?: boolean;
  slices?: number;
  /** Which snapshot /data and /rest must be asked for (?v=…), so meta and blobs always match. */
  v?: 'first' | 'full';
  /** The file's last message time (s) from its chunk headers: where the timeline will end when loaded. */
  fileEnd?: number;
}

export interface ViewData {
  meta: ViewMeta;
  blob: Buffer;
  rest: Buffer;
  meshes: MeshTable;
  path: string;
}

export function prepareRecording(path: string, id: string, opts: { robotDir?: string } = {}): ViewData {
  const t0 = performance.now();
  const ingest = new Ingest([]);
  const counter = { count: 0 };
  const rec: Recording = readRecording(path, { onMessage: ingestInto(ingest, counter) });
  finishIngest(ingest);
  const v = packView(path, id, rec, ingest, robotFor(rec, id, opts.robotDir), counter.count);
  v.meta.loadMs = Math.round(performance.now() - t0);
  return v;
}

/** The onMessage callback that feeds a recording's messages into `ingest`, counting them in `counter`. */
export function ingestInto(ingest: Ingest, counter: { count: number }): (m: RecordedMessage, ch: RecordedChannel) => void {
  return (m, ch) => {
    counter.count++;
    // Default joint order: the channel's joint_names metadata (written with its first message).
    if (ingest.jointNames.length === 0 && ch.metadata.joint_names) ingest.jointNames = JSON.parse(ch.metadata.joint_names);
    ingest.add(m.topic, m.t, m.data);
  };
}

/** Time-sort every series and the episode events (files from one writer already are). True when anything moved. */
export function finishIngest(ingest: Ingest): boolean {
  let moved = false;
  for (const s of ingest.series.values()) {
    const t = s.times();
    for (let i = 1; i < t.length; i++)
      if (t[i]! < t[i - 1]!) {
        sortSeries(s);
        moved = true;
        break;
      }
  }
  const ep = ingest.events.episode;
  for (let i = 1; i < ep.length; i++)
    if (ep[i]!.t < ep[i - 1]!.t) {
      ep.sort((a, b) => a.t - b.t);
      moved = true;
      break;
    }
  return moved;
}

export interface RobotPart {
  robot: RobotJson | null;
  robotError?: string;
  meshes: MeshTable;
}

export function robotFor(rec: Recording, id: string, robotDir?: string): RobotPart {
  const meshes = meshTable();
  if (!rec.robot) return { robot: null, robotError: 'this recording has no embedded URDF (robot.urdf attachment)', meshes };
  try {
    const model = parseRecordedRobot(rec.robot.urdf, { urdfPath: rec.robot.urdfPath, robotDir });
    return { robot: robotToJson(model, meshes, `/mesh/${id}`), meshes };
  } catch (e) {
    return { robot: null, robotError: (e as Error).message, meshes };
  }
}

/** Meta + the two packed blobs (pose series first, the rest after) of what `ingest` holds now. */
export function packView(path: string, id: string, rec: Recording, ingest: Ingest, robot: RobotPart, messages: number): ViewData {
  const jointNames = ingest.jointNames.length ? ingest.jointNames : (rec.robot?.jointNames ?? []);
  const all = [...ingest.series.values()];
  const isPose = (name: string): boolean => name === 'joint_pos' || name.startsWith('tf:');
  const { layout, buffer } = packSeries(all.filter((x) => isPose(x.name)));
  const rest = packSeries(all.filter((x) => !isPose(x.name)));
  const meta: ViewMeta = {
    id,
    name: basename(path),
    file: path,
    complete: rec.complete,
    start: Number.isFinite(ingest.start) ? ingest.start : 0,
    end: Number.isFinite(ingest.end) ? ingest.end : 0,
    meta: rec.meta,
    robot: robot.robot,
    jointNames,
    layout,
    layoutRest: rest.layout,
    // A copy: a progressive load keeps appending to the ingest's lists after this snapshot.
    events: { safety: [...ingest.events.safety], episode: [...ingest.events.episode], dr: [...ingest.events.dr], scene: [...ingest.events.scene] },
    otherTopics: Object.fromEntries(ingest.other),
    messages,
    bytes: rec.bytesTotal,
    loadMs: 0,
  };
  if (rec.error) meta.error = rec.error;
  if (robot.robotError) meta.robotError = robot.robotError;
  return { meta, blob: Buffer.from(buffer), rest: Buffer.from(rest.buffer), meshes: robot.meshes, path };
}

function sortSeries(s: Series): void {
  const n = s.n;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => s.t[a]! - s.t[b]!);
  const t = Float64Array.from(order, (i) => s.t[i]!);
  s.t.set(t);
  for (const [k, c] of s.cols) {
    const v = Float32Array.from(order, (i) => c[i]!);
    s.cols.get(k)!.set(v);
  }
}
