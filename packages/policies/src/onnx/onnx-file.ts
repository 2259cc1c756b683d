/**
 * ONNX model files at the byte level: read what the ONNX runtime does not expose (the model's metadata_props, where
 * mjlab stores its deployment facts as CSV strings, and the opset), and write a small float32 graph (s2r's export).
 * Field numbers are those of onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto).
 */
import { PbWriter, pbDecode, pbString } from './protobuf.ts';

export interface OnnxFileInfo {
  irVersion: number;
  /** Default-domain opset version (0 if absent). */
  opset: number;
  producer: string;
  /** metadata_props as key → value (mjlab: CSV strings). */
  metadata: Record<string, string>;
}

export function readOnnxInfo(bytes: Uint8Array, where: string): OnnxFileInfo {
  const info: OnnxFileInfo = { irVersion: 0, opset: 0, producer: '', metadata: {} };
  let fields;
  try {
    fields = pbDecode(bytes, where);
  } catch (e) {
    throw new Error(`${where}: not an ONNX model file (${(e as Error).message})`);
  }
  let hasGraph = false;
  for (const f of fields) {
    if (f.no === 1 && f.wire === 0) info.irVersion = f.int;
    else if (f.no === 2 && f.wire === 2) info.producer = pbString(f.bytes);
    else if (f.no === 7 && f.wire === 2) hasGraph = true;
    else if (f.no === 8 && f.wire === 2) {
      let domain = '';
      let version = 0;
      for (const g of pbDecode(f.bytes!, `${where}: opset_import`)) {
        if (g.no === 1 && g.wire === 2) domain = pbString(g.bytes);
        else if (g.no === 2 && g.wire === 0) version = g.int;
      }
      if (domain === '' || domain === 'ai.onnx') info.opset = version;
    } else if (f.no === 14 && f.wire === 2) {
      let k = '';
      let v = '';
      for (const g of pbDecode(f.bytes!, `${where}: metadata_props`)) {
        if (g.no === 1 && g.wire === 2) k = pbString(g.bytes);
        else if (g.no === 2 && g.wire === 2) v = pbString(g.bytes);
      }
      info.metadata[k] = v;
    }
  }
  if (!hasGraph) throw new Error(`${where}: not an ONNX model file (no graph)`);
  return info;
}

/** A float32 constant (initializer). */
export interface OnnxConst {
  name: string;
  dims: number[];
  data: ArrayLike<number>;
}

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  /** Attributes: number → float (FLOAT), {int} → INT. */
  attrs?: Record<string, number | { int: number }>;
}

export interface OnnxGraphSpec {
  name: string;
  inputs: { name: string; dims: number[] }[];
  outputs: { name: string; dims: number[] }[];
  nodes: OnnxNode[];
  consts: OnnxConst[];
  opset: number;
  producer: string;
  producerVersion: string;
  metadata: Record<string, string>;
}

const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR_FLOAT = 1;
const ATTR_INT = 2;

function valueInfo(name: string, dims: number[]): PbWriter {
  const shape = new PbWriter();
  for (const d of dims) shape.message(1, new PbWriter().int(1, d));
  const tensor = new PbWriter().int(1, FLOAT).message(2, shape);
  return new PbWriter().string(1, name).message(2, new PbWriter().message(1, tensor));
}

/** ModelProto bytes for a float32 graph (IR version 8, default domain at `opset`). */
export function writeOnnxModel(g: OnnxGraphSpec): Uint8Array {
  const graph = new PbWriter();
  g.nodes.forEach((n, k) => {
    const node = new PbWriter();
    for (const i of n.inputs) node.string(1, i);
    for (const o of n.outputs) node.string(2, o);
    node.string(3, `${n.op}_${k}`).string(4, n.op);
    for (const [name, v] of Object.entries(n.attrs ?? {})) {
      const a = new PbWriter().string(1, name);
      if (typeof v === 'number') a.float(2, v).int(20, ATTR_FLOAT);
      else a.int(3, v.int).int(20, ATTR_INT);
      node.message(5, a);
    }
    graph.message(1, node);
  });
  graph.string(2, g.name);
  for (const c of g.consts) {
    const t = new PbWriter();
    for (const d of c.dims) t.int(1, d);
    t.int(2, FLOAT).string(8, c.name);
    const raw = new Uint8Array(c.data.length * 4);
    const dv = new DataView(raw.buffer);
    for (let i = 0; i < c.data.length; i++) dv.setFloat32(i * 4, c.data[i]!, true);
    t.bytes(9, raw);
    graph.message(5, t);
  }
  for (const i of g.inputs) graph.message(11, valueInfo(i.name, i.dims));
  for (const o of g.outputs) graph.message(12, valueInfo(o.name, o.dims));
  const model = new PbWriter().int(1, 8).message(8, new PbWriter().string(1, '').int(2, g.opset)).string(2, g.producer).string(3, g.producerVersion).message(7, graph);
  for (const [k, v] of Object.entries(g.metadata)) model.message(14, new PbWriter().string(1, k).string(2, v));
  return model.finish();
}
