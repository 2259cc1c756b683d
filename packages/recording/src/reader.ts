/**
 * Reading s2r recordings back: zstd or uncompressed chunks, protobuf or JSON messages (so recordings from before
 * protobuf, and files from other tools, read the same way). Tolerates files cut short by a crash: it streams records from the start and
 * stops at the first incomplete one (a chunk half-written when the process was killed), so a file without
 * its summary and footer reads back up to its last complete chunk. Chunk CRCs are checked; a CRC mismatch
 * ends reading at that chunk and is reported in `error`.
 */
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { McapStreamReader } from '@mcap/core';
import { META_RECORD, URDF_ATTACHMENT } from './topics.ts';
import { protoDecoder } from './proto.ts';
import { DECOMPRESS_HANDLERS } from './zstd.ts';

export interface RecordedChannel {
  id: number;
  topic: string;
  schemaName: string;
  messageEncoding: string;
  metadata: Record<string, string>;
}

export interface RecordedMessage {
  topic: string;
  channelId: number;
  logTime: bigint;
  /** Seconds since the start of the recording (logTime / 1e9). */
  t: number;
  /** Decoded body: parsed JSON or decoded protobuf, as a plain object (raw bytes for other encodings or `parse: false`). */
  data: any;
}

export interface Recording {
  path: string;
  /** True when DataEnd, summary and footer were read: the writer closed the file normally. */
  complete: boolean;
  /** Why reading stopped early, if it did (e.g. a CRC mismatch); a merely truncated file has no error. */
  error?: string;
  /** Bytes of the file that were parsed into complete records. */
  bytesRead: number;
  bytesTotal: number;
  profile: string;
  library: string;
  /** The `s2r` metadata record (recording-level facts: robot_name, urdf_path, task, seed, policy, ...). */
  meta: Record<string, string>;
  metadata: { name: string; metadata: Record<string, string> }[];
  attachments: { name: string; mediaType: string; data: Uint8Array }[];
  /** The embedded robot, if any. */
  robot?: { name: string; urdf: string; urdfPath?: string; robotRoot?: string; jointNames?: string[] };
  channels: RecordedChannel[];
  /** Sorted by logTime (stable: equal times keep file order). */
  messages: RecordedMessage[];
  startTime: number;
  endTime: number;
}

export interface ReadOptions {
  /** Only keep messages of these topics. */
  topics?: readonly string[];
  /** Decode message bodies (JSON and protobuf; default true). */
  parse?: boolean;
  /** Visit each message instead of collecting them (then `messages` is empty). */
  onMessage?: (m: RecordedMessage, channel: RecordedChannel) => void;
}

const READ_BLOCK = 4 * 1024 * 1024;

