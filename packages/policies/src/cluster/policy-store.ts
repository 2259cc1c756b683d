/**
 * Policy versions in JetStream KV. The learner writes a version's bytes as chunks (`blob.<inc>.<version>.<i>`,
 * each below the server's max_payload) and then the announcement `policy` = {runId, incarnation, version, sha256,
 * bytes, chunks}. A worker reads the announcement, fetches the chunks, and refuses the version unless the sha256
 * of what it fetched equals the announced one: a corrupted or tampered blob never drives an env.
 *
 * `incarnation` counts learner starts of a run: a learner resumed from a checkpoint republishes an older version
 * number, and workers must take it (it is the policy that now exists), not ignore it as "not newer".
 */
import type { KV } from '@nats-io/kv';
import type { MlpLayerData } from '../nn/mlp.ts';
import type { NormalizerData64 } from '../normalizer.ts';
import type { PPO } from '../ppo/ppo.ts';
import { decodeFrame, encodeFrame, sha256Bytes } from './frame.ts';

export interface PolicyAnnouncement {
  runId: string;
  incarnation: number;
  version: number;
  sha256: string;
  bytes: number;
  chunks: number;
}

/** What a worker needs to act: the networks, log σ and the normalizers at one version. */
export interface PolicyVersion {
  runId: string;
  incarnation: number;
  version: number;
  actor: MlpLayerData[];
  critic: MlpLayerData[];
  logStd: Float32Array;
  obsNorm: NormalizerData64;
  criticNorm: NormalizerData64 | null;
}

interface PolicyHeader {
  kind: 's2r-policy-version';
  runId: string;
  incarnation: number;
  version: number;
  actor: [number, number][];
  critic: [number, number][];
  obsNorm: NormalizerData64;
  criticNorm: NormalizerData64 | null;
}

export class PolicyRefused extends Error {}

export function encodePolicy(p: PolicyVersion): Uint8Array {
  const arrays: Record<string, Float32Array> = {};
  p.actor.forEach((l, i) => Object.assign(arrays, { [`a${i}w`]: l.w, [`a${i}b`]: l.b }));
  p.critic.forEach((l, i) => Object.assign(arrays, { [`c${i}w`]: l.w, [`c${i}b`]: l.b }));
  arrays.logStd = p.logStd;
  const header: PolicyHeader = {
    kind: 's2r-policy-version',
    runId: p.runId,
    incarnation: p.incarnation,
    version: p.version,
    actor: p.actor.map((l) => [l.in, l.out]),
    critic: p.critic.map((l) => [l.in, l.out]),
    obsNorm: p.obsNorm,
    criticNorm: p.criticNorm,
  };
  return encodeFrame(header, arrays);
}

export function decodePolicy(bytes: Uint8Array, where: string): PolicyVersion {
  const { header: h, arrays } = decodeFrame<PolicyHeader>(bytes, where);
  if (h.kind !== 's2r-policy-version') throw new Error(`${where}: not a policy version (kind ${JSON.stringify(h.kind)})`);
  const layers = (shapes: [number, number][], p: string): MlpLayerData[] =>
    shapes.map(([i, o], k) => {
      const w = arrays[`${p}${k}w`];
      const b = arrays[`${p}${k}b`];
      if (!w || !b || w.length !== i * o || b.length !== o) throw new Error(`${where}: layer ${p}${k} is not ${i}×${o}`);
      return { in: i, out: o, w, b };
    });
  return { runId: h.runId, incarnation: h.incarnation, version: h.version, actor: layers(h.actor, 'a'), critic: layers(h.critic, 'c'), logStd: arrays.logStd!, obsNorm: h.obsNorm, criticNorm: h.criticNorm };
}

export function policyOf(ppo: PPO, runId: string, incarnation: number, version: number): PolicyVersion {
  return {
    runId,
    incarnation,
    version,
    actor: ppo.actor.export(),
    critic: ppo.critic.export(),
    logStd: Float32Array.from(ppo.logStdValues),
    obsNorm: ppo.obsNorm.toData64(),
    criticNorm: ppo.criticNorm ? ppo.criticNorm.toData64() : null,
  };
}

const blobKey = (inc: number, v: number, i: number) => `blob.${inc}.${v}.${i}`;

/** Write the chunks, then the announcement; delete the chunks of versions older than `keepVersions`. */
export async function publishPolicy(kv: KV, p: PolicyVersion, maxPayload: number, keepVersions: number): Promise<PolicyAnnouncement> {
  const bytes = encodePolicy(p);
  // Leave room for the KV message's own headers under the server's max_payload (bytes).
  const chunk = Math.max(1024, Math.min(512 * 1024, maxPayload - 16 * 1024));
  const chunks = Math.ceil(bytes.length / chunk);
  for (let i = 0; i < chunks; i++) await kv.put(blobKey(p.incarnation, p.version, i), bytes.subarray(i * chunk, (i + 1) * chunk));
  const ann: PolicyAnnouncement = { runId: p.runId, incarnation: p.incarnation, version: p.version, sha256: sha256Bytes(bytes), bytes: bytes.length, chunks };
  await kv.put('policy', JSON.stringify(ann));
  const old = p.version - keepVersions;
  if (old >= 0) for (let i = 0; i < chunks; i++) await kv.delete(blobKey(p.incarnation, old, i)).catch(() => {});
  return ann;
}

export async function readAnnouncement(kv: KV): Promise<PolicyAnnouncement | null> {
  const e = await kv.get('policy');
  if (!e || e.operation !== 'PUT' || e.value.length === 0) return null;
  return JSON.parse(new TextDecoder().decode(e.value)) as PolicyAnnouncement;
}

/**
 * Fetch and verify the announced version. Returns null when a chunk is gone (a newer version replaced it
 * meanwhile: read the announcement again); throws PolicyRefused when the bytes do not hash to the announcement.
 */
export async function fetchPolicy(kv: KV, ann: PolicyAnnouncement): Promise<PolicyVersion | null> {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < ann.chunks; i++) {
    const e = await kv.get(blobKey(ann.incarnation, ann.version, i));
    if (!e || e.operation !== 'PUT') return null;
    parts.push(e.value);
  }
  const bytes = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    bytes.set(p, off);
    off += p.length;
  }
  const got = sha256Bytes(bytes);
  const where = `policy version ${ann.version} of run ${ann.runId}`;
  if (got !== ann.sha256) throw new PolicyRefused(`${where}: refused, its bytes hash to sha256 ${got.slice(0, 16)}… but the learner announced ${ann.sha256.slice(0, 16)}… (tampered or corrupted)`);
  const p = decodePolicy(bytes, where);
  if (p.version !== ann.version || p.runId !== ann.runId || p.incarnation !== ann.incarnation) throw new PolicyRefused(`${where}: refused, its content is version ${p.version} of run ${p.runId}`);
  return p;
}
