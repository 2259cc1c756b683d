/**
 * A recording prepared for the page: JSON metadata (robot, events, series layout) plus one binary blob of
 * columnar series. Converting once on the server keeps the page's first frame fast: it receives typed
 * arrays instead of parsing tens of thousands of JSON messages.
 */
import { basename } from 'node:path';
import { readRecording, type Recording } from '@s2r/recording/reader.ts';
import { Ingest } from '../data/ingest.ts';
import { packSeries, type SeriesLayout } from '../data/series.ts';
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
  let count = 0;
  const ingest = new Ingest([]);
  const rec: Recording = readRecording(path, {
    onMessage: (m, ch) => {
      count++;
      // Default joint order: the channel's joint_names metadata (written with its first message).
      if (ingest.jointNames.length === 0 && ch.metadata.joint_names) ingest.jointNames = JSON.parse(ch.metadata.joint_names);
      ingest.add(m.topic, m.t, m.data);
    },
  });
  const jointNames = ingest.jointNames.length ? ingest.jointNames : (rec.robot?.jointNames ?? []);
  // Series must be time-sorted for binary search; files from one writer are, but be safe.
  for (const s of ingest.series.values()) {
    const t = s.times();
    for (let i = 1; i < t.length; i++)
      if (t[i]! < t[i - 1]!) {
        sortSeries(s);
        break;
      }
  }
  ingest.events.episode.sort((a, b) => a.t - b.t);
  const meshes = meshTable();
  let robot: RobotJson | null = null;
  let robotError: string | undefined;
  if (rec.robot) {
    try {
      const model = parseRecordedRobot(rec.robot.urdf, { urdfPath: rec.robot.urdfPath, robotDir: opts.robotDir });
      robot = robotToJson(model, meshes, `/mesh/${id}`);
    } catch (e) {
      robotError = (e as Error).message;
    }
  } else robotError = 'this recording has no embedded URDF (robot.urdf attachment)';
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
    robot,
    jointNames,
    layout,
    layoutRest: rest.layout,
    events: ingest.events,
    otherTopics: Object.fromEntries(ingest.other),
    messages: count,
    bytes: rec.bytesTotal,
    loadMs: 0,
  };
  if (rec.error) meta.error = rec.error;
  if (robotError) meta.robotError = robotError;
  meta.loadMs = Math.round(performance.now() - t0);
  return { meta, blob: Buffer.from(buffer), rest: Buffer.from(rest.buffer), meshes, path };
}

function sortSeries(s: import('../data/series.ts').Series): void {
  const n = s.n;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => s.t[a]! - s.t[b]!);
  const t = Float64Array.from(order, (i) => s.t[i]!);
  s.t.set(t);
  for (const [k, c] of s.cols) {
    const v = Float32Array.from(order, (i) => c[i]!);
    s.cols.get(k)!.set(v);
  }
}
