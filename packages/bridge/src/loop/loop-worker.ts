/**
 * The control thread. It builds the hardware and the policy *inside this worker* (their specs are plain data),
 * checks joint names, then runs the ControlLoop. All talk with the main thread is shared memory (flags, stats
 * histograms, the tick ring) plus occasional postMessage from the housekeeping slice — never on the hot path.
 */
import { parentPort, workerData, type Worker } from 'node:worker_threads';
import { spawnWorker } from '@s2r/core';
import { createHardware, needsEventLoop } from '../hardware/registry.ts';
import { loadDeployPolicy } from '../policy/load.ts';
import type { DeployPolicy } from '../policy/types.ts';
import { SafetyLayer } from '../safety/safety-layer.ts';
import type { JointLimitTable } from '../safety/limits.ts';
import { LatencyStats } from '../timing/latency-stats.ts';
import { nowS, sleepUntil } from '../timing/clock.ts';
import { setThreadPriority } from '../timing/priority.ts';
import { ControlLoop } from './control-loop.ts';
import { PolicyController } from './policy-controller.ts';
import { checkInputs } from '../policy/inputs.ts';
import { InlineSource, QueuedSource, makeInferenceChannel, resolveEnsemble, type ActionSource } from './action-source.ts';
import { MockHardware } from '../hardware/mock.ts';
import { checkJointSets, orderNote } from './joint-map.ts';
import { makeTickRing, TickRing } from './tick-ring.ts';
import { CTRL, ESTOP_REASONS, PHASES } from './shared.ts';
import type { LoopWorkerData } from './run-loop.ts';

const d = workerData as LoopWorkerData;

/**
 * V8's gc() when the process was started with --expose-gc (e.g. `node --expose-gc …`), else null.
 * We never flip V8 flags at run time (v8.setFlagsFromString): flags are process-wide, and changing them while
 * other isolates run crashed V8's concurrent marker in a worker once. The loop must never die, so this is opt-in.
 */
function exposeGc(): ((o?: { type: 'minor' | 'major' }) => void) | null {
  const g = (globalThis as { gc?: (o?: { type: 'minor' | 'major' }) => void }).gc;
  return typeof g === 'function' ? g : null;
}
const gc = exposeGc();

/** A full garbage collection now, so what loading left behind is not collected during control. Best effort. */
function fullGc(): void {
  gc?.();
  gc?.();
}
const post = (m: unknown) => parentPort!.postMessage(m);
const log = (msg: string) => post({ type: 'log', msg });

function prefault(...bufs: SharedArrayBuffer[]): void {
  for (const b of bufs) {
    const u8 = new Uint8Array(b);
    for (let i = 0; i < u8.length; i += 4096) u8[i] = u8[i]!; // a write: reads would only map the shared zero page
  }
}

/** An action source for warm-up runs: zeros, instantly (the real policy is warmed separately). */
class ZeroSource implements ActionSource {
  private readonly a: Float32Array;
  constructor(n: number) {
    this.a = new Float32Array(n);
  }
  next(): Float32Array {
    return this.a;
  }
  reset(): void {}
  stats(): Record<string, unknown> {
    return {};
  }
  close(): void {}
}

/**
 * Run the whole tick path (read → controller → safety → ring) a few thousand times on a simulated clock against a
 * mock robot, before real time. V8 then has the hot code optimised already; otherwise the first seconds of control
 * run partly interpreted and wait on JIT and GC safepoints with background threads that, on a loaded machine, may
 * not get a CPU for tens of milliseconds (measured: 25–95 ms stalls in the first second without this).
 */
async function warmUpLoop(
  joints: readonly string[], limits: JointLimitTable, period: number, pose: Float64Array, kp: Float64Array, kd: Float64Array,
  policy: DeployPolicy | null, data: LoopWorkerData, actSize: number,
): Promise<void> {
  const ticks = data.loop.warmupTicks ?? 3000;
  if (ticks <= 0) return;
  const mock = new MockHardware({ jointNames: [...joints], initialPos: [...pose] });
  const safety = new SafetyLayer({ ...data.safety, limits, period, defaultPose: pose, kp, kd, softStartS: period * 10, softStopS: period * 10 });
  const ctl = policy
    ? new PolicyController({ policy, source: new ZeroSource(actSize), hwJoints: joints, decimation: Math.max(1, Math.round(data.loop.rateHz / data.loop.policyRateHz)), period, between: data.loop.between, commands: data.loop.commands, clock: nowS })
    : undefined;
  const ring = new TickRing(makeTickRing(64, joints.length, actSize));
  let now = 0;
  const loop = new ControlLoop({
    hardware: mock, safety, controller: ctl, rateHz: data.loop.rateHz, durationS: ticks * period,
    clock: () => now,
    sleep: (deadline) => (now = Math.max(now, deadline)),
    onTick: (i) => {
      ring.push(i.tick, i.t, i.latenessUs, i.execUs, i.missed, 0, i.written, i.state, i.sent, ctl ? ctl.lastAction : null, ctl?.policyTick ?? false, ctl ? ctl.input.command : null);
      ring.drain(() => {});
    },
  });
  await loop.run();
  policy?.reset();
  // And the precise sleep itself (its spin calibration and code), ~0.1 s.
  for (let i = 0; i < 300; i++) sleepUntil(nowS() + 0.0003);
}

