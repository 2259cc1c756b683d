/**
 * Reading s2r recordings back: zstd or uncompressed chunks, protobuf or JSON messages (so recordings from before
 * protobuf, and files from other tools, read the same way). Tolerates files cut short by a crash: it streams records from the start and
 * stops at the first incomplete one (a chunk half-written when the process was killed), so a file without
 * its summary and footer reads back up to its last complete chunk. Chunk CRCs are checked; a CRC mismatch
 * ends reading at that chunk and is reported in `error`.
 *
 * A time window (`timeRange`) is read by hopping from record to record by their headers (opcode, length, and a
 * chunk's start/end times): chunks outside the window are never read or decompressed, so the first second of a
 * 10-minute file costs one chunk, not the file. The hop needs no summary or index (s2r files carry no message
 * indexes, and a killed writer leaves no summary), and skips message indexes where a file has them.
 */
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { McapStreamReader, Opcode } from '@mcap/core';
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
  /**
   * Only messages with start ≤ t ≤ end (seconds of recording time, the logTime): chunks outside it are skipped
   * unread. Metadata, attachments (the URDF) and the summary are still read. `startTime`/`endTime` of the result
   * then describe the messages read, not the file.
   */
  timeRange?: readonly [number, number];
}

/** A chunk record as its header describes it (s2r's readers need no chunk index to find it). */
export interface ChunkHeader {
  /** Byte offset of the record (its opcode) and its whole length, opcode and length field included. */
  offset: number;
  length: number;
  /** Log time of its first and last message (ns). */
  messageStartTime: bigint;
  messageEndTime: bigint;
}

const MAGIC_LEN = 8;
/** Opcode (1) + record length (8); a chunk's message start and end times (8 + 8) follow. */
const REC_HEAD = 9;
const CHUNK_HEAD = REC_HEAD + 16;

/**
 * The file's byte ranges to parse: the magic, then each record, skipping chunks that `keep` rejects and message
 * indexes. Stops at a record that runs past the end of the file (a crash cut it): its bytes are given as they
 * are, so the stream reader stops there as it does on a sequential read. Each piece is [bytes, end offset].
 */
function* hopRecords(fd: number, total: number, keep: (h: ChunkHeader) => boolean): Generator<[Uint8Array, number]> {
  const head = new Uint8Array(CHUNK_HEAD);
  const view = new DataView(head.buffer);
  const magic = new Uint8Array(Math.min(MAGIC_LEN, total));
  readSync(fd, magic, 0, magic.length, 0);
  yield [magic, magic.length];
  let pos = MAGIC_LEN;
  while (pos < total) {
    const got = readSync(fd, head, 0, Math.min(CHUNK_HEAD, total - pos), pos);
    if (got < REC_HEAD) return void (yield [head.slice(0, got), pos + got]);
    const len = REC_HEAD + Number(view.getBigUint64(1, true));
    if (pos + len > total) {
      // Cut short by a crash: hand over what is there (bounded), the stream reader stops at it.
      const rest = new Uint8Array(Math.min(total - pos, READ_BLOCK));
      readSync(fd, rest, 0, rest.length, pos);
      return void (yield [rest, pos + rest.length]);
    }
    const op = head[0]!;
    const skip =
      op === Opcode.MESSAGE_INDEX ||
      (op === Opcode.CHUNK && got >= CHUNK_HEAD && !keep({ offset: pos, length: len, messageStartTime: view.getBigUint64(9, true), messageEndTime: view.getBigUint64(17, true) }));
    if (!skip) {
      const rec = new Uint8Array(len);
      readSync(fd, rec, 0, len, pos);
      yield [rec, pos + len];
    }
    pos += len;
  }
}

/**
 * Every complete chunk record of the file, found by hopping over record headers (no summary or index needed,
 * so it works on a file cut short by a crash). For tools and tests that want to seek or to damage one chunk.
 */
export function listChunks(path: string): ChunkHeader[] {
  const fd = openSync(path, 'r');
  const out: ChunkHeader[] = [];
  try {
    for (const _ of hopRecords(fd, fstatSync(fd).size, (h) => (out.push(h), false)));
  } finally {
    closeSync(fd);
  }
  return out;
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
  const range = opts.timeRange;
  let lo = 0n;
  let hi = 0n;
  if (range) {
    if (!(range[0] <= range[1]) || !Number.isFinite(range[0]) || Number.isNaN(range[1])) throw new RangeError(`readRecording(${path}): timeRange must be [start, end] seconds with start ≤ end, got [${range.join(', ')}]`);
    lo = BigInt(Math.max(0, Math.floor(range[0] * 1e9)));
    hi = range[1] === Infinity ? 2n ** 64n : BigInt(Math.ceil(range[1] * 1e9));
  }
  /** Sequential blocks of the whole file, or (with a time range) the records the range needs. */
  function* pieces(): Generator<[Uint8Array, number]> {
    if (range) return yield* hopRecords(fd, total, (h) => h.messageEndTime >= lo && h.messageStartTime <= hi);
    const buf = new Uint8Array(READ_BLOCK);
    for (let at = 0; at < total; ) {
      const n = readSync(fd, buf, 0, READ_BLOCK, at);
      if (n <= 0) return;
      at += n;
      yield [buf.subarray(0, n), at];
    }
  }
  try {
    outer: for (const [bytes, fedTo] of pieces()) {
      offset = fedTo;
      reader.append(bytes);
      for (;;) {
        let rec;
        try {
          rec = reader.nextRecord();
        } catch (e) {
          // Bytes the reader consumed = bytes fed (offset) − bytes still buffered; the bad record ends there or was
          // being read there (its header or CRC is what failed).
          error = `${path}: ${(e as Error).message} (reading stopped at byte ${Math.max(0, offset - reader.bytesRemaining())} of ${total})`;
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
            if (range && (rec.logTime < lo || rec.logTime > hi)) break;
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
