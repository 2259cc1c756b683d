/**
 * A synchronous, crash-tolerant MCAP writer built from @mcap/core's record and chunk builders.
 *
 * Why not McapWriter: it cannot close a chunk on demand (so a slow 50 Hz stream could sit in memory for
 * minutes), and its methods are async with a "never overlap calls" rule that a 500 Hz control loop can't
 * honour without awaiting on the hot path. Here every call is synchronous: messages go into an in-memory
 * chunk; a chunk is CRC'd and written to the file descriptor with one writeSync as soon as it is full
 * (`chunkBytes`) or spans `chunkSeconds` of recording time. The OS page cache survives a SIGKILL, so a
 * killed process leaves header + every completed chunk on disk; readers stop at the first incomplete record.
 * `close()` writes DataEnd, the summary (schemas, channels, statistics, chunk/attachment/metadata indexes)
 * and the footer.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { McapChunkBuilder, McapRecordBuilder, Opcode } from '@mcap/core';
import type { McapTypes } from '@mcap/core';
import { crc32, crc32Final, crc32Init, crc32Update } from '@foxglove/crc';

type ChunkIndex = McapTypes.ChunkIndex;
type AttachmentIndex = McapTypes.AttachmentIndex;
type MetadataIndex = McapTypes.MetadataIndex;
type Schema = McapTypes.Schema;
type Channel = McapTypes.Channel;
type SummaryOffset = McapTypes.SummaryOffset;

export interface McapFileWriterOptions {
  /** Close a chunk once its records reach this many bytes (default 256 KiB). */
  chunkBytes?: number;
  /** Close a chunk once it spans this much recording time, in seconds (default 1 s): bounds what a crash loses. */
  chunkSeconds?: number;
  profile?: string;
  library?: string;
}

export class McapFileWriter {
  readonly path: string;
  #fd: number;
  #pos = 0n;
  #dataCrc = crc32Init();
  #rec = new McapRecordBuilder();
  #chunk = new McapChunkBuilder({ useMessageIndex: true });
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
  #closed = false;

  constructor(path: string, opts: McapFileWriterOptions = {}) {
    this.path = path;
    this.#chunkBytes = opts.chunkBytes ?? 256 * 1024;
    this.#chunkNs = BigInt(Math.round((opts.chunkSeconds ?? 1) * 1e9));
    mkdirSync(dirname(path), { recursive: true });
    this.#fd = openSync(path, 'w');
    this.#rec.writeMagic();
    this.#rec.writeHeader({ profile: opts.profile ?? '', library: opts.library ?? 's2r' });
    this.#flushRecords(true);
  }

  get closed(): boolean {
    return this.#closed;
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
    this.#chunk.addMessage({ channelId, sequence: Number(this.#msgCount & 0xffffffffn), logTime, publishTime: logTime, data });
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
    const offset = this.#pos;
    const length = this.#rec.writeAttachment({ name, mediaType, data, logTime, createTime: logTime });
    this.#attachmentIndexes.push({ offset, length, logTime, createTime: logTime, dataSize: BigInt(data.byteLength), name, mediaType });
    this.#attachmentCount++;
    this.#flushRecords(true);
  }

  addMetadata(name: string, metadata: Record<string, string>): void {
    this.#assertOpen();
    this.flushChunk();
    const offset = this.#pos;
    const length = this.#rec.writeMetadata({ name, metadata: new Map(Object.entries(metadata)) });
    this.#metadataIndexes.push({ offset, length, name });
    this.#flushRecords(true);
  }

  /** Write the open chunk (if any) to disk now. */
  flushChunk(): void {
    if (this.#chunk.numMessages === 0) return;
    const records = this.#chunk.buffer;
    const chunkStartOffset = this.#pos;
    const chunk = {
      messageStartTime: this.#chunk.messageStartTime,
      messageEndTime: this.#chunk.messageEndTime,
      uncompressedSize: BigInt(records.byteLength),
      uncompressedCrc: crc32(records),
      compression: '',
      records,
    };
    const chunkLength = this.#rec.writeChunk(chunk);
    const messageIndexStart = chunkStartOffset + chunkLength;
    const messageIndexOffsets = new Map<number, bigint>();
    let messageIndexLength = 0n;
    for (const mi of this.#chunk.indices) {
      if (mi.records.length === 0) continue;
      messageIndexOffsets.set(mi.channelId, messageIndexStart + messageIndexLength);
      messageIndexLength += this.#rec.writeMessageIndex(mi);
    }
    this.#chunkIndexes.push({
      messageStartTime: chunk.messageStartTime,
      messageEndTime: chunk.messageEndTime,
      chunkStartOffset,
      chunkLength,
      messageIndexOffsets,
      messageIndexLength,
      compression: '',
      compressedSize: chunk.uncompressedSize,
      uncompressedSize: chunk.uncompressedSize,
    });
    // One write for the chunk and its message indexes: a crash leaves either all of it or a short tail.
    this.#flushRecords(true);
    this.#chunk.reset();
    this.#schemaInChunk.clear();
    this.#channelInChunk.clear();
  }

  /** Close the open chunk, write the summary and footer, and close the file. Idempotent. */
  close(): void {
    if (this.#closed) return;
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
        chunkCount: this.#chunkIndexes.length,
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
    this.#closed = true;
  }

  #flushRecords(inDataSection: boolean): void {
    const buf = this.#rec.buffer;
    if (buf.byteLength === 0) return;
    if (inDataSection) this.#dataCrc = crc32Update(this.#dataCrc, buf);
    let off = 0;
    while (off < buf.byteLength) off += writeSync(this.#fd, buf, off, buf.byteLength - off);
    this.#pos += BigInt(buf.byteLength);
    this.#rec.reset();
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`McapFileWriter(${this.path}): write after close`);
  }
}
