/**
 * Columnar demonstration storage (see FORMAT.md): demos/index.json + one little-endian binary file per column.
 * Loading validates every column's size against the index and fails naming the file that is wrong.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DemoDataset, DemoMeta, DemoStats, EpisodeEntry } from './dataset.ts';

export const DEMOS_FORMAT = 's2r.demos';
export const DEMOS_VERSION = 1;

type Dtype = 'float32' | 'uint8' | 'int32';
interface ColumnEntry {
  file: string;
  dtype: Dtype;
  /** [rows] or [rows, width]. */
  shape: number[];
}

export interface DemoIndex {
  format: typeof DEMOS_FORMAT;
  version: number;
  meta: DemoMeta;
  rows: number;
  episodes: EpisodeEntry[];
  /** Success rate and mean length over all episodes (what the collector saw). */
  summary: { episodes: number; successes: number; successRate: number; meanLength: number };
  columns: Record<string, ColumnEntry>;
  /** Normalization statistics over the rows of *successful* episodes (what training uses by default). */
  stats: DemoStats;
}

const COLUMNS: { key: keyof DemoDataset; name: string; dtype: Dtype; width: (d: DemoDataset) => number }[] = [
  { key: 'obs', name: 'obs', dtype: 'float32', width: (d) => d.meta.obsDim },
  { key: 'action', name: 'action', dtype: 'float32', width: (d) => d.meta.actDim },
  { key: 'expertAction', name: 'expert_action', dtype: 'float32', width: (d) => d.meta.actDim },
  { key: 'reward', name: 'reward', dtype: 'float32', width: () => 1 },
  { key: 'terminated', name: 'terminated', dtype: 'uint8', width: () => 1 },
  { key: 'truncated', name: 'truncated', dtype: 'uint8', width: () => 1 },
  { key: 'episode', name: 'episode', dtype: 'int32', width: () => 1 },
  { key: 'step', name: 'step', dtype: 'int32', width: () => 1 },
];

const EXT: Record<Dtype, string> = { float32: 'f32', uint8: 'u8', int32: 'i32' };
const BYTES: Record<Dtype, number> = { float32: 4, uint8: 1, int32: 4 };
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export function saveDemos(dir: string, d: DemoDataset): DemoIndex {
  if (!littleEndian) throw new Error('saveDemos: big-endian hosts are not supported (the format is little-endian)');
  mkdirSync(dir, { recursive: true });
  const rows = d.obs.length / d.meta.obsDim;
  const columns: Record<string, ColumnEntry> = {};
  for (const c of COLUMNS) {
    const arr = d[c.key] as Float32Array | Uint8Array | Int32Array;
    const w = c.width(d);
    if (arr.length !== rows * w) throw new Error(`saveDemos: column ${c.name} has ${arr.length} values, expected ${rows}×${w}`);
    const file = `${c.name}.${EXT[c.dtype]}`;
    writeFileSync(join(dir, file), new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
    columns[c.name] = { file, dtype: c.dtype, shape: w === 1 ? [rows] : [rows, w] };
  }
  const successes = d.episodes.filter((e) => e.success).length;
  const index: DemoIndex = {
    format: DEMOS_FORMAT,
    version: DEMOS_VERSION,
    meta: d.meta,
    rows,
    episodes: d.episodes,
    summary: {
      episodes: d.episodes.length,
      successes,
      successRate: d.episodes.length ? successes / d.episodes.length : 0,
      meanLength: d.episodes.length ? d.episodes.reduce((a, e) => a + e.length, 0) / d.episodes.length : 0,
    },
    columns,
    stats: d.stats,
  };
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index, null, 1));
  return index;
}

export function loadDemos(dir: string): DemoDataset {
  const ip = join(dir, 'index.json');
  if (!existsSync(ip)) throw new Error(`loadDemos: ${ip} not found (is "${dir}" a demos folder written by \`s2r collect\`?)`);
  const index = JSON.parse(readFileSync(ip, 'utf8')) as DemoIndex;
  if (index.format !== DEMOS_FORMAT) throw new Error(`loadDemos: ${ip}: format is "${index.format}", expected "${DEMOS_FORMAT}"`);
  if (index.version !== DEMOS_VERSION) throw new Error(`loadDemos: ${ip}: version ${index.version} is not supported (this build reads ${DEMOS_VERSION})`);
  const out: Partial<DemoDataset> = { meta: index.meta, episodes: index.episodes, stats: index.stats };
  for (const c of COLUMNS) {
    const e = index.columns[c.name];
    if (!e) throw new Error(`loadDemos: ${ip}: column "${c.name}" missing from the index`);
    const fp = join(dir, e.file);
    if (!existsSync(fp)) throw new Error(`loadDemos: column file ${fp} not found`);
    const buf = readFileSync(fp);
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (buf.byteLength !== n * BYTES[e.dtype]) throw new Error(`loadDemos: ${fp} has ${buf.byteLength} bytes, index says ${e.shape.join('×')} ${e.dtype} (${n * BYTES[e.dtype]} bytes)`);
    if (e.shape[0] !== index.rows) throw new Error(`loadDemos: ${fp}: ${e.shape[0]} rows, index says ${index.rows}`);
    const copy = new Uint8Array(buf.byteLength);
    copy.set(buf);
    const arr = e.dtype === 'float32' ? new Float32Array(copy.buffer) : e.dtype === 'int32' ? new Int32Array(copy.buffer) : copy;
    (out as Record<string, unknown>)[c.key] = arr;
  }
  let rowsSeen = 0;
  for (const ep of index.episodes) {
    if (ep.start !== rowsSeen) throw new Error(`loadDemos: ${ip}: episode ${ep.index} starts at row ${ep.start}, expected ${rowsSeen} (episodes must be contiguous)`);
    rowsSeen += ep.length;
  }
  if (rowsSeen !== index.rows) throw new Error(`loadDemos: ${ip}: episodes cover ${rowsSeen} rows, index says ${index.rows}`);
  return out as DemoDataset;
}
