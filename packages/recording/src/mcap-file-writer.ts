/**
 * A synchronous, crash-tolerant MCAP writer built from @mcap/core's record and chunk builders.
 *
 * Why not McapWriter: it cannot close a chunk on demand (so a slow 50 Hz stream could sit in memory for
 * minutes), and its methods are async with a "never overlap calls" rule that a 500 Hz control loop can't
 * honour without awaiting on the hot path. Here every call is synchronous: messages go into an in-memory
 * chunk; a chunk is zstd-compressed, CRC'd and written to the file descriptor with one writeSync as soon as it
 * is full (`chunkBytes`, uncompressed) or spans `chunkSeconds` of recording time. The OS page cache survives a
 * SIGKILL, so a killed process leaves header + every completed chunk on disk; readers stop at the first
 * incomplete record. `close()` writes DataEnd, the summary (schemas, channels, statistics, chunk/attachment/
 * metadata indexes) and the footer.
 *
 * A failed write (ENOSPC on a full disk, EIO, EDQUOT) stops the recording for good: the file is cut back to the
 * end of the last complete record (so it reads back up to its last chunk), the lock is released, and every later
 * call is a no-op that buffers nothing. The error is thrown once, as a `RecordingWriteError`.
 *
 * Ownership: the writer holds `<path>.lock` (its pid inside) while open, so a second writer on the same file,
 * in this process or another, is refused instead of interleaving into it. A lock left by a killed process (its
 * pid is gone) is taken over. Without `overwrite`, an existing file is refused.
 */
import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { McapChunkBuilder, McapRecordBuilder, Opcode } from '@mcap/core';
import type { McapTypes } from '@mcap/core';
import { crc32, crc32Final, crc32Init, crc32Update } from '@foxglove/crc';
import { ZSTD_LEVEL, zstdCompress } from './zstd.ts';
import { pidAlive } from '@s2r/core';

type ChunkIndex = McapTypes.ChunkIndex;
type AttachmentIndex = McapTypes.AttachmentIndex;
type MetadataIndex = McapTypes.MetadataIndex;
type Schema = McapTypes.Schema;
type Channel = McapTypes.Channel;
type SummaryOffset = McapTypes.SummaryOffset;

export interface McapFileWriterOptions {
  /** Close a chunk once its records reach this many bytes, uncompressed (default 1 MiB). */
  chunkBytes?: number;
  /** Close a chunk once it spans this much recording time, in seconds (default 2 s): bounds what a crash loses. */
  chunkSeconds?: number;
  /** Chunk compression (default 'zstd'); 'none' writes chunks as they are. */
  compression?: 'zstd' | 'none';
  /** zstd level (default ZSTD_LEVEL, see zstd.ts). */
  zstdLevel?: number;
  /** Replace an existing file (default false: an existing file is an error). */
  overwrite?: boolean;
  /**
   * Write MessageIndex records after each chunk and ChunkIndex records in the summary (default false).
   * They cost 16 B per message, uncompressed (1.6 MB per minute of Go1 at 500 Hz, a fifth of the file), and
   * only an indexed reader uses them. They go together: @mcap/core's McapIndexedReader, which Foxglove picks
   * whenever a file has chunk indexes, yields only the messages its message indexes list, so chunk indexes
   * without message indexes would read as an empty file there. Without either, Foxglove reads the file
   * front to back (its unindexed source); s2r's reader hops chunk to chunk by their record headers.
   */
  messageIndexes?: boolean;
  profile?: string;
  library?: string;
}

/** A write to the recording failed (e.g. ENOSPC): recording stopped, the file holds everything before it. */
export class RecordingWriteError extends Error {
  readonly path: string;
  readonly code: string | undefined;
  constructor(path: string, cause: NodeJS.ErrnoException, bytesKept: bigint) {
    super(`recording ${path} stopped: ${cause.message}; the file keeps its first ${bytesKept} bytes (everything up to the last complete chunk)`);
    this.path = path;
    this.code = cause.code;
  }
}

