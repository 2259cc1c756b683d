/**
 * The cluster learner (`s2r train <task> --cluster nats://host:4222`): the PPO update loop of a local run, fed by
 * rollout workers over NATS JetStream instead of a local VecEnv.
 *
 *   publish version v (KV) → consume segments (stream, explicit acks) → drop stale / duplicate → update → v+1
 *
 * Run folder as for a local run (config.json with a `cluster` section that holds no credentials, command.txt,
 * metrics.jsonl with a `cluster` field per iteration, checkpoints/, policy.json). A checkpoint also holds the
 * ids of the segments already trained on, so a learner resumed from it never counts one twice.
 */
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, join, resolve } from 'node:path';
import { Kvm, type KV } from '@nats-io/kv';
import { AckPolicy, DeliverPolicy, RetentionPolicy, StorageType, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { Rng } from '@s2r/core';
import type { EpisodeStats } from '@s2r/sim/env/types.ts';
import { initBackend } from '../backend.ts';
import { saveArtifact } from '../artifact.ts';
import { resolvePpoConfig } from '../ppo/config.ts';
import { PPO } from '../ppo/ppo.ts';
import { standardize } from '../ppo/gae.ts';
import { encodeCheckpoint, latestCheckpoint, readCheckpoint, writeCheckpoint, type CheckpointCounters } from '../ppo/checkpoint.ts';
import { deployFacts, exportPpoArtifact, factsFromDeploy, type EnvFacts } from '../ppo/export.ts';
import type { IterationMetrics, TrainOptions, TrainResult } from '../ppo/train.ts';
import { connectCluster, KV_BUCKET, partKey, SEGMENT_STREAM, segmentSubject, type ClusterAuth } from './connect.ts';
import { publishPolicy, policyOf } from './policy-store.ts';
import { decodeSegment, placeSegment, type Segment } from './segment.ts';
import { retry, sleep, type ClusterJob, type ClusterSettings } from './job.ts';

export interface ClusterTrainOptions extends Omit<TrainOptions, 'makeVecEnv' | 'onIteration'> {
  cluster: ClusterSettings;
  auth: ClusterAuth;
  onIteration?: (m: ClusterIterationMetrics) => void | boolean | Promise<void | boolean>;
}

export interface ClusterIterationMetrics extends IterationMetrics {
  cluster: {
    version: number;
    segments: string[];
    /** Behaviour policy version of each of `segments`. */
    behaviour: number[];
    /** Staleness (learner version − behaviour version) of the segments used this iteration → count. */
    staleness: Record<string, number>;
    dropped: number;
    /** Ids of the segments dropped this iteration (stale, orphaned or the wrong shape): nothing vanishes silently. */
    droppedIds: string[];
    duplicates: number;
    /** Lock-step parts freed this iteration because their worker was silent for `orphanS` (they restart elsewhere). */
    freedParts: number[];
    waitMs: number;
    /** Decoding segments and placing them into storage (re-normalizing, folding into the normalizer), ms. */
    ingestMs: number;
    bytes: number;
    /** Workers whose segments arrived in the last few iterations, and the queue limit announced for them. */
    workers: number;
    queueLimit: number;
  };
}

/** What a checkpoint carries beyond the PPO state. */
interface ClusterCkpt {
  runId: string;
  incarnation: number;
  seen: string[];
  staleness: Record<string, number>;
  dropped: number;
}

/** Ids remembered for dedupe; at 4 segments per update that is 2,500 updates back, far beyond JetStream's redelivery. */
const SEEN_MAX = 10_000;

async function envFacts(task: string, overrides: Record<string, unknown>): Promise<EnvFacts & { config: unknown }> {
  const { makeVecEnv } = await import('@s2r/sim/env/vec-env.ts');
  // One env in the main thread, only to learn the specs for the artifact and the job.
  const vec = (await makeVecEnv(task, { numEnvs: 1, workers: 0, seed: 0, overrides, print: false })) as Awaited<ReturnType<typeof makeVecEnv>> & { config?: unknown };
  try {
    const config = vec.config ?? null;
    return { task, observationSpec: vec.observationSpec, privilegedSpec: vec.privilegedSpec, actionSpec: vec.actionSpec, dt: vec.dt, envConfig: config, config, ...factsFromDeploy(await deployFacts(task, config), vec.actionSpec) };
  } finally {
    await vec.close();
  }
}

export async function trainCluster(opts: ClusterTrainOptions): Promise<TrainResult & { cluster: ClusterCkpt & { duplicates: number } }> {
  const log = opts.log ?? ((s: string) => console.log(s));
  const cs = opts.cluster;
  let counters: CheckpointCounters = { iteration: 0, envSteps: 0, elapsedS: 0, episodes: 0 };
  let runDir: string;
  let base: Record<string, unknown> | undefined;
  let resumed: Awaited<ReturnType<typeof readCheckpoint>> | null = null;
  let ck: ClusterCkpt | null = null;
  if (opts.resume) {
    runDir = resolve(opts.resume);
    const path = await latestCheckpoint(join(runDir, 'checkpoints'));
    if (!path) throw new Error(`--resume ${opts.resume}: no checkpoints/ckpt-*.json in that folder`);
    const text = await readFile(path, 'utf8');
    resumed = await readCheckpoint(path);
    ck = (JSON.parse(text) as { cluster?: ClusterCkpt }).cluster ?? null;
    if (!ck) throw new Error(`--resume ${opts.resume}: ${path} is a local run's checkpoint; resume it without --cluster`);
    const saved = JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8')) as { task: string; ppo: Record<string, unknown> };
    if (saved.task !== opts.task) throw new Error(`--resume ${opts.resume}: that run trained task "${saved.task}", not "${opts.task}"`);
    base = saved.ppo;
    counters = resumed.counters;
    log(`resuming ${runDir} from ${path} (iteration ${counters.iteration}, ${ck.seen.length} segment ids remembered)`);
  } else runDir = resolve(opts.outDir ?? join('runs', `${opts.task}-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-')}`));
  const cfg = resolvePpoConfig(opts.task, base, ...(opts.overrides ?? []));
  const segEnvs = cs.segmentEnvs > 0 ? cs.segmentEnvs : cfg.numEnvs;
  if (!Number.isInteger(segEnvs) || cfg.numEnvs % segEnvs !== 0) throw new RangeError(`--segment-envs ${segEnvs} must divide numEnvs ${cfg.numEnvs}`);
  if (!Number.isInteger(cs.maxStaleness) || cs.maxStaleness < 0) throw new RangeError(`--max-staleness must be an integer ≥ 0, got ${cs.maxStaleness}`);
  const orphanS = cs.orphanS ?? 30;
  if (!(orphanS > 0)) throw new RangeError(`--orphan-after must be > 0 seconds, got ${cs.orphanS}`);
  const B = cfg.numEnvs / segEnvs;
  const maxStale = cs.deterministic ? 0 : cs.maxStaleness;
  // The run id names the stream subject and the durable consumer: a resumed learner finds its segments again.
  const runId = ck?.runId ?? `${basename(runDir).replace(/[^A-Za-z0-9_-]/g, '_')}-${createHash('sha256').update(`${runDir}${Date.now()}`).digest('hex').slice(0, 6)}`;
  const incarnation = (ck?.incarnation ?? 0) + 1;
  const resumeVersion = counters.iteration;

  const backend = await initBackend(opts.backend, { quiet: true });
  const facts = await envFacts(opts.task, cfg.envOverrides);
  const dims = { obs: facts.observationSpec.size, priv: facts.privilegedSpec ? facts.privilegedSpec.size : 0, act: facts.actionSpec.size };
  const ppo = new PPO(cfg, dims, Rng.seed(cfg.seed).split('ppo'), facts.actionSpec);
  if (resumed) ppo.setState(resumed.state);
  const withPriv = ppo.criticNorm !== null;

  const nc: NatsConnection = await connectCluster(cs.url, { auth: opts.auth, name: `s2r-learner-${runId}`, log });
  log(`cluster: learner of run ${runId} (incarnation ${incarnation}) on ${cs.url}, credentials: ${opts.auth.source}`);
  const wait = { waitS: cs.waitS, log, signal: opts.signal };
  let kv: KV | null = null;
  try {
    kv = await retry('cluster: opening KV bucket', () => new Kvm(nc).create(KV_BUCKET, { history: 1 }), wait);
    const jsm = await jetstreamManager(nc);
    const subject = segmentSubject(runId);
    const consumer = `learner-${runId}`;
    await retry(
      'cluster: creating the segment stream',
      async () => {
        const have = await jsm.streams.info(SEGMENT_STREAM).catch(() => null);
        // Work-queue retention: an acked segment is deleted; file storage: segments survive a server restart.
        if (!have) await jsm.streams.add({ name: SEGMENT_STREAM, subjects: ['s2r.seg.>'], retention: RetentionPolicy.Workqueue, storage: StorageType.File, duplicate_window: nanos(120_000) });
        // Recreated on resume so that segments the previous learner pulled but never acked come back at once,
        // not after ack_wait. Dedupe by id keeps them from counting twice.
        if (resumed) await jsm.consumers.delete(SEGMENT_STREAM, consumer).catch(() => {});
        await jsm.consumers.add(SEGMENT_STREAM, { durable_name: consumer, filter_subject: subject, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ack_wait: nanos(Math.max(60_000, cs.waitS * 1000)), max_ack_pending: 10_000 });
      },
      wait,
    );
    const seg$ = await jetstream(nc).consumers.get(SEGMENT_STREAM, consumer);
    const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
    const segBytes = 4096 + 4 * (segEnvs * cfg.stepsPerEnv * (dims.obs + (withPriv ? dims.priv : 0) + 2 * dims.act + 4) + dims.act);
    if (segBytes > maxPayload) throw new RangeError(`a segment of ${segEnvs} envs × ${cfg.stepsPerEnv} steps is ~${segBytes} bytes, above the server's max_payload ${maxPayload}; lower --segment-envs`);

    const ckDir = join(runDir, 'checkpoints');
    await mkdir(ckDir, { recursive: true });
    const settings = { ...cs, segmentEnvs: segEnvs, runId };
    await writeFile(join(runDir, 'config.json'), JSON.stringify({ task: opts.task, backend, ppo: cfg, env: facts.config, cluster: settings }, null, 2));
    if (opts.command) await appendFile(join(runDir, 'command.txt'), `${opts.command}\n`);

    const job: ClusterJob = {
      runId, incarnation, task: opts.task, status: 'running', ppo: cfg, dims, segmentEnvs: segEnvs, segmentsPerUpdate: B,
            // Lock-step: one part each to begin with, so that workers started together share the batch; raised when a
      // part stays unclaimed (fewer workers than parts).
      deterministic: cs.deterministic, perWorker: cs.deterministic ? 1 : B, queueLimit: cs.queueLimit > 0 ? cs.queueLimit : B, subject, consumer,
    };
    const announce = () => retry('cluster: announcing the job', () => kv!.put('job', JSON.stringify(job)), wait);
    const publish = () => retry('cluster: publishing the policy', () => publishPolicy(kv!, policyOf(ppo, runId, incarnation, counters.iteration), maxPayload, maxStale + 4), wait);
    await announce();
    await publish();
    log(`cluster: policy version ${counters.iteration} published; waiting for segments (${B} × ${segEnvs} envs × ${cfg.stepsPerEnv} steps per update). Start workers with:\n  npx s2r worker --cluster ${cs.url}`);

    const seen = new Set<string>(ck?.seen ?? []);
    /** Worker ids seen in each of the last iterations (newest first). */
    const recent: Set<string>[] = [new Set()];
    const seenOrder = [...seen];
    const remember = (id: string) => {
      seen.add(id);
      seenOrder.push(id);
      if (seenOrder.length > SEEN_MAX) seen.delete(seenOrder.shift()!);
    };
    const staleTotal: Record<string, number> = { ...(ck?.staleness ?? {}) };
    let droppedTotal = ck?.dropped ?? 0;
    let duplicatesTotal = 0;
    const window: Omit<EpisodeStats, 'dr'>[] = [];
    const t0 = performance.now();
    let excludedMs = 0;
    const wall = () => counters.elapsedS + (performance.now() - t0 - excludedMs) / 1000;
    const startSteps = counters.envSteps;
    let checkpointPath = '';
    const artifactPath = join(runDir, 'policy.json');
    const save = async () => {
      const ctr = { ...counters, elapsedS: wall() };
      const j = JSON.parse(encodeCheckpoint(ppo.getState(), ctr, cfg)) as Record<string, unknown>;
      j.cluster = { runId, incarnation, seen: seenOrder, staleness: staleTotal, dropped: droppedTotal } satisfies ClusterCkpt;
      checkpointPath = await writeCheckpoint(ckDir, ctr.iteration, JSON.stringify(j), cfg.keepCheckpoints);
      await saveArtifact(artifactPath, exportPpoArtifact(ppo, facts, { iterations: ctr.iteration, envSteps: ctr.envSteps, wallS: ctr.elapsedS, backend, cluster: { runId, segmentEnvs: segEnvs } }));
    };
    const budget = (): TrainResult['stoppedBy'] | null => {
      if (cfg.totalSteps > 0 && counters.envSteps >= cfg.totalSteps) return 'steps';
      if (cfg.maxMinutes > 0 && wall() >= cfg.maxMinutes * 60) return 'minutes';
      return null;
    };

    /** Pull until B usable segments of this version are in hand (or the signal fires); acks come after the update. */
    const gather = async (it: ClusterIterationMetrics['cluster']) => {
      const batch: { seg: Segment; msg: JsMsg; stale: number }[] = [];
      let lastSeg = performance.now();
      let lastLog = 0;
      let lastStallCheck = 0;
      /** Lock-step: since when each missing part has been unclaimed, or silent with the same owner (ms). */
      const unclaimed = new Map<number, number>();
      const silent = new Map<number, { owner: string; since: number }>();
      /**
       * A stalled lock-step batch: a part nobody claimed for 3 s means fewer workers than parts, so each may take
       * one more; a part whose owner has sent nothing for `orphanS` is freed (its worker died) for a spare to take.
       */
      const stalled = async () => {
        const now = performance.now();
        const have = new Set(batch.map((b) => b.seg.header.part));
        let bump = false;
        for (let k = 0; k < B; k++) {
          if (have.has(k)) continue;
          const e = await kv!.get(partKey(runId, k)).catch(() => null);
          if (e && e.operation === 'PUT') {
            unclaimed.delete(k);
            const owner = e.string();
            const s = silent.get(k);
            if (!s || s.owner !== owner) silent.set(k, { owner, since: now });
            else if ((now - s.since) / 1000 > orphanS) {
              log(`cluster: part ${k} of version ${counters.iteration}: worker ${owner} sent nothing for ${orphanS} s; freeing the part (its episodes restart on the worker that takes it)`);
              await kv!.delete(partKey(runId, k)).catch(() => {});
              silent.delete(k);
              it.freedParts.push(k);
            }
          } else {
            silent.delete(k);
            const since = unclaimed.get(k) ?? now;
            unclaimed.set(k, since);
            if (now - since > 3000) bump = true;
          }
        }
        if (bump && job.perWorker < B) {
          job.perWorker++;
          unclaimed.clear();
          await announce();
        }
      };
      while (batch.length < B) {
        if (opts.signal?.aborted) return null;
        let msg: JsMsg | null = null;
        try {
          msg = await seg$.next({ expires: 1000 });
        } catch (e) {
          if (performance.now() - lastLog > 10_000) log(`cluster: pulling segments failed (${(e as Error).message}); retrying`);
          lastLog = performance.now();
          await sleep(250);
        }
        const idle = (performance.now() - lastSeg) / 1000;
        if (!msg) {
          if (cs.deterministic && idle > 1 && performance.now() - lastStallCheck > 1000) {
            lastStallCheck = performance.now();
            await stalled();
          }
          if (idle > cs.waitS) throw new Error(`no segment from any worker for ${cs.waitS} s (have ${batch.length}/${B} for version ${counters.iteration}); is a worker running? npx s2r worker --cluster ${cs.url}`);
          if (idle > 10 && performance.now() - lastLog > 10_000) {
            log(`cluster: waiting for segments (${batch.length}/${B} for version ${counters.iteration}, ${idle.toFixed(0)} s idle; times out at ${cs.waitS} s)`);
            lastLog = performance.now();
          }
          continue;
        }
        lastSeg = performance.now();
        let seg: Segment;
        const td = performance.now();
        try {
          seg = decodeSegment(msg.data, dims, withPriv);
          it.ingestMs += performance.now() - td;
        } catch (e) {
          log(`cluster: dropping an unreadable message ${msg.seq}: ${(e as Error).message}`);
          msg.term();
          continue;
        }
        const h = seg.header;
        recent[0]!.add(h.worker);
        const stale = counters.iteration - h.version;
        // Lock-step: a second segment for a part already in hand (a freed part's first owner was only slow) is a
        // duplicate too: the first one fills the part.
        if (seen.has(h.id) || batch.some((b) => b.seg.header.id === h.id || (cs.deterministic && stale === 0 && b.seg.header.part === h.part))) {
          it.duplicates++;
          duplicatesTotal++;
          if (seen.has(h.id)) msg.ack();
          continue;
        }
        // A segment from a previous learner incarnation newer than the checkpoint was collected by a policy
        // that no longer exists (it died with that learner): drop it like a stale one.
        const orphan = h.incarnation !== incarnation && h.version > resumeVersion;
        const badPart = cs.deterministic && !(Number.isInteger(h.part) && h.part! >= 0 && h.part! < B);
        if (orphan || badPart || stale > maxStale || stale < 0 || h.T !== cfg.stepsPerEnv || h.N !== segEnvs) {
          it.dropped++;
          it.droppedIds.push(h.id);
          droppedTotal++;
          remember(h.id);
          msg.ack();
          continue;
        }
        it.bytes += msg.data.length;
        batch.push({ seg, msg, stale });
      }
      // Lock-step: segment k of the batch is part k (its env columns), whoever collected it and whenever it arrived.
      if (cs.deterministic) batch.sort((a, b) => a.seg.header.part! - b.seg.header.part!);
      return batch;
    };

    let stoppedBy: TrainResult['stoppedBy'] | null = budget();
    let last: ClusterIterationMetrics | null = null;
    let tIterPrev = performance.now();
    try {
      while (!stoppedBy) {
        const tc = performance.now();
        const itc: ClusterIterationMetrics['cluster'] = { version: counters.iteration, segments: [], behaviour: [], staleness: {}, dropped: 0, droppedIds: [], duplicates: 0, freedParts: [], waitMs: 0, ingestMs: 0, bytes: 0, workers: 0, queueLimit: job.queueLimit };
        const batch = await gather(itc);
        if (!batch) {
          stoppedBy = 'signal';
          break;
        }
        itc.waitMs = performance.now() - tc;
        const tp = performance.now();
        let finished = 0;
        batch.forEach((b, k) => {
          placeSegment(ppo, b.seg, k * segEnvs);
          for (const e of b.seg.header.episodes) {
            window.push(e);
            if (window.length > 100) window.shift();
          }
          finished += b.seg.header.episodes.length;
          itc.segments.push(b.seg.header.id);
          itc.behaviour.push(b.seg.header.version);
          itc.staleness[b.stale] = (itc.staleness[b.stale] ?? 0) + 1;
          staleTotal[b.stale] = (staleTotal[b.stale] ?? 0) + 1;
        });
        itc.ingestMs += performance.now() - tp;
        if (cfg.normalizeAdvantages) standardize(ppo.storage.advantages);
        ppo.storage.step = ppo.storage.T;
        const upd = ppo.update();
        counters.iteration++;
        counters.envSteps += cfg.numEnvs * cfg.stepsPerEnv;
        counters.episodes += finished;
        for (const b of batch) {
          b.msg.ack();
          remember(b.seg.header.id);
        }
        await publish();
        // Automatic queue limit: W workers that each see "fewer than L waiting" may all start a segment, so up
        // to L + W − 1 arrive; L = B − W + 1 (at least 1) keeps that to one update's worth, which is what keeps
        // staleness at 1 and drops near zero.
        itc.workers = new Set(recent.flatMap((r) => [...r])).size;
        recent.unshift(new Set());
        if (recent.length > 3) recent.pop();
        const auto = Math.max(1, B - itc.workers + 1);
        const share = Math.ceil(B / Math.max(1, itc.workers));
        if ((!(cs.queueLimit > 0) && auto !== job.queueLimit) || (cs.deterministic && share !== job.perWorker)) {
          if (!(cs.queueLimit > 0)) job.queueLimit = auto;
          if (cs.deterministic) job.perWorker = share;
          await announce();
        }
        const terms: Record<string, number> = {};
        for (const e of window) for (const [k, v] of Object.entries(e.terms)) terms[k] = (terms[k] ?? 0) + v / window.length;
        const succ = window.filter((e) => e.success !== undefined);
        const mean = (f: (e: (typeof window)[number]) => number) => (window.length ? window.reduce((a, e) => a + f(e), 0) / window.length : null);
        const tNow = performance.now();
        const it: ClusterIterationMetrics = {
          iteration: counters.iteration,
          envSteps: counters.envSteps,
          wallS: wall(),
          stepsPerS: (counters.envSteps - startSteps) / ((performance.now() - t0 - excludedMs) / 1000),
          meanReturn: mean((e) => e.return),
          meanLength: mean((e) => e.length),
          successRate: succ.length ? succ.filter((e) => e.success).length / succ.length : null,
          terms,
          episodesThisIter: finished,
          collectMs: itc.waitMs,
          update: upd,
          iterationMs: tNow - tIterPrev,
          // How stale the oldest segment in this update was, in policy versions (the local runner's policy_lag).
          policyLag: Math.max(0, ...Object.keys(itc.staleness).map(Number)),
          cluster: itc,
        };
        tIterPrev = tNow;
        last = it;
        await appendFile(join(runDir, 'metrics.jsonl'), `${JSON.stringify(it)}\n`);
        if (opts.progress !== 'none')
          log(`it ${it.iteration} steps ${it.envSteps} return ${it.meanReturn?.toFixed(1) ?? '–'} wait ${itc.waitMs.toFixed(0)} ms update ${upd.updateMs.toFixed(0)} ms staleness ${JSON.stringify(itc.staleness)} dropped ${itc.dropped}`);
        if (counters.iteration % cfg.checkpointEvery === 0) await save();
        let verdict: void | boolean = undefined;
        if (opts.onIteration) {
          const tcb = performance.now();
          verdict = await opts.onIteration(it);
          excludedMs += performance.now() - tcb;
        }
        stoppedBy = verdict === false ? 'callback' : opts.signal?.aborted ? 'signal' : budget();
      }
      await save();
      if (stoppedBy !== 'signal') {
        job.status = 'done';
        await announce();
      }
    } finally {
      ppo.dispose();
    }
    log(`stopped (${stoppedBy}) after ${counters.iteration} iterations, ${counters.envSteps} env steps, ${wall().toFixed(1)} s; staleness ${JSON.stringify(staleTotal)}, dropped ${droppedTotal}; policy → ${artifactPath}`);
    return {
      runDir, artifactPath, checkpointPath, config: cfg, iterations: counters.iteration, envSteps: counters.envSteps, wallS: wall(), stoppedBy: stoppedBy!, last,
      cluster: { runId, incarnation, seen: seenOrder, staleness: staleTotal, dropped: droppedTotal, duplicates: duplicatesTotal },
    };
  } finally {
    await nc.close();
  }
}
