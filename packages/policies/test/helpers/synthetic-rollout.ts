/** A PPO rollout of random observations and rewards (no env): fills the storage and computes the returns. */
import type { Rng } from '@s2r/core';
import type { PPO } from '../../src/ppo/ppo.ts';

export function syntheticRollout(ppo: PPO, rng: Rng, privDim = 0, endProb = 0): void {
  const N = ppo.cfg.numEnvs;
  const obs = new Float32Array(N * ppo.dims.obs), act = new Float32Array(N * ppo.dims.act), rew = new Float32Array(N);
  const priv = privDim > 0 ? new Float32Array(N * privDim) : null;
  const term = new Uint8Array(N), trunc = new Uint8Array(N);
  for (let t = 0; t < ppo.cfg.stepsPerEnv; t++) {
    rng.fillNormal(obs);
    if (priv) rng.fillNormal(priv);
    ppo.act(obs, priv, act);
    rng.fillNormal(rew);
    for (let i = 0; i < N; i++) term[i] = endProb > 0 && rng.uniform(0, 1) < endProb ? 1 : 0;
    ppo.processEnvStep(rew, term, trunc);
  }
  rng.fillNormal(obs);
  if (priv) rng.fillNormal(priv);
  ppo.computeReturns(obs, priv);
}
