/**
 * Issue 15, queue timing against training. The bridge's chunk queue (QueuedSource, fed by an inference channel)
 * must execute what the env's rollout executes for the same observations: DiffusionPolicy.act (policies), which
 * plans a chunk at step 0 and every `execute` steps after, optionally with ACT temporal ensembling.
 * The channel is served here, between the queue's calls, exactly as the inference worker serves it (same cells,
 * same reset handshake), so the test decides when each result "arrives": at once, or some steps late.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '@s2r/core';
import { trainDiffusion } from '@s2r/policies/diffusion/train.ts';
import { DiffusionPolicy } from '@s2r/policies/diffusion/policy.ts';
import { INF, QueuedSource, InlineSource, makeInferenceChannel, resolveEnsemble, type InferenceChannel } from '@s2r/bridge/loop/action-source.ts';
import { PolicyController } from '@s2r/bridge/loop/policy-controller.ts';
import { makeState } from '@s2r/bridge/command.ts';
import type { ChunkSpec, DeployPolicy } from '@s2r/bridge/policy/types.ts';
import { testPipeline } from '../packages/bridge/test/helpers/policies.ts';
import { observationFromSpec } from '@s2r/bridge/policy/observation.ts';
import { datasetFrom } from '../packages/policies/test/diffusion-helpers.ts';

/** The inference worker's side of the channel, run in this thread: answer the pending request, if any. */
function server(ch: InferenceChannel, spec: ChunkSpec, D: number, chunkOf: (hist: Float32Array[]) => ArrayLike<number>) {
  const ctrl = new Int32Array(ch.ctrl);
  const obs = new Float32Array(ch.obs);
  const out = new Float32Array(ch.chunk);
  return {
    pending: () => Atomics.load(ctrl, INF.REQ_SEQ) !== Atomics.load(ctrl, INF.RES_SEQ),
    serve(): void {
      const seq = Atomics.load(ctrl, INF.REQ_SEQ);
      if (seq === Atomics.load(ctrl, INF.RES_SEQ)) return;
      const hist = Array.from({ length: spec.obsHistory }, (_, k) => obs.slice(k * D, (k + 1) * D));
      out.set(chunkOf(hist));
      Atomics.store(ctrl, INF.RES_SEQ, seq);
    },
  };
}

async function toyArtifact(horizon: number, execute: number) {
  const rng = Rng.seed(4);
  const eps = [];
  for (let e = 0; e < 3; e++) {
    const obs: number[][] = [];
    const act: number[][] = [];
    for (let k = 0; k < 30; k++) {
      obs.push([Math.sin(k / 5 + e), rng.normal(), 0.1 * k]);
      act.push([Math.cos(k / 5 + e), 0.5 * Math.sin(k / 3)]);
    }
    eps.push({ obs, act });
  }
  const { artifact } = await trainDiffusion({ demos: datasetFrom(eps, 3, 2), config: { iterations: 5, batchSize: 16, width: 16, seed: 3, horizon, execute, obsHistory: 2 } });
  return artifact;
}

const obsSeq = (T: number) => {
  const r = Rng.seed(11);
  return Array.from({ length: T }, () => Float32Array.from([r.normal(), r.normal(), r.normal()]));
};

/**
 * The bridge's executed actions for an observation sequence: the queue asks on each policy tick; a step it cannot
 * serve is retried through late() after the test's worker answered (`arriveAfter` steps after the request).
 */
function bridgeRollout(q: QueuedSource, srv: ReturnType<typeof server>, obs: Float32Array[], arriveAfter: (step: number) => number): (number[] | null)[] {
  const out: (number[] | null)[] = [];
  let reqAt = -1;
  for (let t = 0; t < obs.length; t++) {
    if (srv.pending() && reqAt >= 0 && t - reqAt >= arriveAfter(reqAt)) srv.serve(); // arrives before this policy tick
    let a = q.next(t, obs[t]!, t * 0.02);
    if (srv.pending() && reqAt < 0) reqAt = t;
    if (!a && srv.pending() && t - reqAt >= arriveAfter(reqAt)) {
      srv.serve(); // arrives between this step's policy tick and the next
      a = q.late(t, t * 0.02); // instant: the latency estimate stays 0 steps
    }
    if (!srv.pending()) reqAt = -1;
    out.push(a ? Array.from(a) : null);
  }
  return out;
}