export function readRecording(path: string, opts: ReadOptions = {}): Recording {
  const parse = opts.parse ?? true;
  const topicFilter = opts.topics ? new Set(opts.topics) : null;
  const reader = new McapStreamReader({ validateCrcs: true, decompressHandlers: DECOMPRESS_HANDLERS });
  const channels = new Map<number, RecordedChannel>();
  const schemas = new Map<number, { name: string; encoding: string; data: Uint8Array }>();
  const decoders = new Map<number, (data: Uint8Array) => unknown>();
  const messages: RecordedMessage[] = [];
  const metadata: Recording['metadata'] = [];
  const attachments: Recording['attachments'] = [];
  const dec = new TextDecoder();
  let profile = '';
  let library = '';
  let complete = false;
  let error: string | undefined;
  let sawFooter = false;
  let sawDataEnd = false;
  let start = Infinity;
  let end = -Infinity;

  const fd = openSync(path, 'r');
  const total = fstatSync(fd).size;
  let offset = 0;
  try {
    const buf = new Uint8Array(READ_BLOCK);
    outer: while (offset < total) {
      const n = readSync(fd, buf, 0, READ_BLOCK, offset);
      if (n <= 0) break;
      offset += n;
      reader.append(buf.subarray(0, n));
      for (;;) {
        let rec;
        try {
          rec = reader.nextRecord();
        } catch (e) {
          error = `${path}: ${(e as Error).message} (at or after byte ${offset - n - reader.bytesRemaining()})`;
          break outer;
        }
        if (!rec) break;
        switch (rec.type) {
          case 'Header':
            profile = rec.profile;
            library = rec.library;
            break;
          case 'Schema':
            if (!schemas.has(rec.id)) schemas.set(rec.id, { name: rec.name, encoding: rec.encoding, data: rec.data.slice() });
            break;
          case 'Channel':
            if (!channels.has(rec.id)) {
              const schema = schemas.get(rec.schemaId);
              channels.set(rec.id, {
                id: rec.id,
                topic: rec.topic,
                schemaName: schema?.name ?? '',
                messageEncoding: rec.messageEncoding,
                metadata: Object.fromEntries(rec.metadata),
              });
              if (parse && rec.messageEncoding === 'protobuf' && schema?.encoding === 'protobuf') {
                try {
                  decoders.set(rec.id, protoDecoder(schema.name, schema.data));
                } catch (e) {
                  throw new Error(`${path}: channel ${rec.topic}: protobuf schema ${schema.name} does not load: ${(e as Error).message}`);
                }
              }
            }
            break;
          case 'Message': {
            if (sawDataEnd) break;
            const ch = channels.get(rec.channelId)!;
            if (topicFilter && !topicFilter.has(ch.topic)) break;
            const t = Number(rec.logTime) / 1e9;
            let data: unknown = rec.data;
            const decode = decoders.get(rec.channelId);
            if (decode) {
              try {
                data = decode(rec.data);
              } catch (e) {
                throw new Error(`${path}: message on ${ch.topic} at t=${t}s is not a valid ${ch.schemaName}: ${(e as Error).message}`);
              }
            } else if (parse && ch.messageEncoding === 'json') {
              try {
                data = JSON.parse(dec.decode(rec.data));
              } catch (e) {
                throw new Error(`${path}: message on ${ch.topic} at t=${t}s is not valid JSON: ${(e as Error).message}`);
              }
            }
            const m: RecordedMessage = { topic: ch.topic, channelId: rec.channelId, logTime: rec.logTime, t, data };
            if (t < start) start = t;
            if (t > end) end = t;
            if (opts.onMessage) opts.onMessage(m, ch);
            else messages.push(m);
            break;
          }
          case 'Metadata':
            if (!sawDataEnd) metadata.push({ name: rec.name, metadata: Object.fromEntries(rec.metadata) });
            break;
          case 'Attachment':
            if (!sawDataEnd) attachments.push({ name: rec.name, mediaType: rec.mediaType, data: rec.data.slice() });
            break;
          case 'DataEnd':
            sawDataEnd = true;
            break;
          case 'Footer':
            sawFooter = true;
            break;
          default:
            break;
        }
      }
    }
    complete = sawDataEnd && sawFooter && reader.done();
  } finally {
    closeSync(fd);
  }

  // Files are written in time order by one writer, but several sources may interleave slightly.
  let sorted = true;
  for (let i = 1; i < messages.length; i++) if (messages[i]!.logTime < messages[i - 1]!.logTime) { sorted = false; break; }
  if (!sorted) messages.sort((a, b) => (a.logTime < b.logTime ? -1 : a.logTime > b.logTime ? 1 : 0));

  const meta = metadata.find((m) => m.name === META_RECORD)?.metadata ?? {};
  const urdfAtt = attachments.find((a) => a.name === URDF_ATTACHMENT);
  let robot: Recording['robot'];
  if (urdfAtt) {
    const urdf = dec.decode(urdfAtt.data);
    robot = { name: meta.robot_name ?? /<robot[^>]*name="([^"]*)"/.exec(urdf)?.[1] ?? 'robot', urdf };
    if (meta.urdf_path) robot.urdfPath = meta.urdf_path;
    if (meta.robot_root) robot.robotRoot = meta.robot_root;
    if (meta.joint_names) robot.jointNames = JSON.parse(meta.joint_names);
  }
  return {
    path,
    complete,
    error,
    bytesRead: offset - reader.bytesRemaining(),
    bytesTotal: total,
    profile,
    library,
    meta,
    metadata,
    attachments,
    robot,
    channels: [...channels.values()],
    messages,
    startTime: Number.isFinite(start) ? start : 0,
    endTime: Number.isFinite(end) ? end : 0,
  };
}
