/**
 * What each size lever of the recording format gives, in MB per minute of Go1 at 500 Hz (issue 18's ≤ 5 goal).
 *
 *   npx tsx packages/recording/bench/levers.ts [--source file.mcap] [--fresh]
 *
 * The source is bench:viewer's rollout recorded as JSON at 1e-6 (format 1's precision; recorded here if absent).
 * Its messages are replayed through the Recorder once per variant — format 2 (message indexes, fine quanta, every
 * command), then one lever at a time up to format 3 (the default), then the levers not taken — and each file's
 * size and the Recorder's CPU time are printed. Last line: {"bench":"recording-levers","mb_per_min":{…},…}.
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '@s2r/core';
import { readRecording, type RecordedMessage } from '../src/reader.ts';
import { Recorder, type RecorderOptions } from '../src/recorder.ts';
import { TOPICS } from '../src/topics.ts';
import { recordGo1Rollout } from '../../viewer/src/testing/go1-rollout.ts';
import { GO1_URDF } from '../../../test/helpers/robots.ts';

const args = parseArgs(process.argv.slice(2), { values: ['source'], booleans: ['fresh'] });
const dir = join(tmpdir(), 's2r-bench-viewer');
mkdirSync(dir, { recursive: true });
const source = args.str('source', join(dir, 'go1-60s-500hz-json.mcap'));
if (!args.has('source') && (args.has('fresh') || !existsSync(source))) {
  console.error(`recording 60 s of Go1 at 500 Hz as JSON → ${source}`);
  await recordGo1Rollout(`${source}.part`, { urdfPath: GO1_URDF, seconds: 60, dt: 0.002, decimation: 10, poseEvery: 10, seed: 1, overwrite: true, encoding: 'json', compression: 'none' });
  renameSync(`${source}.part`, source);
}
const src = readRecording(source);
if (!src.robot) throw new Error(`${source}: no embedded robot (robot.urdf attachment)`);
const minutes = (src.endTime - src.startTime) / 60;

/** Replay every message of the source through a Recorder with `opts`; returns MB per minute and Recorder CPU s. */
async function variant(name: string, opts: RecorderOptions): Promise<[number, number]> {
  const path = join(dir, `levers-${name}.mcap`);
  rmSync(path, { force: true });
  const c0 = process.cpuUsage();
  const rec = await Recorder.open(path, { robot: { name: src.robot!.name, urdf: src.robot!.urdf, actuatedJoints: src.robot!.jointNames }, meta: src.meta, ...opts });
  for (const m of src.messages) replay(rec, m);
  await rec.close();
  const c = process.cpuUsage(c0);
  const mb = statSync(path).size / 1e6 / minutes;
  rmSync(path);
  console.error(`${name}: ${mb.toFixed(2)} MB/min`);
  return [Number(mb.toFixed(3)), Number(((c.user + c.system) / 1e6).toFixed(2))];
}

function replay(rec: Recorder, m: RecordedMessage): void {
  const t = m.logTime;
  const d = m.data;
  switch (m.topic) {
    case TOPICS.jointState: return rec.jointState(t, { names: d.name, position: d.position, velocity: d.velocity, effort: d.effort });
    case TOPICS.command: return rec.command(t, { names: d.name, mode: d.mode, position: d.position, velocity: d.velocity, effort: d.effort, kp: d.kp, kd: d.kd });
    case TOPICS.timing: return rec.timing(t, d);
    case TOPICS.action: return rec.action(t, d.action);
    case TOPICS.rewardTerms: return rec.rewardTerms(t, d.terms, d.total);
    case TOPICS.contacts: return rec.contacts(t, d.contacts.map((c: { link: string; in_contact: boolean; force: number[]; point?: number[] }) => ({ link: c.link, inContact: c.in_contact, force: c.force, point: c.point })));
    case TOPICS.velocityCommand: return rec.velocityCommand(t, d);
    case TOPICS.episode: return rec.episode(t, d);
    case TOPICS.scene: return rec.scene(t, d);
    case TOPICS.domainRandomization: return rec.domainRandomization(t, d.values, d.episode);
    case TOPICS.safety: return rec.safety(t, d);
    case TOPICS.linkPoses: {
      const tf = d.transforms as { child_frame_id: string; translation: Record<'x' | 'y' | 'z', number>; rotation: Record<'x' | 'y' | 'z' | 'w', number> }[];
      return rec.linkPoses(t, tf.map((x) => x.child_frame_id), tf.flatMap((x) => [x.translation.x, x.translation.y, x.translation.z, x.rotation.x, x.rotation.y, x.rotation.z, x.rotation.w]));
    }
    default: throw new Error(`${source}: no replay for topic ${m.topic}`);
  }
}

const format2: RecorderOptions = { messageIndexes: true, quanta: 'fine', holdRepeatedCommands: false };
const steps: [string, RecorderOptions][] = [
  ['format2', format2],
  ['no_indexes', { ...format2, messageIndexes: false }],
  ['no_indexes+sensor_quanta', { ...format2, messageIndexes: false, quanta: 'sensor' }],
  ['format3', {}], // + repeated commands held back: the default
  ['format3+indexes', { messageIndexes: true }],
  ['format3+zstd16', { zstdLevel: 16 }],
  ['format3+zstd19', { zstdLevel: 19 }],
  ['format3+chunks_4MiB_8s', { chunkBytes: 4 << 20, chunkSeconds: 8 }],
];
const mb: Record<string, number> = {};
const cpu: Record<string, number> = {};
for (const [name, opts] of steps) [mb[name], cpu[name]] = await variant(name, opts);
console.log(JSON.stringify({ bench: 'recording-levers', source, minutes: Number(minutes.toFixed(3)), messages: src.messages.length, mb_per_min: mb, recorder_cpu_s: cpu, load_avg_1m: Number(loadavg()[0]!.toFixed(1)) }));
