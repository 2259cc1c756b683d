/**
 * Load a DeployPolicy from a PolicySource, in whichever thread will run it.
 */
import { pathToFileURL } from 'node:url';
import { isAbsolute, resolve } from 'node:path';
import type { DeployPolicy, PolicySource } from './types.ts';
import { adaptArtifactPolicy } from './artifact.ts';
import { adaptOnnxPolicy } from './onnx.ts';
import { validateDeployPolicy } from './validate.ts';

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
