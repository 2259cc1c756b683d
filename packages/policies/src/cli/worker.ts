/** `npx s2r worker --cluster nats://host:4222`: a rollout worker for a cluster learner (see cluster/worker.ts). */
import { parseArgs, UsageError, type Command } from '@s2r/core';
import { clusterArgs } from '../cluster/connect.ts';

const usage = `Usage: npx s2r worker --cluster nats://host:4222 [options]

Collect rollout segments for the learner of \`npx s2r train <task> --cluster URL\`: wait for its job, take the
newest policy version (refusing one whose sha256 does not match the announcement), step a VecEnv on this
machine's cores and publish fixed-size segments to JetStream. Exits 0 when the learner's run is done.

Options:
  --cluster URL     the NATS server (nats:// or tls://); credentials never go in the URL
  --creds FILE      NATS credentials: .creds file, nkey seed, or one line user:password
                    (or env S2R_NATS_USER + S2R_NATS_PASSWORD, or S2R_NATS_NKEY)
  --threads W       env worker threads (default 1; 0 = step the envs in this thread)
  --wait S          seconds any wait (a job, a policy version, the server) may last before failing (default 600)
  --segments N      stop after N published segments (default 0 = until the run is done)
  --backend <b>     tfjs backend for the behaviour policy (default: best available)`;

export const command: Command = {
  name: 'worker',
  summary: 'Collect rollouts for a cluster learner over NATS JetStream',
  usage,
  async run(argv) {
    const a = parseArgs(argv, { values: ['cluster', 'creds', 'threads', 'wait', 'segments', 'backend'] });
    if (a.positional.length) throw new UsageError(`unexpected argument "${a.positional[0]}"`);
    if (!a.has('cluster')) throw new UsageError('missing --cluster nats://host:4222');
    const { url, auth } = clusterArgs(a);
    const threads = a.num('threads', 1);
    const segments = a.num('segments', 0);
    const waitS = a.num('wait', 600);
    if (!Number.isInteger(threads) || threads < 0) throw new UsageError(`--threads must be an integer ≥ 0, got ${a.str('threads')}`);
    if (!Number.isInteger(segments) || segments < 0) throw new UsageError(`--segments must be an integer ≥ 0, got ${a.str('segments')}`);
    if (!(waitS > 0)) throw new UsageError(`--wait must be > 0 seconds, got ${a.str('wait')}`);
    const ac = new AbortController();
    const stop = () => (ac.signal.aborted ? process.exit(130) : ac.abort());
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    try {
      const { runWorker } = await import('../cluster/worker.ts');
      const r = await runWorker({ url, auth, threads, waitS, backend: a.str('backend'), maxSegments: segments, signal: ac.signal });
      console.log(JSON.stringify({ worker: 'done', run: r.runId, slot: r.slot, segments: r.segments, bytes: r.bytes, refused: r.refused, collect_ms: Math.round(r.collectMs), publish_ms: Math.round(r.publishMs), stoppedBy: r.stoppedBy }));
      return r.stoppedBy === 'signal' ? 130 : 0;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
};
