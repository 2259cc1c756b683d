/**
 * Connecting to the cluster's NATS server: URL checks, credentials, a bounded first connect, endless reconnects.
 *
 * Credentials never travel in the URL (it is written to command.txt and printed): they come from
 *   S2R_NATS_USER + S2R_NATS_PASSWORD, or S2R_NATS_NKEY (an nkey seed "SU…"), or
 *   --creds FILE: a NATS .creds file (user JWT + nkey seed), a file holding an nkey seed, or one line "user:password".
 * Only where they came from is ever logged ("credentials: env S2R_NATS_USER"), never the secret.
 */
import { readFileSync } from 'node:fs';
import {
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  usernamePasswordAuthenticator,
  type Authenticator,
  type NatsConnection,
} from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { UsageError, type ParsedArgs } from '@s2r/core';

/** Bucket for the job announcement, worker slots and policy versions; stream for segments. */
export const KV_BUCKET = 's2r';
export const SEGMENT_STREAM = 'S2R_SEGMENTS';
export const segmentSubject = (runId: string) => `s2r.seg.${runId}`;
/** KV key of a lock-step part's owner (worker name); the learner deletes it to free the part of a silent worker. */
export const partKey = (runId: string, part: number) => `part.${runId}.${part}`;
/** First-connect budget (ms): a wrong or unreachable URL must be reported within 5 s. */
export const CONNECT_TIMEOUT_MS = 4000;

export interface ClusterAuth {
  authenticator?: Authenticator;
  /** Where the credentials came from, safe to log (never the secret itself). */
  source: string;
}

export function checkClusterUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--cluster "${url}": not a URL (expected nats://host:4222)`);
  }
  if (!['nats:', 'tls:'].includes(u.protocol)) throw new Error(`--cluster "${url}": expected a nats:// or tls:// URL, e.g. nats://host:4222`);
  if (u.username || u.password)
    throw new Error(`--cluster: credentials in the URL would be written to command.txt and logs; give them through S2R_NATS_USER/S2R_NATS_PASSWORD, S2R_NATS_NKEY or --creds FILE`);
  if (!u.hostname) throw new Error(`--cluster "${url}": no host`);
  return url;
}

/** Credentials from --creds FILE or the environment (the file wins); none is fine for an open server. */
export function resolveAuth(credsFile: string | undefined, env: NodeJS.ProcessEnv = process.env): ClusterAuth {
  if (credsFile) {
    let text: string;
    try {
      text = readFileSync(credsFile, 'utf8');
    } catch (e) {
      throw new Error(`--creds ${credsFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const t = text.trim();
    if (t.includes('BEGIN NATS USER JWT')) return { authenticator: credsAuthenticator(new TextEncoder().encode(text)), source: `creds file ${credsFile} (JWT)` };
    if (/^SU[A-Z2-7]{50,}$/.test(t)) return { authenticator: nkeyAuthenticator(new TextEncoder().encode(t)), source: `creds file ${credsFile} (nkey)` };
    const colon = t.indexOf(':');
    if (colon > 0 && !t.includes('\n')) return { authenticator: usernamePasswordAuthenticator(t.slice(0, colon), t.slice(colon + 1)), source: `creds file ${credsFile} (user ${t.slice(0, colon)})` };
    throw new Error(`--creds ${credsFile}: expected a NATS .creds file, an nkey seed (SU…) or one line user:password`);
  }
  if (env.S2R_NATS_NKEY) return { authenticator: nkeyAuthenticator(new TextEncoder().encode(env.S2R_NATS_NKEY.trim())), source: 'env S2R_NATS_NKEY' };
  if (env.S2R_NATS_USER) {
    if (env.S2R_NATS_PASSWORD === undefined) throw new Error('S2R_NATS_USER is set but S2R_NATS_PASSWORD is not');
    return { authenticator: usernamePasswordAuthenticator(env.S2R_NATS_USER, env.S2R_NATS_PASSWORD), source: `env S2R_NATS_USER (${env.S2R_NATS_USER})` };
  }
  return { source: 'none' };
}

/** --cluster and --creds of a command line, checked; a bad one is a usage error naming it. */
export function clusterArgs(a: ParsedArgs): { url: string; auth: ClusterAuth } {
  try {
    return { url: checkClusterUrl(a.str('cluster', '')), auth: resolveAuth(a.str('creds')) };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * Connect within CONNECT_TIMEOUT_MS or fail with one line naming the URL; once connected, reconnect forever
 * (a restarted server must not end a training run) and report disconnects/reconnects through `log`.
 */
export async function connectCluster(url: string, o: { auth: ClusterAuth; name: string; log: (s: string) => void }): Promise<NatsConnection> {
  checkClusterUrl(url);
  let nc: NatsConnection;
  const attempt = connect({
    servers: url,
    name: o.name,
    timeout: CONNECT_TIMEOUT_MS,
    authenticator: o.auth.authenticator,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500, // ms between reconnect attempts: a restarted server is picked up within ~0.5 s
    pingInterval: 10_000, // ms: a silently dead server is noticed after ~2 pings
    waitOnFirstConnect: false,
  });
  // A belt over the client's own timeout: DNS stalls and half-open TCP must still end within the budget.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error(`timed out after ${CONNECT_TIMEOUT_MS + 500} ms`)), CONNECT_TIMEOUT_MS + 500);
  });
  try {
    nc = await Promise.race([attempt, deadline]);
  } catch (e) {
    attempt.then((c) => c.close()).catch(() => {});
    const m = (e as Error).message;
    const hint = /auth/i.test(m) ? ' (check S2R_NATS_USER/S2R_NATS_PASSWORD, S2R_NATS_NKEY or --creds)' : ' (is `s2r cluster up` or a nats-server -js running there?)';
    throw new Error(`cannot connect to the NATS server at ${url}: ${m}${hint}`);
  } finally {
    clearTimeout(timer);
  }
  try {
    await (await jetstreamManager(nc, { timeout: CONNECT_TIMEOUT_MS })).getAccountInfo();
  } catch (e) {
    await nc.close();
    throw new Error(`the NATS server at ${url} has no JetStream (${(e as Error).message}); start it with -js or use \`s2r cluster up\``);
  }
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') o.log(`cluster: disconnected from ${url}; reconnecting…`);
      else if (s.type === 'reconnect') o.log(`cluster: reconnected to ${url}`);
    }
  })();
  return nc;
}
