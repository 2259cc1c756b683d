/**
 * Load a DeployPolicy from a PolicySource, in whichever thread will run it.
 */
import { pathToFileURL } from 'node:url';
import { isAbsolute, resolve } from 'node:path';
import type { DeployPolicy, PolicySource } from './types.ts';
import { adaptArtifactPolicy } from './artifact.ts';
import { adaptOnnxPolicy } from './onnx.ts';

export async function loadDeployPolicy(source: PolicySource): Promise<DeployPolicy> {
  if ('artifact' in source) return adaptArtifactPolicy(source.artifact, source.task);
  if ('onnx' in source) {
    const p = await adaptOnnxPolicy(source);
    validateDeployPolicy(p, source.onnx);
    return p;
  }
  const spec = source.module;
  const url = spec.startsWith('file:') || spec.startsWith('node:') ? spec : isAbsolute(spec) || spec.startsWith('.') ? pathToFileURL(resolve(spec)).href : spec;
  const mod = (await import(url)) as Record<string, unknown>;
  const name = source.export ?? 'default';
  const factory = mod[name];
  if (typeof factory !== 'function') throw new Error(`policy module ${spec} has no function export "${name}"`);
  const p = (await (factory as (o: unknown) => DeployPolicy | Promise<DeployPolicy>)(source.options)) as DeployPolicy;
  validateDeployPolicy(p, `${spec}#${name}`);
  return p;
}

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
  if (!Number.isFinite(p.actionScale)) throw bad(`actionScale is not finite`);
  if (!p.act && !p.actChunk) throw bad('has neither act() nor actChunk()');
  if (p.actChunk && !p.chunk) throw bad('has actChunk() but no chunk {horizon, execute, obsHistory}');
  if (typeof p.observe !== 'function') throw bad('has no observe(input, out)');
}
