/**
 * The one parser of a serial port spec, used by `--hardware serial:…` (registry.ts) and `createSerialHardware`
 * (serial.ts). Kept apart from serial.ts so parsing a spec never loads the serialport bindings.
 */
/** `serial:/dev/ttyUSB0@1000000` → { path, baudRate }. The `serial:` prefix and `@baud` are optional. */
export function parseSerialSpec(spec: string): { path: string; baudRate: number } {
  const s = spec.startsWith('serial:') ? spec.slice('serial:'.length) : spec;
  const at = s.lastIndexOf('@');
  const path = at >= 0 ? s.slice(0, at) : s;
  const baudStr = at >= 0 ? s.slice(at + 1) : '1000000';
  const baudRate = Number(baudStr);
  if (!path) throw new Error(`serial spec "${spec}": missing device path (expected serial:/dev/ttyUSB0@1000000)`);
  if (!Number.isInteger(baudRate) || baudRate <= 0) throw new Error(`serial spec "${spec}": baud "${baudStr}" is not a positive integer`);
  return { path, baudRate };
}
