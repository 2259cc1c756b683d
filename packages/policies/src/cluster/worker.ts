/**
 * A rollout worker (`s2r worker --cluster nats://host:4222`): its own VecEnv on its own cores, the newest policy
 * version from KV, fixed-size segments to the run's JetStream subject.
 *
 * Seeds: the worker claims slot k of the run (KV create, first free); it names the worker's segments. The envs and
 * the action noise belong to a *part*: in asynchronous mode part = slot (one per worker); in lock-step mode
 * (--deterministic) the parts are the batch's positions 0..B−1, claimed by workers (claimParts), so a segment's
 * content depends on (policy version, part) only and the same seed gives the same run whatever the worker count.
 * Part 0 draws exactly the streams a local `s2r train` would (env seed, action noise from
 * Rng(seed).split('ppo').split('noise')), which makes a one-worker, one-part run equal to a local one; part k > 0
 * splits 'worker-k' off both. A worker that dies leaves its slot claimed, and its replacement takes a new one.
 */
import { hostname } from 'node:os';
import { Kvm, type KV } from '@nats-io/kv';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Rng } from '@s2r/core';
import type { EpisodeStats } from '@s2r/sim/env/types.ts';
import { initBackend } from '../backend.ts';
import { PPO } from '../ppo/ppo.ts';
import { connectCluster, KV_BUCKET, partKey, SEGMENT_STREAM, type ClusterAuth } from './connect.ts';
import { fetchPolicy, PolicyRefused, readAnnouncement, type PolicyAnnouncement, type PolicyVersion } from './policy-store.ts';
import { encodeSegment, type Segment } from './segment.ts';
import { parseJob, retry, sleep, type ClusterJob } from './job.ts';

export interface WorkerOptions {
  url: string;
  auth: ClusterAuth;
  /** Env worker threads (0 = step the envs in this thread). */
  threads: number;
  /** Seconds any wait (for a job, a policy version, the server) may last before the worker fails. */
  waitS: number;
  backend?: string;
  /** Stop after this many published segments (tests, benchmarks); 0 = until the job is done. */
  maxSegments?: number;
  signal?: AbortSignal;
  log?: (s: string) => void;
}

export interface WorkerResult {
  runId: string;
  slot: number;
  segments: number;
  bytes: number;
  refused: number;
  /** Milliseconds spent collecting (env steps + behaviour policy) and publishing (encode + JetStream ack). */
  collectMs: number;
  publishMs: number;
  stoppedBy: 'job-done' | 'max-segments' | 'signal';
}

const sameVersion = (a: PolicyAnnouncement | null, p: PolicyVersion | null) => !!a && !!p && a.incarnation === p.incarnation && a.version === p.version && a.runId === p.runId;

/** Load a policy version (weights and normalizers) into the behaviour PPO, with the action-noise state of one part. */
function loadVersion(ppo: PPO, p: PolicyVersion, noise: number[]): void {
  const base = ppo.getState();
  ppo.setState({ ...base, actor: p.actor, critic: p.critic, logStd: p.logStd, obsNorm: p.obsNorm, criticNorm: p.criticNorm, rng: { noise, minibatch: base.rng.minibatch } });
}

async function waitForJob(kv: KV, o: WorkerOptions & { log: (s: string) => void }, log: (s: string) => void): Promise<ClusterJob | null> {
  const t0 = performance.now();
  let told = false;
  for (;;) {
    const job = parseJob((await retry('worker: reading the job', () => kv.get('job'), o))?.value);
    if (job && job.status === 'running') return job;
    if (o.signal?.aborted) return null;
    if ((performance.now() - t0) / 1000 > o.waitS) throw new Error(`no training job announced on ${o.url} within ${o.waitS} s; start the learner with: npx s2r train <task> --cluster ${o.url}`);
    if (!told) log(`worker: waiting for a learner on ${o.url} (${job ? `run ${job.runId} is done` : 'no job yet'}; gives up after ${o.waitS} s)`);
    told = true;
    await sleep(250);
  }
}

