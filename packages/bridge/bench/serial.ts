/**
 * bench:serial — state → command round trip through the TypeScript serial stack (SerialHardware: serialport,
 * COBS/CRC codec, FrameDecoder) against the C firmware emulator over a pty.
 *
 * The emulator runs in reply mode (state_rate 0: one STATE per accepted COMMAND), and we answer each fresh state
 * with the next command as soon as it arrives, so the link ping-pongs as fast as the stack allows. One sample =
 * write(command s) → the STATE acknowledging s (minus the µs the device held it) = host→device + device→host,
 * including serialport's write path, libuv polling and our decoding.
 *
 *   npm run bench:serial [-- --n 20000 --link pty|socat --no-rt --host-rt]
 * Default link: a pty the emulator owns (one kernel pty hop each way, like a USB-serial device node); `socat`
 * adds socat's copy between two ptys (the test setup). Goal: p99 ≤ 0.5 ms. Last line: one JSON object.
 */
import { SerialHardware } from '../src/hardware/serial.ts';
import { setThreadPriority } from '../src/timing/priority.ts';
import type { RobotCommand } from '../src/types.ts';
import { Emulator, PtyPair } from '../test/serial-rig.ts';
import { waitFor } from '../../../test/helpers/wait.ts';

const args = process.argv.slice(2);
const arg = (k: string, d: string) => {
  const i = args.indexOf(`--${k}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : d;
};
const N = Number(arg('n', '20000'));
const WARMUP = 1000;
const link = arg('link', 'pty');
// The emulator stands in for an MCU with its own core: SCHED_FIFO when permitted (it warns and carries on
// otherwise). The Node side runs at normal priority, as the bridge would.
const RT = args.includes('--no-rt') ? [] : ['--rt'];
// --host-rt: give the bridge side what `s2r deploy` gives its control thread (SCHED_FIFO 50 when permitted).
// Off by default: on this shared 2-core machine, where other jobs' control threads also run at FIFO 50, it
// measured worse (p50 0.06 vs 0.016 ms) than normal priority. Serial I/O here runs on the main thread.
const HOST_PRIORITY = args.includes('--host-rt') ? setThreadPriority({ policy: 'fifo', rtPriority: 50 }) : 'normal priority';
const JOINTS = ['FR_hip_joint', 'FR_thigh_joint', 'FR_calf_joint', 'FL_hip_joint', 'FL_thigh_joint', 'FL_calf_joint',
  'RR_hip_joint', 'RR_thigh_joint', 'RR_calf_joint', 'RL_hip_joint', 'RL_thigh_joint', 'RL_calf_joint'];

function pct(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export async function measureRtt(opts: { n: number; link: string; quietLog?: boolean }): Promise<{ samples: Float64Array; stats: Record<string, number> }> {
  let pair: PtyPair | null = null;
  let emu: Emulator;
  let hostPath: string;
  if (opts.link === 'socat') {
    pair = await PtyPair.start();
    emu = Emulator.start(['--tty', pair.dev, '--state-rate', '0', '--heartbeat-ms', '0', '--quiet', ...RT]);
    hostPath = pair.host;
  } else {
    emu = Emulator.start(['--pty', '--state-rate', '0', '--heartbeat-ms', '0', '--quiet', ...RT]);
    await waitFor(() => /PTY (\S+)/.test(emu.stdout), 'emulator pty path', { timeoutMs: 5000 });
    hostPath = /PTY (\S+)/.exec(emu.stdout)![1]!;
  }
  const hw = new SerialHardware({ path: hostPath, jointNames: JOINTS, heartbeatMs: 0, silenceMs: 5000 });
  await hw.configure();
  await hw.activate();
  const n = JOINTS.length;
  const cmd: RobotCommand = {
    mode: 'position',
    position: new Float64Array(n),
    velocity: new Float64Array(n),
    effort: new Float64Array(n),
    kp: new Float64Array(n).fill(20),
    kd: new Float64Array(n).fill(0.5),
  };
  const total = opts.n + WARMUP;
  let round = 0;
  await new Promise<void>((resolve) => {
    // The control step: a fresh state arrives → read() → a command → write(). No timers in the path.
    const off = hw.onDeviceMessage((m) => {
      if (m.type !== 'state') return;
      const s = hw.read(0, 0);
      if (!s) return;
      if (++round >= total) {
        off();
        resolve();
        return;
      }
      cmd.position[0] = 0.1 * Math.sin(round * 1e-3);
      hw.write(0, 0, cmd);
    });
    hw.write(0, 0, cmd);
  });
  const all = hw.rttSamplesMs();
  const stats = hw.stats();
  await hw.deactivate();
  await emu.stop();
  await pair?.cleanup();
  return { samples: all.slice(Math.min(WARMUP, all.length - 1)), stats };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { samples, stats } = await measureRtt({ n: N, link });
  const sorted = Float64Array.from(samples).sort();
  const r = (x: number) => Math.round(x * 1000) / 1000;
  console.error(`serial RTT over ${link}: ${sorted.length} round trips, frame errors ${stats.frameErrors}, tx dropped ${stats.txDropped}`);
  console.log(JSON.stringify({
    bench: 'serial',
    rtt_p50_ms: r(pct(sorted, 0.5)),
    rtt_p99_ms: r(pct(sorted, 0.99)),
    rtt_max_ms: r(sorted[sorted.length - 1]!),
    samples: sorted.length,
    link,
    host_priority: HOST_PRIORITY,
    frame_errors: stats.frameErrors,
  }));
}
