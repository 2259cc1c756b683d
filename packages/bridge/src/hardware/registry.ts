/**
 * HardwareSpec: plain data naming a hardware interface, so it can be constructed inside the control thread.
 * Parsing of the CLI's `--hardware` string lives here too.
 */
import { pathToFileURL } from 'node:url';
import { isAbsolute, resolve } from 'node:path';
import type { HardwareInterface } from '../types.ts';
import type { SimHardwareOptions } from './sim.ts';
import { parseSerialSpec } from './serial-spec.ts';
import type { SerialHardwareOptions } from './serial.ts';
import type { RosHardwareOptions } from './ros.ts';

export type HardwareSpec =
  | { kind: 'mock'; jointNames: string[]; initialPos?: number[] }
  | { kind: 'sim'; options: SimHardwareOptions }
  | { kind: 'ros'; options: RosHardwareOptions }
  | { kind: 'serial'; path: string; baud: number; options?: Record<string, unknown> }
  /** Any module exporting a factory `(options) => HardwareInterface | Promise<…>` (tests, custom robots). */
  | { kind: 'module'; module: string; export?: string; options?: unknown; needsEventLoop?: boolean };

/** Does this hardware do its I/O with callbacks on the control thread (so the loop must yield between ticks)? */
export function needsEventLoop(spec: HardwareSpec): boolean {
  if (spec.kind === 'ros' || spec.kind === 'serial') return true;
  if (spec.kind === 'module') return spec.needsEventLoop ?? true;
  return false;
}

/**
 * What the control thread hands the hardware beyond its plain-data spec (functions do not cross into a worker):
 * a log for link events, the control rate, and the e-stop latch and reset (for hardware with its own e-stop input).
 */
export interface HardwareContext {
  log?: (msg: string) => void;
  rateHz?: number;
  estop?: (reason: string) => void;
  reset?: () => void;
}

export async function createHardware(spec: HardwareSpec, ctx: HardwareContext = {}): Promise<HardwareInterface> {
  switch (spec.kind) {
    case 'mock': {
      const { MockHardware } = await import('./mock.ts');
      return new MockHardware(spec);
    }
    case 'sim': {
      const { SimHardware } = await import('./sim.ts');
      return new SimHardware(spec.options);
    }
    case 'ros': {
      const { RosHardware } = await import('./ros.ts');
      const o = spec.options;
      return new RosHardware({ ...o, log: o.log ?? ctx.log, rateHz: o.rateHz ?? ctx.rateHz, onEstop: o.onEstop ?? ctx.estop, onReset: o.onReset ?? ctx.reset });
    }
    case 'serial': {
      // Loaded on demand (a literal specifier, type-checked): serialport's native binding is only needed here.
      const { createSerialHardware } = await import('./serial.ts');
      return createSerialHardware({ ...(spec.options as Omit<SerialHardwareOptions, 'path' | 'baud'>), path: spec.path, baud: spec.baud });
    }
    case 'module': {
      const s = spec.module;
      const url = s.startsWith('file:') ? s : isAbsolute(s) || s.startsWith('.') ? pathToFileURL(resolve(s)).href : s;
      const mod = (await import(url)) as Record<string, unknown>;
      const f = mod[spec.export ?? 'default'];
      if (typeof f !== 'function') throw new Error(`hardware module ${s} has no function export "${spec.export ?? 'default'}"`);
      return await (f as (o: unknown) => HardwareInterface | Promise<HardwareInterface>)(spec.options);
    }
  }
}

/**
 * Parse `--hardware`: `sim`, `mock`, `serial:/dev/ttyUSB0@1000000`, `ros:ws://host:9090`.
 * Options beyond the address come from the caller (robot, noise, topics…).
 */
export function parseHardwareArg(s: string): { kind: 'sim' } | { kind: 'mock' } | { kind: 'serial'; path: string; baud: number } | { kind: 'ros'; url: string } {
  if (s === 'sim') return { kind: 'sim' };
  if (s === 'mock') return { kind: 'mock' };
  if (s.startsWith('serial:')) {
    const { path, baudRate } = parseSerialSpec(s);
    return { kind: 'serial', path, baud: baudRate };
  }
  if (s.startsWith('ros:')) {
    const url = s.slice(4);
    if (!/^wss?:\/\//.test(url)) throw new Error(`--hardware ${s}: ros needs a rosbridge WebSocket URL, e.g. ros:ws://localhost:9090`);
    return { kind: 'ros', url };
  }
  throw new Error(`--hardware "${s}": expected sim, mock, serial:<port>@<baud> or ros:ws://<host>:<port>`);
}