/** Take `<path>.lock` exclusively (O_EXCL), taking over a lock whose process is gone. Returns the lock path. */
function lockRecording(path: string): string {
  const lock = `${path}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return lock;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let pid = 0;
    try {
      pid = Number.parseInt(readFileSync(lock, 'utf8'), 10);
    } catch {
      continue; // removed between our open and read: try again
    }
    if (Number.isInteger(pid) && pid > 0 && pidAlive(pid))
      throw new Error(`${path}: already being recorded by process ${pid}${pid === process.pid ? ' (this one)' : ''} (lock file ${lock}); refusing to write it too`);
    rmSync(lock, { force: true }); // stale: its writer was killed
  }
  throw new Error(`${path}: could not take the lock ${lock}`);
}

export class McapFileWriter {
  readonly path: string;
  #fd: number;
  #pos = 0n;
  #dataCrc = crc32Init();
  #rec = new McapRecordBuilder();
  #chunk: McapChunkBuilder;
  #indexed: boolean;
  #chunkBytes: number;
  #chunkNs: bigint;
  #schemas = new Map<number, Schema>();
  #channels = new Map<number, Channel>();
  #schemaInChunk = new Set<number>();
  #channelInChunk = new Set<number>();
  #chunkIndexes: ChunkIndex[] = [];
  #attachmentIndexes: AttachmentIndex[] = [];
  #metadataIndexes: MetadataIndex[] = [];
  #msgCount = 0n;
  #msgStart = 0n;
  #msgEnd = 0n;
  #channelCounts = new Map<number, bigint>();
  #attachmentCount = 0;
  #chunkCount = 0;
  #closed = false;
  #compression: '' | 'zstd';
  #zstdLevel: number;
  #lock: string | null;
  #failed: RecordingWriteError | null = null;

  constructor(path: string, opts: McapFileWriterOptions = {}) {
    this.path = path;
    this.#chunkBytes = opts.chunkBytes ?? 1024 * 1024;
    this.#chunkNs = BigInt(Math.round((opts.chunkSeconds ?? 2) * 1e9));
    this.#compression = (opts.compression ?? 'zstd') === 'zstd' ? 'zstd' : '';
    this.#indexed = opts.messageIndexes ?? false;
    this.#zstdLevel = opts.zstdLevel ?? ZSTD_LEVEL;
    this.#chunk = new McapChunkBuilder({ useMessageIndex: this.#indexed });
    mkdirSync(dirname(path), { recursive: true });
    this.#lock = lockRecording(path);
    try {
      this.#fd = openSync(path, opts.overwrite ? 'w' : 'wx');
    } catch (e) {
      this.#unlock();
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${path}: file exists; refusing to overwrite it (pass --overwrite, or overwrite: true)`);
      throw e;
    }
    this.#rec.writeMagic();
    this.#rec.writeHeader({ profile: opts.profile ?? '', library: opts.library ?? 's2r' });
    this.#flushRecords(true);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes held in memory, not yet on disk (the open chunk and any unwritten records). */
  get pendingBytes(): number {
    return this.#chunk.byteLength + this.#rec.length;
  }

  /** Set when a write failed and recording stopped (see RecordingWriteError). */
  get failed(): RecordingWriteError | null {
    return this.#failed;
  }

  /** Bytes written to the file so far (completed chunks only; the open chunk is still in memory). */
  get bytesWritten(): number {
    return Number(this.#pos);
  }

  registerSchema(id: number, name: string, encoding: string, data: Uint8Array): void {
    this.#schemas.set(id, { id, name, encoding, data });
  }

  registerChannel(ch: Channel): void {
    this.#channels.set(ch.id, ch);
  }

  addMessage(channelId: number, logTime: bigint, data: Uint8Array): void {
    this.#assertOpen();
    if (this.#failed) return; // stopped after a failed write: buffer nothing
    const ch = this.#channels.get(channelId);
    if (!ch) throw new Error(`McapFileWriter(${this.path}): message on unregistered channel ${channelId}`);
    // Schemas and channels are repeated inside every chunk that uses them, so each chunk decodes on its own
    // (a reader that recovers a crashed file never needs the summary).
    if (ch.schemaId !== 0 && !this.#schemaInChunk.has(ch.schemaId)) {
      this.#chunk.addSchema(this.#schemas.get(ch.schemaId)!);
      this.#schemaInChunk.add(ch.schemaId);
    }
    if (!this.#channelInChunk.has(channelId)) {
      this.#chunk.addChannel(ch);
      this.#channelInChunk.add(channelId);
    }
    // sequence 0 ("not used" in the MCAP spec): a counter in every record costs ~2 % of the compressed file.
    this.#chunk.addMessage({ channelId, sequence: 0, logTime, publishTime: logTime, data });
    if (this.#msgCount === 0n || logTime < this.#msgStart) this.#msgStart = logTime;
    if (this.#msgCount === 0n || logTime > this.#msgEnd) this.#msgEnd = logTime;
    this.#msgCount++;
    this.#channelCounts.set(channelId, (this.#channelCounts.get(channelId) ?? 0n) + 1n);
    if (this.#chunk.byteLength >= this.#chunkBytes || this.#chunk.messageEndTime - this.#chunk.messageStartTime >= this.#chunkNs) {
      this.flushChunk();
    }
  }

  /** Attachments go between chunks (after closing the open one), as MCAP requires. */
  addAttachment(name: string, mediaType: string, data: Uint8Array, logTime = 0n): void {
    this.#assertOpen();
    this.flushChunk();
    if (this.#failed) return;
    const offset = this.#pos;
    const length = this.#rec.writeAttachment({ name, mediaType, data, logTime, createTime: logTime });
    this.#attachmentIndexes.push({ offset, length, logTime, createTime: logTime, dataSize: BigInt(data.byteLength), name, mediaType });
    this.#attachmentCount++;
    this.#flushRecords(true);
  }

  addMetadata(name: string, metadata: Record<string, string>): void {
    this.#assertOpen();
    this.flushChunk();
    if (this.#failed) return;
    const offset = this.#pos;
    const length = this.#rec.writeMetadata({ name, metadata: new Map(Object.entries(metadata)) });
    this.#metadataIndexes.push({ offset, length, name });
    this.#flushRecords(true);
  }

  /** Write the open chunk (if any) to disk now. */
  flushChunk(): void {
    if (this.#chunk.numMessages === 0 || this.#failed) return;
    const raw = this.#chunk.buffer;
    const records = this.#compression === 'zstd' ? zstdCompress(raw, this.#zstdLevel) : raw;
    const chunkStartOffset = this.#pos;
    const chunk = {
      messageStartTime: this.#chunk.messageStartTime,
      messageEndTime: this.#chunk.messageEndTime,
      uncompressedSize: BigInt(raw.byteLength),
      uncompressedCrc: crc32(raw),
      compression: this.#compression,
      records,
    };
    const chunkLength = this.#rec.writeChunk(chunk);
    const messageIndexStart = chunkStartOffset + chunkLength;
    const messageIndexOffsets = new Map<number, bigint>();
    let messageIndexLength = 0n;
    for (const mi of this.#indexed ? this.#chunk.indices : []) {
      if (mi.records.length === 0) continue;
      messageIndexOffsets.set(mi.channelId, messageIndexStart + messageIndexLength);
      messageIndexLength += this.#rec.writeMessageIndex(mi);
    }
    this.#chunkCount++;
    if (this.#indexed) {
      this.#chunkIndexes.push({
        messageStartTime: chunk.messageStartTime,
        messageEndTime: chunk.messageEndTime,
        chunkStartOffset,
        chunkLength,
        messageIndexOffsets,
        messageIndexLength,
        compression: this.#compression,
        compressedSize: BigInt(records.byteLength),
        uncompressedSize: chunk.uncompressedSize,
      });
    }
    // The chunk is in #rec now: reset the chunk before writing, so a failed write can never leave it to grow.
    this.#chunk.reset();
    this.#schemaInChunk.clear();
    this.#channelInChunk.clear();
    // One write for the chunk and its message indexes: a crash leaves either all of it or a short tail.
    this.#flushRecords(true);
  }

  /** Close the open chunk, write the summary and footer, and close the file. Idempotent. */
  close(): void {
    if (this.#closed) return;
    if (this.#failed) {
      this.#closed = true;
      return;
    }
    this.flushChunk();
    this.#rec.writeDataEnd({ dataSectionCrc: crc32Final(this.#dataCrc) });
    this.#flushRecords(false);

    const summaryStart = this.#pos;
    const offsets: SummaryOffset[] = [];
    const group = (opcode: number, write: () => bigint): void => {
      const groupStart = this.#pos + BigInt(this.#rec.length);
      const groupLength = write();
      if (groupLength > 0n) offsets.push({ groupOpcode: opcode, groupStart, groupLength });
    };
    group(Opcode.SCHEMA, () => [...this.#schemas.values()].reduce((n, s) => n + this.#rec.writeSchema(s), 0n));
    group(Opcode.CHANNEL, () => [...this.#channels.values()].reduce((n, c) => n + this.#rec.writeChannel(c), 0n));
    group(Opcode.STATISTICS, () =>
      this.#rec.writeStatistics({
        messageCount: this.#msgCount,
        schemaCount: this.#schemas.size,
        channelCount: this.#channels.size,
        attachmentCount: this.#attachmentCount,
        metadataCount: this.#metadataIndexes.length,
        chunkCount: this.#chunkCount,
        messageStartTime: this.#msgStart,
        messageEndTime: this.#msgEnd,
        channelMessageCounts: this.#channelCounts,
      }),
    );
    group(Opcode.METADATA_INDEX, () => this.#metadataIndexes.reduce((n, m) => n + this.#rec.writeMetadataIndex(m), 0n));
    group(Opcode.ATTACHMENT_INDEX, () => this.#attachmentIndexes.reduce((n, a) => n + this.#rec.writeAttachmentIndex(a), 0n));
    group(Opcode.CHUNK_INDEX, () => this.#chunkIndexes.reduce((n, c) => n + this.#rec.writeChunkIndex(c), 0n));
    const summaryOffsetStart = this.#pos + BigInt(this.#rec.length);
    for (const o of offsets) this.#rec.writeSummaryOffset(o);

    // Summary CRC covers everything from summaryStart through the footer's summaryOffsetStart field.
    let summaryCrc = crc32Update(crc32Init(), this.#rec.buffer);
    const footerHead = new DataView(new ArrayBuffer(1 + 8 + 8 + 8));
    footerHead.setUint8(0, Opcode.FOOTER);
    footerHead.setBigUint64(1, 20n, true);
    footerHead.setBigUint64(9, summaryStart, true);
    footerHead.setBigUint64(17, summaryOffsetStart, true);
    summaryCrc = crc32Update(summaryCrc, new Uint8Array(footerHead.buffer));
    this.#rec.writeFooter({ summaryStart, summaryOffsetStart, summaryCrc: crc32Final(summaryCrc) });
    this.#rec.writeMagic();
    this.#flushRecords(false);
    try {
      fsyncSync(this.#fd);
    } catch {
      /* fsync can fail on some filesystems (e.g. pipes); the data is already written */
    }
    closeSync(this.#fd);
    this.#unlock();
    this.#closed = true;
  }

  /** Write what #rec holds. On failure: cut the file back to the last complete record, stop, throw once. */
  #flushRecords(inDataSection: boolean): void {
    if (this.#failed) return;
    const buf = this.#rec.buffer;
    if (buf.byteLength === 0) return;
    let off = 0;
    try {
      while (off < buf.byteLength) off += writeSync(this.#fd, buf, off, buf.byteLength - off);
    } catch (e) {
      this.#rec.reset();
      this.#chunk.reset();
      try {
        ftruncateSync(this.#fd, Number(this.#pos)); // drop the half-written record (frees the space it took)
      } catch {
        /* the reader stops at an incomplete record anyway */
      }
      try {
        closeSync(this.#fd);
      } catch {
        /* already failing; the error below is the one to report */
      }
      this.#unlock();
      this.#failed = new RecordingWriteError(this.path, e as NodeJS.ErrnoException, this.#pos);
      throw this.#failed;
    }
    if (inDataSection) this.#dataCrc = crc32Update(this.#dataCrc, buf);
    this.#pos += BigInt(buf.byteLength);
    this.#rec.reset();
  }

  #unlock(): void {
    if (this.#lock) rmSync(this.#lock, { force: true });
    this.#lock = null;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`McapFileWriter(${this.path}): write after close`);
  }
}
