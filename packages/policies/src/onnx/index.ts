/** ONNX policies in and out: layouts and presets, the runtime policy, and export of s2r artifacts. */
export { OnnxPolicy, type OnnxPolicyOptions } from './onnx-policy.ts';
export { PRESETS, S2R_TERMS, UNMEASURED_ON_ROBOTS, MJLAB_NAME } from './presets.ts';
export { loadLayout, checkLayoutJson, jointOrderByRule, LayoutError } from './layout.ts';
export type { LayoutSpec, LayoutTermSpec, JointOrderRule, PerJoint } from './layout-spec.ts';
export { resolveLayout, describeLayout, type ResolvedLayout, type ResolvedTerm } from './resolve.ts';
export { OrtSession, type OrtValueInfo } from './ort.ts';
export { readOnnxInfo, writeOnnxModel, type OnnxFileInfo } from './onnx-file.ts';
export { exportArtifactToOnnx, exportPolicyFileToOnnx, EXPORT_OPSET, type OnnxExport } from './export.ts';
