import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, parseBackendName } from '../src/backend.ts';

const has = (pkg: string) => {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
};

describe('tfjs backend selection', () => {
  it('parses names and aliases, and names the choices on a typo', () => {
    expect(parseBackendName('node')).toBe('tensorflow');
    expect(parseBackendName('node-gpu')).toBe('tensorflow-gpu');
    expect(parseBackendName('WASM')).toBe('wasm');
    expect(() => parseBackendName('cuda')).toThrow(/unknown backend "cuda"; expected one of tensorflow-gpu, tensorflow, wasm, cpu/);
  });

  it('an explicit backend that is not installed is an error naming it (optional peers)', async () => {
    if (has('@tensorflow/tfjs-node')) return; // installed here: nothing to assert about its absence
    await expect(initBackend('node', { quiet: true })).rejects.toThrow(/backend "tensorflow" is not available/);
  });

  it('the automatic choice falls through to wasm here (no tfjs-node), loading the binary from node_modules', async () => {
    const chosen = await initBackend(undefined, { quiet: true });
    if (!has('@tensorflow/tfjs-node') && !has('@tensorflow/tfjs-node-gpu')) expect(chosen).toBe('wasm');
    expect(tf.getBackend()).toBe(chosen === 'wasm' ? 'wasm' : chosen === 'cpu' ? 'cpu' : 'tensorflow');
    // the wasm glue's process-wide rethrowing handlers were removed
    expect(process.listeners('uncaughtException').some((l) => String(l).includes('ExitStatus'))).toBe(false);
    const y = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2], [1, 2]), tf.tensor2d([3, 4], [2, 1])).dataSync()[0]);
    expect(y).toBe(11);
  });
});
