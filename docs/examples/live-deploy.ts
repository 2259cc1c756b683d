/**
 * docs/view-and-compare.md, live mode: stream a deployment to an open viewer while it runs. The CLI's
 * `s2r deploy` has no flag for it yet; the library's `deploy()` does (`recordLive`), next to `record`.
 *
 *   npx s2r view --live --port 8090 &                       (the viewer waits for a stream)
 *   npx tsx docs/examples/live-deploy.ts ws://127.0.0.1:8090/live POLICY [SECONDS]
 *
 * The MCAP file keeps everything; the live stream shows the present and drops messages rather than ever
 * blocking the control loop (it batches every 50 ms).
 */
import { deploy } from '@s2r/bridge';

const [live, policy, seconds = '10'] = process.argv.slice(2);
if (!live || !policy) {
  console.error('usage: npx tsx docs/examples/live-deploy.ts ws://127.0.0.1:8090/live POLICY [SECONDS]');
  process.exit(2);
}
const summary = await deploy({
  policy,
  robot: 'hardware/robots/s2r-go1/s2r-go1.urdf',
  hardware: 'sim',
  rateHz: 500,
  policyRateHz: 50,
  durationS: Number(seconds),
  commands: '0.5,0,0@0',
  latencyMs: 10,
  noise: 1,
  record: 'live.mcap',
  recordLive: live,
  log: (line) => console.log(line),
});
console.log(JSON.stringify({ deploy: summary.deploy, recording: summary.recording, live, loop_p99_us: summary.loop_p99_us }));
