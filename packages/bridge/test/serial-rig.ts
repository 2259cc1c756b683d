/**
 * Real parts for serial tests and benchmarks: a socat pty pair and the firmware emulator (hardware/firmware,
 * build/s2r-emu). No mocks: the bridge talks to the same C firmware core a board runs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadUrdf } from '@s2r/core';
import { waitFor } from '../../../test/helpers/wait.ts';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const FIRMWARE_DIR = join(REPO, 'hardware/firmware');
export const EMU = join(FIRMWARE_DIR, 'build/s2r-emu');

/** `--joints` for the emulator: a URDF's actuated joints in URDF order, with the URDF's limits. */
export function emulatorJoints(urdf: string): string {
  const model = loadUrdf(urdf);
  return model.actuatedJoints
    .map((name) => {
      const l = model.joints.find((x) => x.name === name)!.limits!;
      return `${name}:${l.lower}:${l.upper}:${l.velocity}:${l.effort}`;
    })
    .join(',');
}

const built = new Set<string>();
/** Build the emulator (make is incremental; once per process and target). Throws with make's output if it fails. */
export function buildFirmware(target = 'all'): void {
  if (built.has(target)) return;
  built.add(target);
  const r = spawnSync('make', ['-s', '-C', FIRMWARE_DIR, target], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`make -C hardware/firmware ${target} failed:\n${r.stdout}\n${r.stderr}`);
}