describe('chunk queue timing against the training rollout', () => {
  it('receding horizon: a₀ at step 0 and the same executed sequence as DiffusionPolicy.act, step for step', async () => {
    const art = await toyArtifact(4, 2);
    const T = 15;
    const obs = obsSeq(T);
    const train = new DiffusionPolicy(art, { rng: Rng.seed(5) });
    const expected = obs.map((o) => Array.from(train.act(o)));
    const spec = { horizon: 4, execute: 2, obsHistory: 2 };
    const ch = makeInferenceChannel(spec, 3, 2);
    const dp = new DiffusionPolicy(art, { rng: Rng.seed(5) });
    const chunks: Float32Array[] = [];
    const srv = server(ch, spec, 3, (h) => { const c = dp.actChunk(h); chunks.push(c); return c; });
    // Instant inference, no margin: the env's timing exactly.
    const q = new QueuedSource(ch, spec, 3, 2, 0.02, { marginSteps: 0 });
    const got = bridgeRollout(q, srv, obs, () => 0);
    expect(got[0]).toEqual(Array.from(chunks[0]!.subarray(0, 2))); // a₀ of the first chunk at step 0
    expect(got).toEqual(expected);
    expect(q.chunks).toBe(Math.ceil(T / 2));
    expect(q.dropped).toBe(0);
  });

  it('temporal ensembling matches DiffusionPolicy.act with ensembling on', async () => {
    const art = await toyArtifact(4, 1);
    const obs = obsSeq(12);
    const train = new DiffusionPolicy(art, { rng: Rng.seed(6), ensemble: true });
    const expected = obs.map((o) => Array.from(train.act(o)));
    const spec = { horizon: 4, execute: 1, obsHistory: 2, ensemble: true, ensembleDecay: train.chunk.ensembleDecay };
    const ch = makeInferenceChannel(spec, 3, 2);
    const dp = new DiffusionPolicy(art, { rng: Rng.seed(6) });
    const srv = server(ch, spec, 3, (h) => dp.actChunk(h));
    const q = new QueuedSource(ch, spec, 3, 2, 0.02, { marginSteps: 0, ensembleDecay: resolveEnsemble(spec) });
    const got = bridgeRollout(q, srv, obs, () => 0);
    got.forEach((a, t) => a!.forEach((v, j) => expect(v).toBeCloseTo(expected[t]![j]!, 5)));
  });

  it('a first chunk that arrives late is not stale: its a₀ runs on the step it arrives, the episode starts there', () => {
    const spec = { horizon: 6, execute: 6, obsHistory: 1 };
    const ch = makeInferenceChannel(spec, 3, 1);
    let calls = 0;
    // Chunk k: 10·k + i for its action i.
    const srv = server(ch, spec, 3, () => {
      const k = calls++;
      return Float32Array.from({ length: 6 }, (_, i) => 10 * k + i);
    });
    const q = new QueuedSource(ch, spec, 3, 1, 0.02, { marginSteps: 0 });
    const got = bridgeRollout(q, srv, obsSeq(9), (r) => (r === 0 ? 3 : 0));
    // Steps 0–2 hold (the robot rests at its default pose); chunk 0 arrives at step 3 and its a₀ runs there, then
    // a₁, a₂, a₃. Having measured a 3-step latency, the queue asks for chunk 1 three steps before it runs out (at
    // step 6); it arrives for step 7, which runs its action 1 (its action 0 was for step 6, now past).
    expect(got).toEqual([null, null, null, [0], [1], [2], [3], [11], [12]]);
    expect(q.dropped).toBe(1);
  });

  it('temporal ensembling is the hand-computed exp(−m·i) average; off is the receding horizon of today', () => {
    const spec = { horizon: 4, execute: 1, obsHistory: 1 };
    const m = 0.5;
    const chunkFor = (r: number) => Float32Array.from({ length: 8 }, (_, x) => 100 * r + Math.floor(x / 2) + 0.5 * (x % 2));
    const run = (decay: number | null) => {
      const ch = makeInferenceChannel(spec, 3, 2);
      let r = 0;
      const srv = server(ch, spec, 3, () => chunkFor(r++));
      const q = new QueuedSource(ch, spec, 3, 2, 0.02, { marginSteps: 0, ensembleDecay: decay });
      return bridgeRollout(q, srv, obsSeq(8), () => 0);
    };
    const on = run(m);
    for (let s = 0; s < 8; s++) {
      // Live predictions for step s: chunks planned at r = max(0, s−3)…s, i = 0 the oldest; chunk r predicts
      // 100r + (s − r) (+0.5 for joint 1).
      let num = 0;
      let den = 0;
      for (let r = Math.max(0, s - 3), i = 0; r <= s; r++, i++) {
        num += Math.exp(-m * i) * (100 * r + (s - r));
        den += Math.exp(-m * i);
      }
      expect(on[s]![0]).toBeCloseTo(num / den, 3);
      expect(on[s]![1]).toBeCloseTo(num / den + 0.5, 3);
    }
    // Off: the newest chunk's action for the step, as the queue served before ensembling existed.
    expect(run(null)).toEqual(Array.from({ length: 8 }, (_, s) => [100 * s, 100 * s + 0.5]));
    // Per policy: the artifact decides (off when it says nothing); --ensemble overrides.
    expect(resolveEnsemble(spec)).toBeNull();
    expect(resolveEnsemble({ ...spec, ensemble: true, ensembleDecay: 0.2 })).toBe(0.2);
    expect(resolveEnsemble({ ...spec, ensemble: true, ensembleDecay: 0.2 }, 'off')).toBeNull();
    expect(resolveEnsemble(spec, 'on')).toBe(0.01);
    expect(resolveEnsemble(spec, 0.3)).toBe(0.3);
    expect(() => resolveEnsemble(spec, -1)).toThrow(/decay must be a finite number ≥ 0/);
  });

  it('a single-step policy in worker mode acts within its own step, like inline, not one step late', () => {
    const joints = ['a', 'b'];
    const obsFn = observationFromSpec([{ name: 'joint_pos_rel', size: 2 }, { name: 'joint_vel', size: 2 }, { name: 'last_action', size: 2 }], 2);
    const act = (o: ArrayLike<number>) => Float32Array.from([4 * o[0]! + o[4]!, -2 * o[1]! + 0.5 * o[5]!]);
    const policy: DeployPolicy = {
      jointNames: joints, obsSize: obsFn.size, actSize: 2, defaultPose: new Float64Array(2), pipeline: testPipeline({ joints, defaultPose: [0, 0] }),
      kp: new Float64Array(2).fill(20), kd: new Float64Array(2).fill(0.5), observe: obsFn.observe, act, reset() {},
    };
    const k = 4;
    const spec = { horizon: 1, execute: 1, obsHistory: 1 };
    const ch = makeInferenceChannel(spec, obsFn.size, 2);
    const srv = server(ch, spec, obsFn.size, (h) => act(h[0]!));
    const mk = (source: InlineSource | QueuedSource) => new PolicyController({ policy, source, hwJoints: joints, decimation: k, period: 0.005, clock: () => 0 });
    const inline = mk(new InlineSource(policy, () => 0));
    const worker = mk(new QueuedSource(ch, spec, obsFn.size, 2, 0.02));
    const st = makeState(2);
    const inlineActs: number[][] = [];
    const workerActs: (number[] | null)[] = [];
    for (let tick = 0; tick < 10 * k; tick++) {
      // The arm moves every tick, so every step observes something new.
      st.jointPos[0] = Math.sin(tick / 7);
      st.jointPos[1] = 0.3 * Math.cos(tick / 5);
      inline.update(tick * 0.005, st, true);
      if (inline.policyTick) inlineActs.push(Array.from(inline.lastAction));
      worker.update(tick * 0.005, st, true);
      if (worker.policyTick) workerActs[Math.floor(tick / k)] = Array.from(worker.lastAction);
      srv.serve(); // the worker answers before the next tick
    }
    // Each step's action comes one tick (the inference time) into its own step: the same actions, the same steps.
    expect(workerActs).toEqual(inlineActs);
    expect(worker.holds).toBe(10); // every policy tick waited for its result…
    expect(worker.stats().late_served).toBe(10); // …and got it within the step
  });
});
