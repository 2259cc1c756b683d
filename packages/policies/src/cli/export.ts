/**
 * `npx s2r export <policy.json> --onnx out.onnx`: an s2r MLP policy as ONNX with the normalizer baked in and
 * mjlab-style metadata, for other runtimes (mjlab's, ONNX Runtime on a robot computer) and `s2r deploy --layout mjlab`.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, UsageError, type Command } from '@s2r/core';
import { exportPolicyFileToOnnx, EXPORT_OPSET } from '../onnx/export.ts';
import { OrtSession } from '../onnx/ort.ts';

const usage = `Usage: npx s2r export <run-folder|policy.json> --onnx <out.onnx>

Writes the policy's MLP as ONNX (opset ${EXPORT_OPSET}, batch 1): input "obs" [1,N] → output "actions" [1,A], the
observation normalizer and the action clip inside the graph. Metadata as mjlab writes it (CSV strings): joint_names,
joint_stiffness, joint_damping, default_joint_pos, action_scale, command_names, observation_names (mjlab's term names
in the network's input order), plus s2r's observation_sizes and policy_rate_hz. Deploy it back with
  npx s2r deploy --policy out.onnx --layout mjlab --robot <urdf> --hardware ...
The file is loaded once with ONNX Runtime before the command reports success. Ends with one JSON line.`;

export const command: Command = {
  name: 'export',
  summary: 'Export a policy artifact to ONNX (normalizer baked in, mjlab metadata)',
  usage,
  async run(argv) {
    const a = parseArgs(argv, { values: ['onnx'], booleans: [] });
    const target = a.positional[0];
    if (!target) throw new UsageError('missing <run-folder|policy.json>');
    if (a.positional.length > 1) throw new UsageError(`unexpected argument "${a.positional[1]}"`);
    const out = a.str('onnx');
    if (!out) throw new UsageError('--onnx <out.onnx> is required');
    let path = target;
    if (existsSync(target) && statSync(target).isDirectory()) path = join(target, 'policy.json');
    if (!existsSync(path)) throw new UsageError(`${path}: no such file`);
    const e = await exportPolicyFileToOnnx(path);
    // Check the bytes with the runtime that will run them before calling it done.
    const s = new OrtSession(e.bytes, out);
    const y = s.run({ obs: { data: new Float32Array(e.obsSize), dims: [1, e.obsSize] } }).actions;
    s.dispose();
    if (!y || y.length !== e.actSize || !y.every(Number.isFinite)) throw new Error(`${out}: ONNX Runtime ran the export but its output is not ${e.actSize} finite actions`);
    writeFileSync(out, e.bytes);
    console.log(`${path} → ${out} (${(e.bytes.length / 1024).toFixed(0)} KiB, opset ${EXPORT_OPSET}, obs [1,${e.obsSize}] → actions [1,${e.actSize}])`);
    console.log(`  observation_names ${e.metadata.observation_names}`);
    console.log(JSON.stringify({ export: 'done', policy: path, onnx: out, bytes: e.bytes.length, opset: EXPORT_OPSET, obs_size: e.obsSize, act_size: e.actSize, metadata: e.metadata }));
    return 0;
  },
};
