/**
 * Helpers shared by the BC / diffusion / residual artifacts: bit-exact Float32 weights as base64 (little-endian)
 * inside JSON, and the spec hash that loading checks against the task's specs.
 */
import { createHash } from 'node:crypto';
import type { ActionSpec, SpaceSpec } from '@s2r/sim/env/types.ts';

export function f32ToB64(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

export function b64ToF32(s: string, expected: number | undefined, where: string): Float32Array {
  if (typeof s !== 'string') throw new Error(`${where}: weights must be a base64 string`);
  const buf = Buffer.from(s, 'base64');
  if (buf.byteLength % 4 !== 0) throw new Error(`${where}: ${buf.byteLength} bytes is not a whole number of float32`);
  const out = new Float32Array(buf.byteLength / 4);
  new Uint8Array(out.buffer).set(buf);
  if (expected !== undefined && out.length !== expected) throw new Error(`${where}: ${out.length} values, expected ${expected}`);
  return out;
}

export function encodeParams(p: Record<string, Float32Array>): Record<string, string> {
  const o: Record<string, string> = {};
  for (const k of Object.keys(p).sort()) o[k] = f32ToB64(p[k]!);
  return o;
}

export function decodeParams(o: Record<string, string> | undefined, shapes: Record<string, number[]>, where: string): Record<string, Float32Array> {
  if (!o || typeof o !== 'object') throw new Error(`${where}: weights are missing`);
  const p: Record<string, Float32Array> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    if (!(name in o)) throw new Error(`${where}: weight "${name}" is missing`);
    p[name] = b64ToF32(o[name]!, shape.reduce((a, b) => a * b, 1), `${where}: weight "${name}"`);
  }
  for (const name of Object.keys(o)) if (!(name in shapes)) throw new Error(`${where}: unexpected weight "${name}"`);
  return p;
}

/** SHA-256 (hex, first 16 chars) of the observation and action layouts: names, sizes, units, joints, mode, scale. */
export function specHash(obs: SpaceSpec, act: ActionSpec): string {
  const canon = {
    obs: obs.terms.map((t) => [t.name, t.size, t.unit]),
    act: [act.size, act.joints, act.mode, act.scale, act.unit, act.low, act.high],
  };
  return createHash('sha256').update(JSON.stringify(canon)).digest('hex').slice(0, 16);
}