export async function runWorker(opts: WorkerOptions): Promise<WorkerResult> {
  const log = opts.log ?? ((s: string) => console.log(s));
  const o = { ...opts, log };
  const name = `${hostname()}-${process.pid}`;
  const nc: NatsConnection = await connectCluster(o.url, { auth: o.auth, name: `s2r-worker-${name}`, log });
  try {
    log(`worker ${name}: connected to ${o.url} (credentials: ${o.auth.source})`);
    const kv = await retry('worker: opening KV bucket', () => new Kvm(nc).create(KV_BUCKET, { history: 1 }), o);
    for (;;) {
      const job = await waitForJob(kv, o, log);
      if (!job) return { runId: '', slot: -1, segments: 0, bytes: 0, refused: 0, collectMs: 0, publishMs: 0, stoppedBy: 'signal' };
      const r = await serveJob(nc, kv, job, name, o);
      // A new learner replaced the run this worker served (e.g. the old one crashed): serve the new one.
      if (r !== 'switched') return r;
    }
  } finally {
    await nc.close();
  }
}

/** Seeds of one part of the batch (envs, action noise), from the run's seed, the part and the version it starts at. */
function partStreams(seed: number, part: number, from: number): { envSeed: number; noise: number[] } {
  const root = Rng.seed(seed);
  // Part 0 from version 0: the seed and noise stream a fresh local run gives its VecEnv and PPO (ppo/train.ts).
  if (part === 0 && from === 0) return { envSeed: (seed * 1_000_003) % 2 ** 31, noise: root.split('ppo').split('noise').getState() };
  // A part restarted at version v > 0 (its worker died) draws fresh streams keyed by v, never the dead ones.
  const env = from === 0 ? root.split('worker-env').split(part) : root.split('worker-env').split(part).split(from);
  const ppo = from === 0 ? root.split('ppo').split(`worker-${part}`) : root.split('ppo').split(`worker-${part}`).split(from);
  return { envSeed: env.int(2 ** 31), noise: ppo.split('noise').getState() };
}

type Vec = Awaited<ReturnType<typeof import('@s2r/sim/env/vec-env.ts').makeVecEnv>>;
/** One part of the batch this worker steps: its envs (state continues across versions) and its noise stream. */
interface Lane {
  part: number;
  vec: Vec;
  noise: number[];
  /** Policy (incarnation/version) of the last segment collected: a resumed learner re-publishes old versions. */
  done: string;
}

