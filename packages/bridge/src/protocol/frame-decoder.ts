/**
 * Streaming frame decoder: feed it whatever bytes the link delivers (any chunking); it splits on 0x00, decodes,
 * checks, and hands each valid message to `onMessage`. Every bad frame is counted by class and dropped.
 * It never throws — not on garbage, not on a throwing handler — so a bad link can never kill the control loop.
 *
 * Sync: after `reset()` (a port just opened or re-opened) the decoder is *unsynced*: the link may have been
 * mid-frame when reception started, so the bytes before the first 0x00 are delivered if they decode to a valid
 * frame and otherwise dropped as a `sync` drop, which is not a frame error (PROTOCOL.md §2). A new decoder is
 * synced: its first bytes are a frame's first bytes (tests, vectors, a buffer read from a file).
 */
import { cobsDecode } from './cobs.ts';
import { FRAME_ERRORS, MAX_ENCODED_BYTES, MAX_FRAME_BYTES, type FrameErrorName } from './constants.ts';
import { checkDecoded } from './frame.ts';
import type { Message } from './messages.ts';

export interface FrameDecoderCounts {
  /** Valid messages delivered. */
  frames: number;
  /** Bytes consumed. */
  bytes: number;
  /** Back-to-back delimiters (0x00 0x00): ignored, not errors; senders use a leading 0x00 to resync. */
  empty: number;
  /** Handler exceptions caught (a bug in the consumer, not the link). */
  handlerErrors: number;
  crc: number;
  truncated: number;
  version: number;
  type: number;
  length: number;
  oversize: number;
  cobs: number;
  /** Unsynced starts whose bytes before the first delimiter did not decode (a frame cut by the open): not errors. */
  sync: number;
}

export class FrameDecoder {
  readonly counts: FrameDecoderCounts = {
    frames: 0, bytes: 0, empty: 0, handlerErrors: 0,
    crc: 0, truncated: 0, version: 0, type: 0, length: 0, oversize: 0, cobs: 0, sync: 0,
  };
  /** Last error class and detail, for logs. */
  lastError: { error: FrameErrorName; detail: string } | null = null;
  private readonly enc = new Uint8Array(MAX_ENCODED_BYTES);
  private readonly dec = new Uint8Array(MAX_FRAME_BYTES);
  private len = 0;
  /** Bytes seen since the last delimiter beyond the buffer: the frame is oversize and is being skipped. */
  private overflow = false;
  /** False until the first delimiter after reset(): the bytes before it may be the tail of a cut frame. */
  private synced = true;

  constructor(
    private readonly onMessage: (msg: Message) => void,
    private readonly onError?: (error: FrameErrorName, detail: string) => void,
    private readonly onSyncDrop?: () => void,
  ) {}

  /** Sum of all frame-level error counters. */
  get errors(): number {
    let s = 0;
    for (const k of FRAME_ERRORS) s += this.counts[k];
    return s;
  }

  /** Forget a partial frame and start unsynced (a port (re)opened: its first bytes may be the middle of a frame). */
  reset(): void {
    this.len = 0;
    this.overflow = false;
    this.synced = false;
  }

  push(chunk: Uint8Array): void {
    this.counts.bytes += chunk.length;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b !== 0) {
        if (this.len < MAX_ENCODED_BYTES) this.enc[this.len++] = b;
        else this.overflow = true;
        continue;
      }
      // The first delimiter after reset() ends bytes that may be the tail of a cut frame (see the class doc).
      const synced = this.synced;
      this.synced = true;
      if (this.overflow) this.reject(synced, 'oversize', `more than ${MAX_ENCODED_BYTES} bytes before a delimiter`);
      else if (this.len === 0) this.counts.empty++;
      else this.frame(synced);
      this.len = 0;
      this.overflow = false;
    }
  }

  /** Decode the bytes before a delimiter; a bad frame is an error when synced, a sync drop when not. */
  private frame(synced: boolean): void {
    const n = cobsDecode(this.enc, 0, this.len, this.dec);
    if (n === -3) return this.reject(synced, 'oversize', `decoded frame exceeds ${MAX_FRAME_BYTES} bytes`);
    // -1: a code byte promises more bytes than arrived before the delimiter — the frame was cut short.
    if (n === -1) return this.reject(synced, 'truncated', 'a COBS code byte points past the end of the frame');
    if (n < 0) return this.reject(synced, 'cobs', 'malformed COBS');
    const r = checkDecoded(this.dec, n);
    if (!r.ok) return this.reject(synced, r.error, r.detail);
    this.counts.frames++;
    try {
      this.onMessage(r.msg);
    } catch {
      this.counts.handlerErrors++;
    }
  }

  /** A frame that did not decode: an error when synced, a sync drop when not (no closure per frame). */
  private reject(synced: boolean, error: FrameErrorName, detail: string): void {
    if (synced) this.fail(error, detail);
    else this.syncDrop();
  }

  private syncDrop(): void {
    this.counts.sync++;
    try {
      this.onSyncDrop?.();
    } catch {
      this.counts.handlerErrors++;
    }
  }

  private fail(error: FrameErrorName, detail: string): void {
    this.counts[error]++;
    this.lastError = { error, detail };
    if (this.onError) {
      try {
        this.onError(error, detail);
      } catch {
        this.counts.handlerErrors++;
      }
    }
  }
}
