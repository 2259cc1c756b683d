/**
 * An ONNX policy with its layout resolved: `act(obs)` runs the network once (batch 1) and carries any recurrent
 * state (h_in/c_in ← h_out/c_out) to the next step; `reset()` zeroes it at episode start. Observations are built
 * by the caller (the bridge's observation function, from the layout's terms).
 */
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { loadUrdf } from '@s2r/core/robot/load.ts';
import { loadRobotConfig } from '@s2r/core/robot/load-config.ts';
import { OrtSession } from './ort.ts';
import { readOnnxInfo, type OnnxFileInfo } from './onnx-file.ts';
import { loadLayout } from './layout.ts';
import { resolveLayout, describeLayout, type ResolvedLayout } from './resolve.ts';

export interface OnnxPolicyOptions {
  /** The .onnx file. */
  path: string;
  /** Preset name or layout JSON file. */
  layout: string;
  /** Robot URDF (joint names, tree, effort limits; its s2r.json gives default pose and gains). */
  robot: string;
  jointOrder?: string[];
  zeroTerms?: string[];
  /** Terms this hardware measures beyond joints/IMU/command (sim: ['base_lin_vel']). */
  measures?: string[];
}

export class OnnxPolicy {
  readonly layout: ResolvedLayout;
  readonly file: OnnxFileInfo;
  readonly path: string;
  private readonly session: OrtSession;
  private readonly obsDims: number[];
  private readonly out: Float32Array;
  private readonly state: { input: string; output: string; data: Float32Array; dims: number[] }[];

  constructor(o: OnnxPolicyOptions) {
    this.path = resolvePath(o.path);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(this.path);
    } catch (e) {
      throw new Error(`ONNX policy ${o.path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    this.file = readOnnxInfo(bytes, `ONNX policy ${o.path}`);
    this.session = new OrtSession(bytes, `ONNX policy ${o.path}`);
    try {
      const { spec, where } = loadLayout(o.layout);
      const model = loadUrdf(o.robot);
      this.layout = resolveLayout({
        spec, where, onnxWhere: o.path, model, robotConfig: loadRobotConfig(model), inputs: this.session.inputs, outputs: this.session.outputs,
        metadata: this.file.metadata, jointOrder: o.jointOrder, zeroTerms: o.zeroTerms, measures: o.measures,
      });
    } catch (e) {
      this.session.dispose();
      throw e;
    }
    const inDims = this.session.inputs.find((v) => v.name === this.layout.input)!.dims;
    this.obsDims = inDims.length === 1 ? [this.layout.obsSize] : [1, this.layout.obsSize];
    this.out = new Float32Array(this.layout.actionJoints.length);
    this.state = this.layout.recurrent.map((s) => ({ ...s, data: new Float32Array(s.dims.reduce((a, b) => a * b, 1)) }));
  }

  get obsSize(): number {
    return this.layout.obsSize;
  }

  get actSize(): number {
    return this.out.length;
  }

  /** Raw network output for one observation (clipped to ±actionClip when the layout says), reused buffer. */
  act(obs: Float32Array): Float32Array {
    if (obs.length !== this.layout.obsSize) throw new Error(`ONNX policy ${this.path}: observation has ${obs.length} values, layout expects ${this.layout.obsSize}`);
    const feeds: Record<string, { data: Float32Array; dims: readonly number[] }> = { [this.layout.input]: { data: obs, dims: this.obsDims } };
    for (const s of this.state) feeds[s.input] = { data: s.data, dims: s.dims };
    const r = this.session.run(feeds);
    const a = r[this.layout.output]!;
    const c = this.layout.actionClip ?? Infinity;
    for (let i = 0; i < this.out.length; i++) {
      const v = a[i]!;
      this.out[i] = v > c ? c : v < -c ? -c : v;
    }
    for (const s of this.state) s.data.set(r[s.output]!);
    return this.out;
  }

  /** Episode start: recurrent state back to zero. */
  reset(): void {
    for (const s of this.state) s.data.fill(0);
  }

  describe(): string[] {
    return describeLayout(this.layout);
  }

  dispose(): void {
    this.session.dispose();
  }
}