async function serveJob(nc: NatsConnection, kv: KV, job: ClusterJob, name: string, o: WorkerOptions & { log: (s: string) => void }): Promise<WorkerResult | 'switched'> {
  const log = o.log;
  const lanes = new Map<number, Lane>();
  let ppo: PPO | null = null;
  try {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    let slot = 0;
    for (; ; slot++) {
      const ok = await retry('worker: claiming a slot', () => kv.create(`slot.${job.runId}.${slot}`, name).then(() => true, (e: Error) => (/exists|wrong last sequence/i.test(e.message) ? false : Promise.reject(e))), o);
      if (ok) break;
    }
    const id = `${job.runId}.w${slot}`;
    const cfg = { ...job.ppo, numEnvs: job.segmentEnvs, workers: o.threads, numMinibatches: 1, normalizeAdvantages: false };
    await initBackend(o.backend, { quiet: true });
    const { makeVecEnv } = await import('@s2r/sim/env/vec-env.ts');
    const newLane = async (part: number, from: number): Promise<Lane> => {
      const st = partStreams(cfg.seed, part, from);
      const vec = await makeVecEnv(job.task, { numEnvs: cfg.numEnvs, workers: o.threads, seed: st.envSeed, overrides: cfg.envOverrides, print: false });
      const P = vec.privilegedSpec ? vec.privilegedSpec.size : 0;
      const dims = { obs: vec.observationSpec.size, priv: P, act: vec.actionSpec.size };
      if (dims.obs !== job.dims.obs || dims.priv !== job.dims.priv || dims.act !== job.dims.act) {
        await vec.close();
        throw new Error(`task ${job.task} here has obs/priv/act sizes ${dims.obs}/${dims.priv}/${dims.act}, the learner's has ${job.dims.obs}/${job.dims.priv}/${job.dims.act}: different s2r versions?`);
      }
      ppo ??= new PPO(cfg, dims, Rng.seed(cfg.seed).split('ppo'), vec.actionSpec);
      return { part, vec, noise: st.noise, done: '' };
    };
    // Asynchronous mode: one lane for this worker's slot, for the whole run. Lock-step mode: the lanes of the parts
    // (batch positions) this worker claimed; a part stays with the worker that claimed it, because its envs' state
    // lives here (see partKey).
    if (!job.deterministic) lanes.set(slot, await newLane(slot, 0));
    const { T, N } = { T: cfg.stepsPerEnv, N: cfg.numEnvs };
    log(`worker ${name}: run ${job.runId}, slot ${slot}, task ${job.task}, ${N} envs × ${T} steps per segment, ${o.threads} env threads${job.deterministic ? ', lock-step: parts claimed as the learner asks' : ''}`);

    let policy: PolicyVersion | null = null;
    let refusedSha = '';
    let refused = 0;
    let seq = 0;
    let bytes = 0;
    let collectMs = 0;
    let publishMs = 0;
    let idleSince = performance.now();
    let ownersAt = -Infinity;
    let ownersFor = '';
    for (;;) {
      if (o.signal?.aborted) return { runId: job.runId, slot, segments: seq, bytes, refused, collectMs, publishMs, stoppedBy: 'signal' };
      if (o.maxSegments && seq >= o.maxSegments) return { runId: job.runId, slot, segments: seq, bytes, refused, collectMs, publishMs, stoppedBy: 'max-segments' };
      const now = parseJob((await retry('worker: reading the job', () => kv.get('job'), o))?.value);
      if (now && now.runId !== job.runId && now.status === 'running') {
        log(`worker ${name}: run ${now.runId} replaced run ${job.runId} (${seq} segments published to it); switching`);
        return 'switched';
      }
      if (!now || now.status === 'done') {
        log(`worker ${name}: run ${job.runId} is done; ${seq} segments published`);
        return { runId: job.runId, slot, segments: seq, bytes, refused, collectMs, publishMs, stoppedBy: 'job-done' };
      }
      const ann = await retry('worker: reading the policy announcement', () => readAnnouncement(kv), o);
      if (ann && ann.runId === job.runId && !sameVersion(ann, policy) && ann.sha256 !== refusedSha) {
        try {
          const p = await retry('worker: fetching the policy', () => fetchPolicy(kv, ann), { ...o, fatal: (e) => e instanceof PolicyRefused });
          if (p) policy = p;
        } catch (e) {
          if (!(e instanceof PolicyRefused)) throw e;
          refused++;
          refusedSha = ann.sha256;
          log(`worker ${name}: ${e.message}`);
        }
      }
      let lane: Lane | undefined;
      if (policy && now.deterministic) {
        // Ownership is re-read on a new version and every 200 ms while idle: the learner frees the parts of a
        // worker that went silent, and one that lost a part drops its envs (its late segment is a duplicate).
        const key = `${policy.incarnation}/${policy.version}`;
        if (key !== ownersFor || performance.now() - ownersAt > 200) {
          ownersAt = performance.now();
          ownersFor = key;
          await claimParts(kv, now, name, slot, policy.version, lanes, newLane, o);
        }
        lane = [...lanes.values()].sort((a, b) => a.part - b.part).find((l) => l.done !== key);
      } else if (policy) {
        // Async: collect while the learner's queue is short, so a fast worker does not pile up segments that would
        // only go stale. Only segments not yet delivered count: the batch being updated on (ack pending) does not,
        // so the next batch is collected during the update.
        const info = await retry('worker: reading the queue length', () => jsm.consumers.info(SEGMENT_STREAM, job.consumer), o);
        if (info.num_pending < now.queueLimit) lane = lanes.get(slot);
      }
      if (!lane) {
        // A lock-step worker without a part is a spare (it takes the part of one that dies): waiting is its job.
        if (policy && now.deterministic) idleSince = performance.now();
        if ((performance.now() - idleSince) / 1000 > o.waitS)
          throw new Error(`no usable policy version from the learner on ${o.url} for ${o.waitS} s (have ${policy ? `version ${policy.version}` : 'none'}${refused ? `, refused ${refused}` : ''}); is the learner running?`);
        await sleep(20);
        continue;
      }
      idleSince = performance.now();
      // Every segment starts from the version's weights and normalizer and continues its own part's noise stream,
      // so its content depends on (version, part) only, not on which worker collects it or in what order.
      loadVersion(ppo!, policy!, lane.noise);
      const tc = performance.now();
      const seg = await collect(lane.vec, ppo!, policy!, { id: `${id}-${seq}`, worker: id, slot, seq, part: now.deterministic ? lane.part : undefined, withPriv: ppo!.criticNorm !== null });
      lane.noise = ppo!.getState().rng.noise;
      lane.done = `${policy!.incarnation}/${policy!.version}`;
      const tp = performance.now();
      collectMs += tp - tc;
      const data = encodeSegment(seg);
      // Same msgID on every retry: JetStream's duplicate window drops a second copy if the first one landed.
      await retry(`worker: publishing segment ${seg.header.id}`, () => js.publish(job.subject, data, { msgID: seg.header.id, timeout: 5000 }), o);
      bytes += data.length;
      publishMs += performance.now() - tp;
      seq++;
    }
  } finally {
    (ppo as PPO | null)?.dispose(); // assigned in newLane: TS cannot see it
    for (const l of lanes.values()) await l.vec.close();
  }
}

