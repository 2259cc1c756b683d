/**
 * SerialHardware: the HardwareInterface for robots that speak the s2r serial protocol (hardware/PROTOCOL.md)
 * over a UART / USB-serial link, e.g. the reference firmware in hardware/firmware or its host emulator s2r-emu.
 *
 * - configure() opens the port, asks the device for CONFIG and checks its joint count and names hash against
 *   the joint names we were given (a mismatch is a loud error, before anything moves).
 * - read() returns the newest STATE received since the previous read, or null (the loop's watchdog counts those).
 * - write() sends a COMMAND frame with the next sequence number. Link faults never throw: they are counted in
 *   stats() and write() returns false.
 * - The link is watched: a closed port, or silence for `silenceMs`, marks it down; the port is re-opened every
 *   `reconnectMs`, and states are accepted again only after the device's CONFIG matches again.
 *
 * Transport: the port is opened and configured (baud, raw 8N1, exclusive lock) by serialport's native binding
 * (@serialport/bindings-cpp), then read through a libuv TTY handle (node:tty) and written with write(2). We do
 * not use serialport's stream: its poller is registered on the process' *default* loop (bindings-cpp
 * src/poller.cpp: uv_poll_init(uv_default_loop(), …)), so in a worker thread — where the control loop runs — its
 * data callback enters the worker's isolate from the main thread and Node aborts ("Entering the V8 API without
 * proper locking"). A TTY handle lives on the calling thread's own loop, so this works in any thread.
 * Reads are event-driven: the owning thread must let its event loop run between control ticks.
 */
import { nowS } from '../timing/clock.ts';
import { parseSerialSpec } from './serial-spec.ts';
import { TtyLink } from './tty-link.ts';
import type { HardwareInterface, RobotCommand, RobotState } from '../types.ts';
import {
  ConfigFlags, FrameDecoder, FrameEncoder, HEADER_BYTES, MAX_JOINTS, MsgType, PROTOCOL_VERSION,
  Status, errorName, namesHash, writeCommandBody, writePayload,
  type ConfigMsg, type FrameErrorName, type JointLimits, type Message, type StateMsg,
} from '../protocol/index.ts';

export interface SerialHardwareOptions {
  /** Device path, e.g. /dev/ttyUSB0 or a pty. */
  path: string;
  /** Baud rate (ignored by ptys). Default 1 000 000. */
  baudRate?: number;
  /** Alias of baudRate (the hardware registry passes `baud`). */
  baud?: number;
  /** Joint names in the order of every array; must match the device's CONFIG (count and names hash). */
  jointNames: readonly string[];
  /** Ask the device to stream STATE at this rate (Hz) during configure; 0 keeps the device's rate. Default 0. */
  stateRateHz?: number;
  /** Heartbeat period (ms) once active; 0 disables. Default 100. */
  heartbeatMs?: number;
  /** configure() fails if no matching CONFIG arrives within this time (ms). Default 2000. */
  configTimeoutMs?: number;
  /** Re-open attempt period while the port is down (ms). Default 250. */
  reconnectMs?: number;
  /** No frame at all for this long (ms) = link silent: states are held back until CONFIG is confirmed again. Default 300. */
  silenceMs?: number;
  /** Monotonic clock in seconds; must be the control loop's clock (RobotState.receivedAt uses it). */
  clock?: () => number;
  /** Name in logs; default `serial:<path>`. */
  name?: string;
  /** Log sink for link events (not called on the hot path per frame). Default: none. */
  log?: (line: string) => void;
}

/** Counter names reported by stats(); all start at 0. */
const COUNTERS = [
  'rxBytes', 'rxFrames', 'txFrames', 'txBytes', 'txDropped', 'writeErrors', 'writesWhileDown', 'badCommands',
  'frameErrors', 'crc', 'truncated', 'version', 'type', 'length', 'oversize', 'cobs', 'seqGaps',
  // Frames cut by opening the port mid-stream (the bytes before the first delimiter did not decode): not errors.
  'syncDrops',
  'states', 'staleReads', 'statesHeldBack', 'deviceErrors', 'configs', 'configMismatches',
  'disconnects', 'reconnects', 'openFailures', 'silences', 'heartbeatsSent', 'heartbeatsAnswered', 'rttCount',
] as const;
type Counter = (typeof COUNTERS)[number];

const RTT_RING = 1 << 16;

export class SerialHardware implements HardwareInterface {
  readonly name: string;
  readonly jointNames: readonly string[];
  readonly path: string;
  readonly baudRate: number;
  /** The device's CONFIG once confirmed (limits, rates, watchdog). */
  device: ConfigMsg | null = null;

