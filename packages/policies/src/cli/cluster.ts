/** `npx s2r cluster up`: a local NATS server with JetStream for a single-machine trial of cluster training. */
import { mkdirSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs, UsageError, type Command } from '@s2r/core';
import { startNatsServer } from '../cluster/server.ts';

const usage = `Usage: npx s2r cluster up [options]

Start nats-server with JetStream (Debian package nats-server) in the foreground, print the learner and worker
commands, and stop it on Ctrl-C. For a real cluster run nats-server -js on a host every machine reaches.

Options:
  --host H      interface to listen on (default 127.0.0.1; 0.0.0.0 to let other machines in — set credentials)
  --port N      port (default 4222; 0 = any free port)
  --store DIR   JetStream storage folder (default .s2r-nats/)
  --user U      require this user; the password comes from env S2R_NATS_PASSWORD (never a flag)`;

export const command: Command = {
  name: 'cluster',
  summary: 'Start a local NATS JetStream server for cluster training (s2r cluster up)',
  usage,
  async run(argv) {
    const a = parseArgs(argv, { values: ['host', 'port', 'store', 'user'] });
    if (a.positional[0] !== 'up' || a.positional.length > 1) throw new UsageError(`expected "cluster up", got "cluster ${a.positional.join(' ')}"`);
    const port = a.num('port', 4222);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got ${a.str('port')}`);
    const user = a.str('user');
    if (user && !process.env.S2R_NATS_PASSWORD) throw new UsageError('--user needs the password in env S2R_NATS_PASSWORD');
    const storeDir = resolve(a.str('store', '.s2r-nats'));
    mkdirSync(storeDir, { recursive: true });
    const host = a.str('host', '127.0.0.1');
    const srv = await startNatsServer({ host, port, storeDir, user, password: user ? process.env.S2R_NATS_PASSWORD : undefined });
    const lan = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address ?? hostname();
    const reach = host === '0.0.0.0' ? `nats://${lan}:${srv.port}` : srv.url;
    const env = user ? `S2R_NATS_USER=${user} S2R_NATS_PASSWORD=… ` : '';
    console.log(`nats-server with JetStream on ${srv.url} (store ${storeDir})
learner:  ${env}npx s2r train cartpole --cluster ${reach}
workers:  ${env}npx s2r worker --cluster ${reach}     (on each machine with s2r installed)${host === '127.0.0.1' ? `
          other machines cannot reach 127.0.0.1: restart with --host 0.0.0.0 --user NAME to let them in` : ''}
Ctrl-C stops the server.`);
    const ac = new AbortController();
    const onSig = () => ac.abort();
    process.on('SIGINT', onSig);
    process.on('SIGTERM', onSig);
    try {
      const code = await new Promise<number>((res) => {
        srv.process.once('exit', (c) => res(c ?? 1));
        ac.signal.addEventListener('abort', () => void srv.stop().then(() => res(0)));
      });
      if (!ac.signal.aborted) console.error(`s2r cluster: nats-server exited (code ${code})`);
      return ac.signal.aborted ? 0 : 1;
    } finally {
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
    }
  },
};
