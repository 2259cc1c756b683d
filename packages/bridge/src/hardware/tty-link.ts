/**
 * The serial device under SerialHardware (serial.ts): opened through serialport's native binding (raw 8N1, no flow
 * control, exclusive lock), read on this thread's loop, written with write(2). Kept apart from the protocol
 * logic in serial.ts.
 */
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ReadStream } from 'node:tty';

const bindingRequire = createRequire(import.meta.url);
type AsyncOpen = (path: string, options: Record<string, unknown>) => Promise<number>;
let asyncOpen: AsyncOpen | null = null;

/**
 * One open serial device: configured by serialport's native binding, read via a TTY handle on this thread's
 * loop, written synchronously with write(2) on the non-blocking fd (a frame is a few hundred bytes: the
 * syscall copies it into the kernel buffer and returns; nothing queues in JS).
 */
export class TtyLink {
  onData: (chunk: Buffer) => void = () => {};
  onClose: (why: string) => void = () => {};
  private closed = false;
  private partial = false;

  private constructor(private readonly fd: number, private readonly rs: ReadStream) {
    rs.on('data', (d: Buffer) => this.onData(d));
    rs.on('error', (e: Error) => this.lost(`error: ${e.message}`));
    rs.on('end', () => this.lost('device closed'));
    rs.on('close', () => this.lost('closed'));
  }

  static async open(path: string, baudRate: number): Promise<TtyLink> {
    asyncOpen ??= (bindingRequire('@serialport/bindings-cpp/dist/load-bindings.js') as { asyncOpen: AsyncOpen }).asyncOpen;
    // The same defaults serialport's LinuxPortBinding uses: raw 8N1, no flow control, exclusive lock.
    const fd = await asyncOpen(path, {
      path, baudRate, dataBits: 8, stopBits: 1, parity: 'none', lock: true,
      rtscts: false, xon: false, xoff: false, xany: false, hupcl: true, vmin: 1, vtime: 0,
    });
    return new TtyLink(fd, new ReadStream(fd));
  }

  /** 'ok', 'dropped' (kernel buffer full), or 'error' (the device is gone). */
  write(bytes: Uint8Array): 'ok' | 'dropped' | 'error' {
    if (this.closed) return 'error';
    try {
      if (this.partial) {
        // The previous frame went out cut short: a delimiter makes the device drop it and resync.
        if (writeSync(this.fd, ZERO) !== 1) return 'dropped';
        this.partial = false;
      }
      const n = writeSync(this.fd, bytes);
      if (n === bytes.length) return 'ok';
      this.partial = n > 0;
      return 'dropped';
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return code === 'EAGAIN' || code === 'EWOULDBLOCK' ? 'dropped' : 'error';
    }
  }

  private lost(why: string): void {
    if (this.closed) return;
    this.closed = true;
    this.rs.destroy(); // closes the TTY handle and with it the fd (and its lock)
    this.onClose(why);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rs.destroy();
  }
}

const ZERO = Uint8Array.of(0);
