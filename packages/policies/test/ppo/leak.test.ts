import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@s2r/core';
import { initBackend } from '../../src/backend.ts';
import { PPO } from '../../src/ppo/ppo.ts';
import { defaultPpoConfig } from '../../src/ppo/config.ts';

describe('PPO memory', () => {
  it('holds a constant number of tensors and wasm bytes across iterations (no leak), and frees them on dispose', async () => {
    await initBackend('wasm', { quiet: true });
    const base = tf.memory().numTensors;
    const cfg = { ...defaultPpoConfig('toy'), numEnvs: 8, stepsPerEnv: 8, numMinibatches: 2, numEpochs: 2, actorHidden: [16, 16], criticHidden: [16, 16] };
    for (const inference of ['js', 'tfjs'] as const) {
      const ppo = new PPO({ ...cfg, rolloutInference: inference }, { obs: 3, priv: 2, act: 2 }, Rng.seed(1));
      const rng = Rng.seed(2);
      const obs = new Float32Array(8 * 3);
      const priv = new Float32Array(8 * 2);
      const act = new Float32Array(8 * 2);
      const rew = new Float32Array(8);
      const z = new Uint8Array(8);
      const iterate = () => {
        for (let t = 0; t < 8; t++) {
          rng.fillNormal(obs);
          rng.fillNormal(priv);
          ppo.act(obs, priv, act);
          rng.fillNormal(rew);
          ppo.processEnvStep(rew, z, z);
        }
        ppo.computeReturns(obs, priv);
        ppo.update();
      };
      iterate();
      const n1 = tf.memory().numTensors;
      const b1 = tf.memory().numBytes;
      for (let i = 0; i < 5; i++) iterate();
      expect(tf.memory().numTensors).toBe(n1);
      expect(tf.memory().numBytes).toBe(b1);
      ppo.dispose();
    }
    // only the cached ones-rows of nn/dense.ts (one per batch size) may outlive the learners
    expect(tf.memory().numTensors - base).toBeLessThanOrEqual(4);
  });
});
