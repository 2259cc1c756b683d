/**
 * docs/view-and-compare.md and docs/sim-to-real-troubleshooting.md: what is in an s2r recording, and the numbers
 * that tell a healthy deployment from a shaking one — side by side for several recordings (sim vs real, 0 vs 20 ms
 * latency, Kp 20 vs 40).
 *
 *   npx tsx docs/examples/recording-stats.ts A.mcap [B.mcap ...]
 *
 * Per recording: channels (topic, schema, message count), the embedded robot, and
 *   - tracking_rms_rad   RMS of (commanded − measured) joint position over all joints and joint states: PD lag, sag, latency;
 *   - jitter_rms_rad_s   RMS of joint velocity minus its 50 ms moving average: high-frequency shaking;
 *   - action_rate        mean |a_t − a_{t−1}| of the raw policy action per policy step: a policy that chatters;
 *   - lateness_p99_us    99th percentile of control-tick lateness (/loop_timing);
 *   - safety             interventions by kind (/safety).
 */
import { readRecording, TOPICS } from '@s2r/recording';

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

function stats(path: string) {
  const rec = readRecording(path);
  const counts = new Map<string, number>();
  for (const m of rec.messages) counts.set(m.topic, (counts.get(m.topic) ?? 0) + 1);

  // A tick whose state never arrived is recorded with NaN positions (null in JSON-encoded files): skip those.
  const js = rec.messages.filter((m) => m.topic === TOPICS.jointState && m.data.position.every((x: number | null) => typeof x === 'number' && Number.isFinite(x)));
  const cmd = rec.messages.filter((m) => m.topic === TOPICS.command && Array.isArray(m.data.position) && (m.data.mode ?? 'position') === 'position');
  const act = rec.messages.filter((m) => m.topic === TOPICS.action);

  // Tracking: each joint state against the command in force then, the latest at or before it (a file keeps a
  // command when it changes and the last repeat before the next change, so the command holds between messages).
  let se = 0;
  let n = 0;
  let k = -1;
  for (const s of js) {
    while (k + 1 < cmd.length && cmd[k + 1]!.t <= s.t) k++;
    if (k < 0) continue;
    const q: number[] = s.data.position;
    const qd: number[] = cmd[k]!.data.position;
    for (let i = 0; i < Math.min(q.length, qd.length); i++) {
      se += (qd[i]! - q[i]!) ** 2;
      n++;
    }
  }
  // Jitter: velocity minus its moving average over a 50 ms window.
  let jse = 0;
  let jn = 0;
  const win = 0.05;
  for (let a = 0, i = 0; i < js.length; i++) {
    while (js[i]!.t - js[a]!.t > win) a++;
    const v: number[] = js[i]!.data.velocity ?? [];
    for (let j = 0; j < v.length; j++) {
      let mean = 0;
      for (let b = a; b <= i; b++) mean += js[b]!.data.velocity[j];
      mean /= i - a + 1;
      jse += (v[j]! - mean) ** 2;
      jn++;
    }
  }
  let ar = 0;
  for (let i = 1; i < act.length; i++) {
    const a0: number[] = act[i - 1]!.data.action;
    const a1: number[] = act[i]!.data.action;
    let s = 0;
    for (let j = 0; j < a1.length; j++) s += Math.abs(a1[j]! - a0[j]!);
    ar += s / a1.length;
  }
  const late = rec.messages.filter((m) => m.topic === TOPICS.timing).map((m) => m.data.lateness_us as number);
  const safety: Record<string, number> = {};
  for (const m of rec.messages) if (m.topic === TOPICS.safety) safety[m.data.kind] = (safety[m.data.kind] ?? 0) + 1;

  console.log(`\n${path}  (${(rec.endTime - rec.startTime).toFixed(1)} s, ${rec.complete ? 'complete' : 'INCOMPLETE: ' + (rec.error ?? 'truncated')})`);
  console.log(`  robot: ${rec.robot?.name ?? '-'}  joints: ${rec.robot?.jointNames?.join(', ') ?? '-'}`);
  console.log(`  attachments: ${rec.attachments.map((a) => `${a.name} (${a.mediaType})`).join(', ') || '-'}`);
  console.log('  topic                  schema                      messages');
  for (const c of rec.channels) console.log(`  ${c.topic.padEnd(22)} ${c.schemaName.padEnd(27)} ${counts.get(c.topic) ?? 0}`);
  return {
    recording: path,
    tracking_rms_rad: n ? +Math.sqrt(se / n).toFixed(4) : null,
    jitter_rms_rad_s: jn ? +Math.sqrt(jse / jn).toFixed(4) : null,
    action_rate: act.length > 1 ? +(ar / (act.length - 1)).toFixed(4) : null,
    lateness_p99_us: late.length ? +pct(late, 0.99).toFixed(1) : null,
    safety,
  };
}

const paths = process.argv.slice(2);
if (paths.length === 0) {
  console.error('usage: npx tsx docs/examples/recording-stats.ts A.mcap [B.mcap ...]');
  process.exit(2);
}
const rows = paths.map(stats);
console.log('');
for (const r of rows) console.log(JSON.stringify(r));