/** socat must exist: tests with real ptys are not optional. Installs it from Debian when we are root. */
export function ensureSocat(): string {
  const which = () => spawnSync('sh', ['-c', 'command -v socat'], { encoding: 'utf8' }).stdout.trim();
  let p = which();
  if (!p && process.getuid?.() === 0) {
    spawnSync('apt-get', ['install', '-y', 'socat'], { stdio: 'ignore' });
    p = which();
  }
  if (!p) throw new Error('socat not found: install it (apt-get install -y socat); serial tests need a real pty pair');
  return p;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A socat pty pair with stable symlinked paths: `dev` for the emulator, `host` for the bridge. */
export class PtyPair {
  proc: ChildProcess | null = null;
  readonly dev: string;
  readonly host: string;
  constructor(readonly dir: string) {
    this.dev = join(dir, 'dev');
    this.host = join(dir, 'host');
  }

  static async start(dir = mkdtempSync(join(tmpdir(), 's2r-pty-'))): Promise<PtyPair> {
    const p = new PtyPair(dir);
    await p.start();
    return p;
  }

  async start(): Promise<void> {
    const socat = ensureSocat();
    this.proc = spawn(socat, ['-d', '-d', `pty,raw,echo=0,link=${this.dev}`, `pty,raw,echo=0,link=${this.host}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    this.proc.stderr!.on('data', (d) => (err += d));
    await waitFor(() => existsSync(this.dev) && existsSync(this.host), `socat pty links (${err.trim()})`, { timeoutMs: 5000 });
  }

  /** Kill socat: both ptys vanish, as when a USB-serial adapter is unplugged. */
  async kill(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
    // socat cannot remove its links when SIGKILLed; a stale link would point at a dead pty.
    for (const l of [this.dev, this.host]) rmSync(l, { force: true });
  }

  async cleanup(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface EmuEvent {
  event: string;
  t_us: number;
  from?: string;
  to?: string;
  cmd_age_us?: number;
  /** Lateness (µs) of the control tick that emitted the event. */
  tick_late_us?: number;
  path?: string;
  /** Host time (performance.now ms) the line was read. */
  at: number;
}

/** The firmware emulator as a child process; its JSON event lines (stderr) are collected. */
export class Emulator {
  readonly events: EmuEvent[] = [];
  stdout = '';
  stderrText = '';
  private exited: Promise<number | null>;
  constructor(readonly proc: ChildProcess) {
    let buf = '';
    proc.stderr!.on('data', (d: Buffer) => {
      const s = d.toString();
      this.stderrText += s;
      buf += s;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith('{')) {
          try {
            this.events.push({ ...JSON.parse(line), at: performance.now() });
          } catch {
            /* not an event line */
          }
        }
      }
    });
    proc.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.exited = new Promise((r) => proc.once('exit', (code) => r(code)));
  }

  static start(args: string[]): Emulator {
    buildFirmware();
    return new Emulator(spawn(EMU, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async waitEvent(pred: (e: EmuEvent) => boolean, timeoutMs: number, what: string): Promise<EmuEvent> {
    let found: EmuEvent | undefined;
    await waitFor(() => (found = this.events.find(pred)) !== undefined, `emulator event: ${what}\n${this.stderrText.slice(-2000)}`, { timeoutMs: timeoutMs });
    return found!;
  }

  /** SIGTERM, wait, and return the stats JSON it prints at exit. */
  async stop(): Promise<Record<string, number | string>> {
    if (this.running) this.proc.kill('SIGTERM');
    await Promise.race([this.exited, sleep(3000)]);
    if (this.running) this.proc.kill('SIGKILL');
    const line = this.stdout.split('\n').find((l) => l.startsWith('{"emu":"stats"'));
    return line ? JSON.parse(line) : {};
  }

  kill(): void {
    if (this.running) this.proc.kill('SIGKILL');
  }
}

/** Go1 joint names (the emulator's default joint set), in URDF order. */
export const GO1_JOINTS = [
  'FR_hip_joint', 'FR_thigh_joint', 'FR_calf_joint', 'FL_hip_joint', 'FL_thigh_joint', 'FL_calf_joint',
  'RR_hip_joint', 'RR_thigh_joint', 'RR_calf_joint', 'RL_hip_joint', 'RL_thigh_joint', 'RL_calf_joint',
];

/**
 * A man-in-the-middle on the link: device pty ⇄ this process ⇄ bridge pty, forwarding bytes both ways, with
 * hooks to inject garbage or corrupt bytes in flight. It uses two socat pairs, so both sides still see real ptys.
 */
export class Forwarder {
  private a: import('serialport').SerialPort | null = null;
  private b: import('serialport').SerialPort | null = null;
  /** Probability that a forwarded chunk gets one random bit flipped. */
  flipProbability = 0;
  flipped = 0;
  constructor(readonly deviceSide: string, readonly bridgeSide: string, private readonly rng: () => number = Math.random) {}

  async start(): Promise<void> {
    const { SerialPort } = await import('serialport');
    const open = (path: string) =>
      new Promise<import('serialport').SerialPort>((res, rej) => {
        const p = new SerialPort({ path, baudRate: 1_000_000, autoOpen: false });
        p.open((e) => (e ? rej(e) : res(p)));
      });
    this.a = await open(this.deviceSide);
    this.b = await open(this.bridgeSide);
    this.a.on('data', (d: Buffer) => this.b?.write(this.maybeFlip(d)));
    this.b.on('data', (d: Buffer) => this.a?.write(this.maybeFlip(d)));
    this.a.on('error', () => {});
    this.b.on('error', () => {});
  }

  private maybeFlip(d: Buffer): Buffer {
    if (this.flipProbability > 0 && d.length > 0 && this.rng() < this.flipProbability) {
      const c = Buffer.from(d);
      c[Math.floor(this.rng() * c.length)]! ^= 1 << Math.floor(this.rng() * 8);
      this.flipped++;
      return c;
    }
    return d;
  }

  /** Write raw bytes toward the bridge and/or toward the device. */
  inject(toBridge: Uint8Array | null, toDevice: Uint8Array | null): void {
    if (toBridge) this.b?.write(Buffer.from(toBridge));
    if (toDevice) this.a?.write(Buffer.from(toDevice));
  }

  async stop(): Promise<void> {
    for (const p of [this.a, this.b]) if (p?.isOpen) await new Promise<void>((r) => p.close(() => r()));
    this.a = this.b = null;
  }
}
