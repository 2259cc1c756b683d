/**
 * A synchronous ONNX Runtime session for the control thread. onnxruntime-node's public `run()` returns a Promise
 * (it defers the native call with setImmediate), but the control loop calls `act(obs)` synchronously every policy
 * tick; the native binding's `run` itself is synchronous, so s2r calls it directly. The CPU binary ships inside the
 * npm package (its install script stays off). Float32 tensors only: policy inputs and outputs are float32.
 */
import { createRequire } from 'node:module';

export interface OrtValueInfo {
  name: string;
  /** Dimensions; symbolic ones (batch) as strings. */
  dims: (number | string)[];
  type: string;
}

interface NativeSession {
  loadModel(buf: ArrayBuffer, offset: number, length: number, options: object): void;
  inputMetadata: { name: string; isTensor: boolean; type: number; shape: number[]; symbolicDimensions: string[] }[];
  outputMetadata: NativeSession['inputMetadata'];
  run(feeds: Record<string, unknown>, fetches: Record<string, null>, options: object): Record<string, { data: Float32Array; dims: number[] }>;
  dispose(): void;
}

const TYPES: Record<number, string> = { 1: 'float32', 7: 'int64', 11: 'float64', 6: 'int32', 9: 'bool' };

let native: { binding: { InferenceSession: new () => NativeSession }; initOrt(): void; Tensor: new (t: string, d: Float32Array, dims: readonly number[]) => unknown } | null = null;

function ort() {
  if (native) return native;
  const require = createRequire(import.meta.url);
  try {
    const b = require('onnxruntime-node/dist/binding.js');
    const common = require('onnxruntime-common');
    native = { binding: b.binding, initOrt: b.initOrt, Tensor: common.Tensor };
  } catch (e) {
    throw new Error(`onnxruntime-node failed to load its CPU binary for ${process.platform}/${process.arch} (${(e as Error).message})`);
  }
  return native;
}

export class OrtSession {
  readonly inputs: OrtValueInfo[];
  readonly outputs: OrtValueInfo[];
  private readonly s: NativeSession;
  private readonly fetches: Record<string, null>;
  private disposed = false;

  constructor(bytes: Uint8Array, where: string) {
    const o = ort();
    o.initOrt();
    this.s = new o.binding.InferenceSession();
    try {
      // One intra-op thread: a batch-1 MLP gains nothing from more, and the control thread must not fan out.
      this.s.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    } catch (e) {
      throw new Error(`${where}: ONNX Runtime cannot load it (${(e as Error).message})`);
    }
    const info = (m: NativeSession['inputMetadata']) =>
      m.map((v) => ({ name: v.name, type: v.isTensor ? (TYPES[v.type] ?? `type ${v.type}`) : 'non-tensor', dims: v.shape.map((d, i) => (d === -1 ? v.symbolicDimensions[i] ?? '?' : d)) }));
    this.inputs = info(this.s.inputMetadata);
    this.outputs = info(this.s.outputMetadata);
    this.fetches = Object.fromEntries(this.outputs.map((o) => [o.name, null]));
  }

  /** Run once. Feeds: name → float32 data with its dims. Returns every output's data (float32). */
  run(feeds: Record<string, { data: Float32Array; dims: readonly number[] }>): Record<string, Float32Array> {
    if (this.disposed) throw new Error('ONNX session used after dispose()');
    const T = ort().Tensor;
    const f: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(feeds)) f[k] = new T('float32', v.data, v.dims);
    const r = this.s.run(f, this.fetches, {});
    const out: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(r)) out[k] = v.data;
    return out;
  }

  dispose(): void {
    if (!this.disposed) this.s.dispose();
    this.disposed = true;
  }
}