/**
 * Lock-step part ownership (KV `part.<run>.<k>` = worker name, created first-come). A part's envs live in the
 * worker that claimed it, so it stays there: moving it would restart its episodes. Claims happen while the learner
 * waits for version v's batch, so which parts start when does not depend on timing, and a part claimed at v > 0
 * (its first owner died and the learner freed it) restarts on streams keyed by v. A worker claims its own slot's
 * part first, then the lowest free one, one per pass and only while it owns fewer than the job's `perWorker`.
 */
async function claimParts(kv: KV, job: ClusterJob, name: string, slot: number, version: number, lanes: Map<number, Lane>, newLane: (part: number, from: number) => Promise<Lane>, o: WorkerOptions & { log: (s: string) => void }): Promise<void> {
  const B = job.segmentsPerUpdate;
  const owners = await Promise.all(Array.from({ length: B }, (_, k) => retry('worker: reading part owners', () => kv.get(partKey(job.runId, k)), o)));
  for (const [k, l] of [...lanes]) {
    const e = owners[k];
    if (e && e.operation === 'PUT' && e.string() === name) continue;
    o.log(`worker ${name}: part ${k} was given to another worker (this one was silent too long); dropping its envs`);
    lanes.delete(k);
    await l.vec.close();
  }
  if (lanes.size >= job.perWorker) return;
  const free = owners.flatMap((e, k) => (!e || e.operation !== 'PUT' ? [k] : []));
  const want = free.includes(slot) ? slot : free[0];
  if (want === undefined) return;
  const ok = await retry('worker: claiming a part', () => kv.create(partKey(job.runId, want), name).then(() => true, (e: Error) => (/exists|wrong last sequence/i.test(e.message) ? false : Promise.reject(e))), o);
  if (!ok) return;
  lanes.set(want, await newLane(want, version));
  o.log(`worker ${name}: claimed part ${want} at version ${version}`);
}

type WorkerVec = { obs: Float32Array; privileged: Float32Array; rewards: Float32Array; terminated: Uint8Array; truncated: Uint8Array; step(a: Float32Array): Promise<EpisodeStats[]> };

/** T steps of the behaviour policy, GAE with its critic, and the arrays the learner needs (copied out of storage). */
async function collect(vec: WorkerVec, ppo: PPO, p: PolicyVersion, m: { id: string; worker: string; slot: number; seq: number; part: number | undefined; withPriv: boolean }): Promise<Segment> {
  const s = ppo.storage;
  const { T, N } = s;
  const D = ppo.dims.obs;
  const P = ppo.dims.priv;
  const normStart = ppo.obsNorm.toData64();
  const criticNormStart = ppo.criticNorm ? ppo.criticNorm.toData64() : null;
  const rawObs = new Float32Array(T * N * D);
  const rawPriv = m.withPriv ? new Float32Array(T * N * P) : null;
  const actions = new Float32Array(N * ppo.dims.act);
  const episodes: Segment['header']['episodes'] = [];
  for (let t = 0; t < T; t++) {
    rawObs.set(vec.obs, t * N * D);
    if (rawPriv) rawPriv.set(vec.privileged, t * N * P);
    ppo.act(vec.obs, P ? vec.privileged : null, actions);
    const eps = await vec.step(actions);
    ppo.processEnvStep(vec.rewards, vec.terminated, vec.truncated);
    for (const { dr: _dr, ...e } of eps) episodes.push(e);
  }
  ppo.computeReturns(vec.obs, P ? vec.privileged : null);
  const seg: Segment = {
    header: { kind: 's2r-segment', id: m.id, runId: p.runId, worker: m.worker, slot: m.slot, seq: m.seq, ...(m.part !== undefined ? { part: m.part } : {}), incarnation: p.incarnation, version: p.version, T, N, normStart, criticNormStart, episodes },
    rawObs,
    rawPriv,
    actions: s.actions.slice(),
    mu: s.mu.slice(),
    logStd: Float32Array.from(ppo.logStdValues),
    values: s.values.slice(),
    logProbs: s.logProbs.slice(),
    advantages: s.advantages.slice(),
    returns: s.returns.slice(),
  };
  s.clear();
  return seg;
}
