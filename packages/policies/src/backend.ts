/**
 * TensorFlow.js backend selection. Order: tfjs-node-gpu → tfjs-node (optional peers, imported only when
 * installed) → wasm (XNNPACK, SIMD) → cpu. `--backend` overrides. The wasm binary is read from node_modules,
 * never fetched: Node's wasm loader resolves `setWasmPaths` against the local file system.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKENDS: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/** Accepts the names users type (`node`, `node-gpu`, `gpu`) as aliases. */
export function parseBackendName(s: string): BackendName {
  const alias: Record<string, BackendName> = {
    'tensorflow-gpu': 'tensorflow-gpu', 'node-gpu': 'tensorflow-gpu', gpu: 'tensorflow-gpu', 'tfjs-node-gpu': 'tensorflow-gpu',
    tensorflow: 'tensorflow', node: 'tensorflow', 'tfjs-node': 'tensorflow', wasm: 'wasm', cpu: 'cpu',
  };
  const b = alias[s.toLowerCase()];
  if (!b) throw new Error(`unknown backend "${s}"; expected one of ${BACKENDS.join(', ')} (aliases: node, node-gpu)`);
  return b;
}

const require = createRequire(import.meta.url);
let current: BackendName | null = null;

async function tryNode(pkg: string): Promise<boolean> {
  try {
    require.resolve(pkg);
  } catch {
    return false; // not installed: optional peer
  }
  // Registers the 'tensorflow' backend as a side effect. The package is an optional peer, so the specifier
  // is a variable to keep TypeScript from demanding its types.
  const spec: string = pkg;
  await import(spec);
  return true;
}

async function initOne(name: BackendName): Promise<boolean> {
  switch (name) {
    case 'tensorflow-gpu':
      if (!(await tryNode('@tensorflow/tfjs-node-gpu'))) return false;
      return tf.setBackend('tensorflow');
    case 'tensorflow':
      if (!(await tryNode('@tensorflow/tfjs-node'))) return false;
      return tf.setBackend('tensorflow');
    case 'wasm': {
      // The emscripten glue adds process-wide 'uncaughtException'/'unhandledRejection' handlers that rethrow,
      // which makes Node print the whole minified module source with every later error. Remove exactly the
      // handlers it added (snapshot before, diff after) so errors print normally.
      const before = { ue: process.listeners('uncaughtException'), ur: process.listeners('unhandledRejection') };
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const dir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
      // Plain paths: the emscripten loader in Node reads them with fs, so nothing touches the network.
      wasm.setWasmPaths(dir, false);
      const ok = await tf.setBackend('wasm');
      await tf.ready();
      for (const l of process.listeners('uncaughtException')) if (!before.ue.includes(l)) process.removeListener('uncaughtException', l);
      for (const l of process.listeners('unhandledRejection')) if (!before.ur.includes(l)) process.removeListener('unhandledRejection', l);
      return ok;
    }
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return tf.setBackend('cpu');
  }
}

/**
 * Pick and initialise the backend (once per thread). With `prefer`, only that backend is tried and failure is
 * an error naming it; without, the first that works in BACKENDS order wins.
 */
export async function initBackend(prefer?: BackendName | string, opts: { quiet?: boolean } = {}): Promise<BackendName> {
  const wanted = prefer ? parseBackendName(prefer) : undefined;
  if (current && (!wanted || wanted === current)) return current;
  const order = wanted ? [wanted] : BACKENDS;
  for (const name of order) {
    let ok = false;
    try {
      ok = await initOne(name);
    } catch (err) {
      if (wanted) throw new Error(`backend "${name}" failed to initialise: ${(err as Error).message}`);
    }
    if (ok) {
      await tf.ready();
      current = name;
      if (!opts.quiet) console.log(`tfjs backend: ${name}`);
      return name;
    }
    if (wanted) throw new Error(`backend "${name}" is not available (is its package installed?)`);
  }
  throw new Error('no tfjs backend could be initialised');
}

export { tf };
