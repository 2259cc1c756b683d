/**
 * `npx s2r view <file.mcap | run folder>... [--port N] [--host 127.0.0.1] [--robot-dir DIR] [--live] [--open-compare]`
 * Serves the three.js viewer on the given recordings and prints its URL; runs until Ctrl-C.
 */
import { parseArgs, UsageError, type Command } from '@s2r/core';
import { serveViewer } from '../server/serve.ts';

const usage = `Usage: npx s2r view <file.mcap | run folder>... [options]

Serve the s2r viewer (three.js + plots) on recordings and print its URL. With no recording and --live,
wait for a live stream from \`s2r train\` / \`s2r deploy\` (they connect to ws://HOST:PORT/live).

Options:
  --port N          TCP port (default 8090; 0 picks a free one)
  --host ADDR       interface to bind (default 127.0.0.1, loopback only). Binding elsewhere exposes
                    your recordings to the network.
  --robot-dir DIR   where package:// meshes are, if the robot description moved since recording
  --live            also accept a live stream (on by default; --live=false turns it off)
  --compare         open the page comparing the first two recordings (ghost robot + shared plots)
  --help            this text

The page: space = play/pause, ←/→ = frame step; scrub the timeline; pick a second recording in
"compare with" to overlay it as a ghost.`;

export const command: Command = {
  name: 'view',
  summary: 'Serve the three.js viewer on a recording or run folder',
  usage,
  async run(argv) {
    const args = parseArgs(argv, { values: ['port', 'host', 'robot-dir'], booleans: ['live', 'compare'] });
    const live = args.str('live') !== 'false';
    if (args.positional.length === 0 && !args.flags.has('live')) throw new UsageError('give a .mcap file or a run folder (or --live to wait for a stream)');
    const port = args.num('port', 8090);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer in 0..65535, got ${port}`);
    const host = args.str('host', '127.0.0.1');
    let server;
    try {
      server = await serveViewer({ paths: args.positional, port, host, robotDir: args.str('robot-dir'), live });
    } catch (e) {
      console.error((e as Error).message);
      return 1;
    }
    if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') console.warn(`s2r view: WARNING: listening on ${host}: anyone who can reach it can read these recordings.`);
    const query = args.has('compare') && server.recordings.length > 1 ? '?rec=0&cmp=1' : '';
    for (const r of server.recordings) console.log(`  ${r.id}: ${r.path}`);
    if (live) console.log(`live streams: ${server.liveUrl}`);
    console.log(`s2r view: ${server.url}${query}`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void server.close().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};