async function main(): Promise<void> {
  log(`control thread: ${setThreadPriority(d.loop.priority ?? { policy: 'fifo', rtPriority: 50, nice: -10 })}`);
  // The hardware's own e-stop input (a ROS topic) latches and resets through the same shared cells as the main
  // thread's: the loop picks it up on its next tick.
  const ctl = new Int32Array(d.shared.control);
  const hw = await createHardware(d.hardware, {
    log,
    rateHz: d.loop.rateHz,
    estop: () => Atomics.store(ctl, CTRL.ESTOP, ESTOP_REASONS.indexOf('ros e-stop topic')),
    reset: () => Atomics.add(ctl, CTRL.RESET, 1),
  });
  await hw.configure();
  const hwJoints = hw.jointNames;
  const L = d.robotLimits;
  // The hardware must drive exactly the robot's actuated joints (order may differ: mapped by name).
  checkJointSets(L.names, `robot "${d.robotName}"`, hwJoints, `hardware "${hw.name}"`);
  const idx = hwJoints.map((j) => L.names.indexOf(j));
  const limits: JointLimitTable = {
    names: [...hwJoints],
    lower: Float64Array.from(idx, (i) => L.lower[i]!),
    upper: Float64Array.from(idx, (i) => L.upper[i]!),
    velocity: Float64Array.from(idx, (i) => L.velocity[i]!),
    effort: Float64Array.from(idx, (i) => L.effort[i]!),
  };
  const period = 1 / d.loop.rateHz;

  let controller: PolicyController | undefined;
  let source: ActionSource | undefined;
  let infWorker: Worker | undefined;
  let defaultPose: Float64Array;
  let kp: Float64Array;
  let kd: Float64Array;
  let actSize = 0;
  let warmPolicy: DeployPolicy | null = null;
  if (d.policy) {
    const policy = await loadDeployPolicy(d.policy);
    warmPolicy = policy;
    checkJointSets(policy.jointNames, 'policy', hwJoints, `hardware "${hw.name}"`);
    checkJointSets(policy.jointNames, 'policy', L.names, `robot "${d.robotName}"`);
    checkInputs(policy, hw);
    const note = orderNote(policy.jointNames, hwJoints, `hardware "${hw.name}"`);
    if (note) log(note);
    const k = d.loop.rateHz / d.loop.policyRateHz;
    if (!Number.isInteger(Math.round(k * 1e9) / 1e9) || k < 1) {
      throw new Error(`--rate ${d.loop.rateHz} Hz is not an integer multiple of --policy-rate ${d.loop.policyRateHz} Hz`);
    }
    if (policy.policyRate && Math.abs(policy.policyRate - d.loop.policyRateHz) > 1e-6) {
      log(`warning: policy was trained at ${policy.policyRate} Hz, deploying at ${d.loop.policyRateHz} Hz`);
    }
    const mode = d.loop.inference === 'auto' ? (policy.chunk ? 'worker' : 'inline') : d.loop.inference;
    if (mode === 'inline') {
      source = new InlineSource(policy, nowS);
    } else {
      const spec = policy.chunk ?? { horizon: 1, execute: 1, obsHistory: 1 };
      const ch = makeInferenceChannel(spec, policy.obsSize, policy.actSize);
      infWorker = spawnWorker(new URL('./inference-worker.ts', import.meta.url), { source: d.policy, channel: ch, obsHistory: spec.obsHistory });
      await new Promise<void>((res, rej) => {
        infWorker!.on('message', (m: { type: string; message?: string }) => {
          if (m.type === 'ready') res();
          else if (m.type === 'fatal') rej(new Error(`inference worker: ${m.message}`));
          else if (m.type === 'error') log(`inference error (counted; queue holds): ${m.message}`);
        });
        infWorker!.on('error', rej);
      });
      const ensembleDecay = resolveEnsemble(spec, d.loop.ensemble);
      source = new QueuedSource(ch, spec, policy.obsSize, policy.actSize, 1 / d.loop.policyRateHz, { ensembleDecay });
    }
    if (mode !== 'inline') warmPolicy = null; // chunked: inference (and its warm-up) lives in the inference worker
    controller = new PolicyController({
      policy,
      source,
      hwJoints,
      decimation: Math.round(k),
      period,
      between: d.loop.between,
      commands: d.loop.commands,
      clock: nowS,
      ...(d.loop.inputTimeoutS !== undefined ? { inputTimeoutS: d.loop.inputTimeoutS } : {}),
    });
    const m = controller.map.hwIndex;
    defaultPose = new Float64Array(hwJoints.length);
    kp = new Float64Array(hwJoints.length);
    kd = new Float64Array(hwJoints.length);
    for (let p = 0; p < m.length; p++) {
      defaultPose[m[p]!] = policy.defaultPose[p]!;
      kp[m[p]!] = policy.kp[p]!;
      kd[m[p]!] = policy.kd[p]!;
    }
    actSize = policy.actSize;
  } else {
    const s = d.safety;
    if (!s.defaultPose || !s.kp || !s.kd) throw new Error('no policy: safety.defaultPose, kp and kd are needed to hold the robot');
    const byName = (v: Record<string, number> | number[] | number, what: string) =>
      Float64Array.from(hwJoints, (j, i) => {
        const x = typeof v === 'number' ? v : Array.isArray(v) ? v[i] : v[j];
        if (typeof x !== 'number') throw new Error(`${what} has no value for joint "${j}"`);
        return x;
      });
    defaultPose = byName(s.defaultPose, 'defaultPose');
    kp = byName(s.kp, 'kp');
    kd = byName(s.kd, 'kd');
  }

  // Event ring: 4096 entries hold every per-joint clamp between two housekeeping slices (50 ms) even at 1 kHz.
  const safety = new SafetyLayer({ logSize: 4096, ...d.safety, limits, period, defaultPose, kp, kd, onEvent: d.verboseSafety ? log : undefined });
  const ringBufs = makeTickRing(d.ringSlots ?? 4096, hwJoints.length, actSize);
  const ring = new TickRing(ringBufs);
  let seenEvents = 0;
  // Warm-up before real time: JIT-compile the policy (its first calls run interpreted, milliseconds each), then
  // collect the garbage that loading left, so neither lands in the first seconds of control.
  // The deployed instance itself is warmed (JIT feedback is per closure), then reset() before control starts.
  if (controller && warmPolicy?.act) {
    const obs = new Float32Array(warmPolicy.obsSize);
    for (let i = 0; i < (d.loop.warmupCalls ?? 300); i++) warmPolicy.act(obs);
    warmPolicy.reset();
  }
  // Touch every page of the shared buffers now. A first-touch page fault takes the process' mmap lock, and on a loaded
  // machine a normal-priority thread holding it (GC, JIT) can stall this real-time thread for milliseconds.
  prefault(ringBufs.data, ringBufs.header, d.shared.latency, d.shared.exec, d.shared.control);
  await warmUpLoop(hwJoints, limits, period, defaultPose, kp, kd, controller ? warmPolicy : null, d, actSize);
  fullGc();
  await hw.activate();
  post({ type: 'started', jointNames: [...hwJoints], policyJoints: controller ? [...controller.map.hwIndex] : null, ring: ringBufs });

  const loop = new ControlLoop({
    hardware: hw,
    safety,
    controller,
    rateHz: d.loop.rateHz,
    overrun: d.loop.overrun,
    dryRun: d.loop.dryRun,
    spinS: d.loop.spinS,
    minorGc: gc ? () => gc({ type: 'minor' }) : null,
    durationS: d.loop.durationS,
    control: ctl,
    latency: new LatencyStats(d.shared.latency),
    exec: new LatencyStats(d.shared.exec),
    ioSliceMinSlackS: needsEventLoop(d.hardware) ? (d.loop.ioSliceMinSlackS ?? period * 0.25) : null,
    log,
    onTick: (i) => {
      ring.push(i.tick, i.t, i.latenessUs, i.execUs, i.missed, PHASES.indexOf(safety.phase), i.written, i.state, i.sent,
        controller ? controller.lastAction : null, controller?.policyTick ?? false, controller ? controller.input.command : null);
    },
    onHousekeeping: () => {
      if (safety.totalEvents !== seenEvents) {
        const { events, total } = safety.eventsSince(seenEvents);
        seenEvents = total;
        post({ type: 'safety', events, counts: safety.interventions() });
      }
    },
  });
  const result = await loop.run();
  try {
    await hw.deactivate();
  } catch (e) {
    log(`hardware deactivate failed: ${(e as Error).message}`);
  }
  source?.close();
  if (infWorker) await infWorker.terminate();
  post({ type: 'done', result: { ...result, ringDropped: ring.dropped } });
}

main().catch((e) => post({ type: 'fatal', message: (e as Error)?.message ?? String(e), stack: (e as Error)?.stack }));