  private readonly opts: Required<Omit<SerialHardwareOptions, 'log' | 'name' | 'baud'>> & { log?: (line: string) => void };
  private readonly clock: () => number;
  private readonly n: number;
  private readonly expectedHash: number;
  private port: TtyLink | null = null;
  private open = false;
  private wanted = false; // between configure() and deactivate(): keep the link up
  private configOk = false;
  private readonly decoder: FrameDecoder;
  private readonly encoder = new FrameEncoder();
  private txSeq = 0;
  private lastRxSeq = -1;
  private lastRxAt = 0;
  private latest: RobotState | null = null;
  private fresh = false;
  private deviceStatus = 0;
  private deviceMode = -1;
  private timeHi = 0;
  private lastTimeUs = -1;
  private readonly counts: Record<Counter, number>;
  private readonly deviceErrorCounts = new Map<string, number>();
  private readonly sentAt = new Float64Array(65536).fill(NaN);
  private lastAckSeq = -1;
  private readonly rtt = new Float64Array(RTT_RING);
  private rttHead = 0;
  private lastRttMs = NaN;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private watchTimer: NodeJS.Timeout | null = null;
  private configWaiters: ((c: ConfigMsg) => void)[] = [];
  private readonly listeners = new Set<(m: Message) => void>();

  constructor(options: SerialHardwareOptions) {
    if (!options.path) throw new Error('SerialHardware: options.path is required (e.g. /dev/ttyUSB0)');
    const names = options.jointNames;
    if (!names || names.length < 1 || names.length > MAX_JOINTS) {
      throw new Error(`SerialHardware: jointNames must list 1..${MAX_JOINTS} joints, got ${names?.length ?? 0}`);
    }
    this.opts = {
      path: options.path,
      baudRate: options.baudRate ?? options.baud ?? 1_000_000,
      jointNames: names,
      stateRateHz: options.stateRateHz ?? 0,
      heartbeatMs: options.heartbeatMs ?? 100,
      configTimeoutMs: options.configTimeoutMs ?? 2000,
      reconnectMs: options.reconnectMs ?? 250,
      silenceMs: options.silenceMs ?? 300,
      clock: options.clock ?? nowS,
      log: options.log,
    };
    this.path = this.opts.path;
    this.baudRate = this.opts.baudRate;
    this.name = options.name ?? `serial:${this.path}`;
    this.jointNames = [...names];
    this.n = names.length;
    this.expectedHash = namesHash(names);
    this.clock = this.opts.clock;
    this.counts = Object.fromEntries(COUNTERS.map((k) => [k, 0])) as Record<Counter, number>;
    this.decoder = new FrameDecoder(
      (m) => this.onMessage(m),
      (e: FrameErrorName) => {
        this.counts.frameErrors++;
        this.counts[e]++;
      },
      () => this.counts.syncDrops++,
    );
  }

  /** Build from a CLI spec such as `serial:/dev/ttyUSB0@1000000`. */
  static fromSpec(spec: string, options: Omit<SerialHardwareOptions, 'path' | 'baudRate'>): SerialHardware {
    return new SerialHardware({ ...options, ...parseSerialSpec(spec) });
  }

  /** Whether the port is open and the device's CONFIG matched since it last (re)appeared. */
  get linkUp(): boolean {
    return this.open && this.configOk;
  }

  /** Device status bits (Status.*) from the latest STATE or heartbeat. */
  get status(): number {
    return this.deviceStatus;
  }

  /** Per-joint limits the device enforces (from its CONFIG). */
  get deviceLimits(): readonly JointLimits[] {
    return this.device?.limits ?? [];
  }

