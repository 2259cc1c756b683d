/**
 * Shape checks on a DeployPolicy, shared by the artifact adapter (artifact.ts) and the module loader (load.ts),
 * which is why they live apart from both: load.ts imports artifact.ts, so artifact.ts may not import load.ts.
 */
import { checkPipelineSpec } from '@s2r/core';
import type { DeployPolicy } from './types.ts';

/** Shape checks that turn a malformed policy into one clear error before anything moves. */
export function validateDeployPolicy(p: DeployPolicy, where: string): void {
  const n = p.jointNames?.length ?? 0;
  const bad = (msg: string) => new Error(`policy ${where}: ${msg}`);
  if (!n) throw bad('has no joint names');
  if (p.actSize !== n) throw bad(`actSize ${p.actSize} != ${n} joint names`);
  if (!(p.obsSize > 0)) throw bad(`obsSize must be > 0, got ${p.obsSize}`);
  for (const [k, v] of [['defaultPose', p.defaultPose], ['kp', p.kp], ['kd', p.kd]] as const) {
    if (!v || v.length !== n) throw bad(`${k} has ${v?.length ?? 0} entries, expected ${n}`);
    for (let i = 0; i < n; i++) if (!Number.isFinite(v[i]!)) throw bad(`${k}[${p.jointNames[i]}] is not finite`);
  }
  if (!p.pipeline) throw bad('has no action pipeline settings (pipeline: the ActionPipelineSpec it was trained behind)');
  try {
    checkPipelineSpec(p.pipeline);
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (p.pipeline.joints.join(',') !== p.jointNames.join(',')) throw bad(`pipeline drives [${p.pipeline.joints.join(', ')}] but the policy acts on [${p.jointNames.join(', ')}]`);
  if (!p.act && !p.actChunk) throw bad('has neither act() nor actChunk()');
  if (p.actChunk && !p.chunk) throw bad('has actChunk() but no chunk {horizon, execute, obsHistory}');
  if (typeof p.observe !== 'function') throw bad('has no observe(input, out)');
}