  /** Observe every valid message from the device (tests, benchmarks, logging). Returns an unsubscribe. */
  onDeviceMessage(fn: (m: Message) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async configure(): Promise<void> {
    this.wanted = true;
    await this.openPort(true);
    const deadline = Date.now() + this.opts.configTimeoutMs;
    let cfg: ConfigMsg | null = null;
    while (!cfg && Date.now() < deadline) {
      this.requestConfig();
      cfg = await this.waitConfig(Math.min(200, Math.max(1, deadline - Date.now())));
    }
    if (!cfg) {
      const why = `${this.counts.rxBytes} bytes, ${this.counts.rxFrames} valid frames, ${this.counts.frameErrors} bad frames received`;
      await this.shutdown();
      throw new Error(`${this.name}: no CONFIG from the device within ${this.opts.configTimeoutMs} ms (${why}); is the firmware running at ${this.baudRate} baud?`);
    }
    const problem = this.configProblem(cfg);
    if (problem) {
      await this.shutdown();
      throw new Error(`${this.name}: ${problem}`);
    }
    this.startWatch();
  }

  async activate(): Promise<void> {
    if (!this.wanted) throw new Error(`${this.name}: activate() before configure()`);
    if (this.opts.heartbeatMs > 0 && !this.heartbeatTimer) {
      this.heartbeatTimer = setInterval(() => this.heartbeat(), this.opts.heartbeatMs);
      this.heartbeatTimer.unref();
    }
  }

  read(_t: number, _period: number): RobotState | null {
    if (!this.fresh || !this.latest) {
      this.counts.staleReads++;
      return null;
    }
    this.fresh = false;
    return this.latest;
  }

  write(_t: number, _period: number, cmd: RobotCommand): boolean {
    if (!this.open || !this.configOk || !this.port) {
      this.counts.writesWhileDown++;
      return false;
    }
    const raw = this.encoder.raw;
    const dv = this.encoder.rawView;
    let len: number;
    try {
      raw[0] = PROTOCOL_VERSION;
      raw[1] = MsgType.command;
      const seq = this.txSeq;
      dv.setUint16(2, seq, true);
      dv.setUint32(4, Math.round(this.clock() * 1e6) >>> 0, true);
      len = writeCommandBody(dv, cmd.mode, cmd.position, cmd.velocity, cmd.effort, cmd.kp, cmd.kd);
      if (len !== HEADER_BYTES + 2 + 20 * this.n) throw new RangeError(`command has ${cmd.position.length} joints, device has ${this.n}`);
    } catch (e) {
      // A malformed command is the caller's bug, not a link fault; still never throw into the control loop.
      this.counts.badCommands++;
      this.opts.log?.(`${this.name}: command not sent: ${(e as Error).message}`);
      return false;
    }
    return this.send(this.encoder.finish(len), true);
  }

  async deactivate(): Promise<void> {
    // Leave the robot damping now rather than after the firmware watchdog fires.
    if (this.linkUp) {
      const n = this.n;
      const zero = new Float64Array(n);
      const kd = new Float64Array(n);
      this.write(this.clock(), 0, { mode: 'damping', position: zero, velocity: zero, effort: zero, kp: zero, kd });
    }
    await this.shutdown();
  }

  /** Latch the device's e-stop (damping until reset()). Sent twice: it is idempotent and must get through. */
  estop(reason = 1): boolean {
    const a = this.sendMessage({ type: 'estop', seq: 0, timeUs: 0, reason });
    const b = this.sendMessage({ type: 'estop', seq: 0, timeUs: 0, reason });
    return a || b;
  }

  /** Clear the device's e-stop and watchdog latches; it idles (damping) until the next command. */
  reset(): boolean {
    return this.sendMessage({ type: 'reset', seq: 0, timeUs: 0 });
  }

  /** Send a heartbeat now (the device echoes it; the echo feeds the RTT statistics). */
  heartbeat(): boolean {
    const ok = this.sendMessage({ type: 'heartbeat', seq: 0, timeUs: 0, status: 0, echoSeq: 0xffff });
    if (ok) this.counts.heartbeatsSent++;
    return ok;
  }

  /** Ask the device to change its state stream rate (Hz); it answers with CONFIG. */
  setStateRate(hz: number): boolean {
    return this.sendMessage({ type: 'config_request', seq: 0, timeUs: 0, stateRateHz: hz });
  }

  stats(): Record<string, number> {
    const out: Record<string, number> = { ...this.counts };
    out.linkUp = this.linkUp ? 1 : 0;
    out.deviceStatus = this.deviceStatus;
    out.deviceMode = this.deviceMode;
    out.rttLastMs = this.lastRttMs;
    for (const [k, v] of this.deviceErrorCounts) out[`deviceError_${k}`] = v;
    return out;
  }

  /**
   * Command→state round trips measured so far (ms): from write() of command seq s to the first STATE that
   * acknowledges s, minus the time the device held it (cmd_age_us), i.e. the link + stack latency.
   */
  rttSamplesMs(): Float64Array {
    const n = Math.min(this.counts.rttCount, RTT_RING);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.rtt[(this.rttHead - n + i + RTT_RING) % RTT_RING]!;
    return out;
  }

  // ---- internals ----

  private configProblem(cfg: ConfigMsg): string | null {
    if (cfg.limits.length !== this.n) {
      return `device reports ${cfg.limits.length} joints, expected ${this.n} (${this.jointNames.join(', ')})`;
    }
    if (cfg.namesHash !== this.expectedHash) {
      return `device joint-names hash 0x${cfg.namesHash.toString(16).padStart(8, '0')} ≠ 0x${this.expectedHash.toString(16).padStart(8, '0')} for [${this.jointNames.join(', ')}]: different names or order`;
    }
    return null;
  }

  private waitConfig(ms: number): Promise<ConfigMsg | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.configWaiters = this.configWaiters.filter((w) => w !== done);
        resolve(null);
      }, ms);
      const done = (c: ConfigMsg) => {
        clearTimeout(timer);
        resolve(c);
      };
      this.configWaiters.push(done);
    });
  }

  private requestConfig(): void {
    this.sendMessage({ type: 'config_request', seq: 0, timeUs: 0, stateRateHz: this.opts.stateRateHz });
  }

  private sendMessage(msg: Message): boolean {
    if (!this.open || !this.port) {
      this.counts.writesWhileDown++;
      return false;
    }
    msg.seq = this.txSeq;
    msg.timeUs = Math.round(this.clock() * 1e6) >>> 0;
    return this.send(this.encoder.finish(writePayload(msg, this.encoder.raw)), false);
  }

  private send(wire: Uint8Array, isCommand: boolean): boolean {
    const r = this.port!.write(wire);
    if (r === 'dropped') {
      // The kernel buffer is full (device not reading, or the baud is too low for the rate): drop rather than
      // queue, so a command is never delivered late. A partial frame is terminated by the next write.
      this.counts.txDropped++;
      return false;
    }
    if (r === 'error') {
      this.counts.writeErrors++;
      this.linkDown('write failed');
      return false;
    }
    if (isCommand) this.sentAt[this.txSeq] = this.clock();
    this.txSeq = (this.txSeq + 1) & 0xffff;
    this.counts.txFrames++;
    this.counts.txBytes += wire.length;
    return true;
  }

  private async openPort(first: boolean): Promise<void> {
    let port: TtyLink;
    try {
      port = await TtyLink.open(this.path, this.baudRate);
    } catch (e) {
      this.counts.openFailures++;
      if (first) throw new Error(`${this.name}: cannot open ${this.path}: ${(e as Error).message}`);
      return;
    }
    if (!this.wanted) {
      port.close();
      return;
    }
    this.port = port;
    this.open = true;
    this.configOk = false;
    this.decoder.reset();
    this.lastRxSeq = -1;
    this.lastRxAt = this.clock();
    port.onData = (chunk) => this.onData(chunk);
    port.onClose = (why) => this.linkDown(why);
    // A lone delimiter ends whatever half frame the device may hold from before; then ask who it is.
    port.write(Uint8Array.of(0));
    if (!first) {
      this.counts.reconnects++;
      this.opts.log?.(`${this.name}: port re-opened`);
      this.requestConfig();
    }
  }

  private linkDown(why: string): void {
    if (!this.open) return;
    this.open = false;
    this.configOk = false;
    this.fresh = false;
    this.counts.disconnects++;
    this.opts.log?.(`${this.name}: link down (${why})`);
    const port = this.port;
    this.port = null;
    port?.close();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (!this.wanted || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(async () => {
      this.reconnectTimer = null;
      if (!this.wanted || this.open) return;
      await this.openPort(false);
      if (!this.open) this.scheduleReconnect();
    }, this.opts.reconnectMs);
    this.reconnectTimer.unref();
  }

  /** Silence watch: no frames for silenceMs → hold states back until the device's CONFIG matches again. */
  private startWatch(): void {
    if (this.watchTimer) return;
    const period = Math.max(20, Math.floor(this.opts.silenceMs / 3));
    this.watchTimer = setInterval(() => {
      if (!this.open) return;
      if (this.clock() - this.lastRxAt > this.opts.silenceMs * 1e-3) {
        if (this.configOk) {
          this.configOk = false;
          this.fresh = false;
          this.counts.silences++;
          this.opts.log?.(`${this.name}: no frames for ${this.opts.silenceMs} ms`);
        }
        this.requestConfig();
      }
    }, period);
    this.watchTimer.unref();
  }

  private onData(chunk: Buffer): void {
    this.counts.rxBytes += chunk.length;
    this.decoder.push(chunk);
  }

  private onMessage(m: Message): void {
    const now = this.clock();
    this.counts.rxFrames++;
    this.lastRxAt = now;
    if (this.lastRxSeq >= 0) {
      const gap = (m.seq - this.lastRxSeq - 1) & 0xffff;
      if (gap > 0 && gap < 0x8000) this.counts.seqGaps += gap;
    }
    this.lastRxSeq = m.seq;
    switch (m.type) {
      case 'state':
        this.onState(m, now);
        break;
      case 'config': {
        this.counts.configs++;
        const problem = this.configProblem(m);
        if (problem) {
          this.counts.configMismatches++;
          this.configOk = false;
          this.opts.log?.(`${this.name}: ${problem}`);
        } else {
          if (!this.configOk) this.timeHi = 0, (this.lastTimeUs = -1);
          this.configOk = true;
          this.device = m;
        }
        for (const w of this.configWaiters.splice(0)) w(m);
        break;
      }
      case 'heartbeat':
        this.deviceStatus = m.status;
        if (m.echoSeq !== 0xffff) this.counts.heartbeatsAnswered++;
        break;
      case 'error': {
        this.counts.deviceErrors++;
        const k = errorName(m.code);
        this.deviceErrorCounts.set(k, (this.deviceErrorCounts.get(k) ?? 0) + 1);
        break;
      }
      default:
        break;
    }
    if (this.listeners.size) for (const fn of this.listeners) fn(m);
  }

  private onState(m: StateMsg, now: number): void {
    this.deviceStatus = m.status;
    this.deviceMode = ['zero_torque', 'position', 'damping', 'hold', 'estop', 'idle'].indexOf(m.mode);
    // RTT: the first state that acknowledges a command we sent, minus the time the device held it.
    if (m.lastCmdSeq !== this.lastAckSeq && m.lastCmdSeq !== 0xffff) {
      this.lastAckSeq = m.lastCmdSeq;
      const sent = this.sentAt[m.lastCmdSeq]!;
      if (!Number.isNaN(sent)) {
        const ms = (now - sent) * 1e3 - m.cmdAgeUs * 1e-3;
        this.sentAt[m.lastCmdSeq] = NaN;
        if (ms >= 0 && ms < 1000) {
          this.lastRttMs = ms;
          this.rtt[this.rttHead] = ms;
          this.rttHead = (this.rttHead + 1) % RTT_RING;
          this.counts.rttCount++;
        }
      }
    }
    if (!this.configOk || m.position.length !== this.n) {
      // Not (yet) confirmed to be the device we configured against: never hand its numbers to the policy.
      this.counts.statesHeldBack++;
      return;
    }
    // Device clock: u32 µs, unwrapped into seconds.
    if (this.lastTimeUs >= 0 && m.timeUs < this.lastTimeUs && this.lastTimeUs - m.timeUs > 0x80000000) this.timeHi++;
    this.lastTimeUs = m.timeUs;
    const n = this.n;
    const s: RobotState = {
      stamp: (this.timeHi * 4294967296 + m.timeUs) * 1e-6,
      receivedAt: now,
      jointPos: new Float64Array(n),
      jointVel: new Float64Array(n),
      jointEffort: new Float64Array(n),
      status: m.status,
    };
    for (let j = 0; j < n; j++) {
      s.jointPos[j] = m.position[j]!;
      s.jointVel[j] = m.velocity[j]!;
      s.jointEffort[j] = m.effort[j]!;
    }
    if (m.status & Status.IMU_VALID && this.device && this.device.flags & ConfigFlags.HAS_IMU) {
      const [x, y, z, w] = m.quat;
      // Gravity (world −z) in the base frame: Rᵀ·(0,0,−1) = −(third row of R).
      s.imu = {
        angVel: [m.gyro[0], m.gyro[1], m.gyro[2]],
        projectedGravity: [-2 * (x * z - w * y), -2 * (y * z + w * x), -(1 - 2 * (x * x + y * y))],
        quat: [x, y, z, w],
      };
    }
    this.latest = s;
    this.fresh = true;
    this.counts.states++;
  }

  private async shutdown(): Promise<void> {
    this.wanted = false;
    for (const t of [this.reconnectTimer, this.heartbeatTimer]) if (t) clearTimeout(t);
    if (this.watchTimer) clearInterval(this.watchTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.reconnectTimer = this.heartbeatTimer = this.watchTimer = null;
    const port = this.port;
    this.port = null;
    this.open = false;
    this.configOk = false;
    port?.close();
  }
}

/** Factory form used by the hardware registry (`--hardware serial:<path>@<baud>`). */
export function createSerialHardware(options: SerialHardwareOptions): SerialHardware {
  return new SerialHardware(options);
}
