/**
 * deploy(opts): run a policy on hardware (sim, serial, ROS, mock) at a fixed rate behind the safety layer, optionally
 * recording MCAP, and return one summary. This is what `npx s2r deploy` and `npm start` call.
 *
 * Order of events: parse the URDF → load the policy's facts and check its joints against the robot → start the
 * control thread, which configures the hardware and checks its joints too (all before anything moves) → activate →
 * soft start → policy → soft stop (damping) → deactivate. SIGINT and the stdin keys (space / e) latch the e-stop;
 * `r` is the explicit reset. Everything but the control thread's hot path happens here, in the main thread.
 */
import { existsSync, readFileSync, rmdirSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadUrdf } from '@s2r/core';
import { limitsFromModel } from './safety/limits.ts';
import { checkJointSets } from './loop/joint-map.ts';
import { startControlLoop, type LoopHandle, type SafetyOptions } from './loop/run-loop.ts';
import type { OverrunPolicy } from './loop/control-loop.ts';
import type { Between } from './loop/policy-controller.ts';
import type { EnsembleChoice } from './loop/action-source.ts';
import { F, MODES } from './loop/tick-ring.ts';
import { PHASES } from './loop/shared.ts';
import { parseCommandSchedule, type CommandStep } from './policy/command-schedule.ts';
import { loadDeployPolicy } from './policy/load.ts';
import { checkArtifactFitsRobot } from './policy/robot-match.ts';
import { policyReadsImu } from './policy/reads-imu.ts';
import { checkSimRate, hardwareSpec, policySource, type DeployTarget } from './deploy-target.ts';
import { simPhysicsDt } from './hardware/sim.ts';
import { checkSafetyTuning, type SafetyEvent } from './safety/safety-layer.ts';
import { LatencyStats } from './timing/latency-stats.ts';
import { judgeRun, safetyLogThrottle, type DeployOutcome, type OperatorSignal, type Verdict } from './outcome.ts';
import { handleOperatorSignals } from './signals.ts';
import { lockDevice, type DeviceLock } from './device-lock.ts';
import type { LoopResult } from './loop/control-loop.ts';
import { Recorder, serveFoxglove } from '@s2r/recording';

/** The policy and hardware fields (policy, layout, jointOrder, zeroTerms, hardware, dryRun, seed, sim faults, sim/ros/serial
 * options, rosInputTopics) are DeployTarget's (deploy-target.ts). */
export interface DeployOptions extends DeployTarget {
  /** Robot URDF path (the single source of joint names and limits). */
  robot: string;
  /** Command rate (Hz). Default 500. */
  rateHz?: number;
  /** Policy rate (Hz). Default 50. Must divide rateHz. */
  policyRateHz?: number;
  /** Seconds of policy control (after the soft start) before the soft stop. Default: until stopped (Infinity). */
  durationS?: number;
  /** Velocity commands 'vx,vy,wz@t;...' (or parsed). */
  commands?: string | CommandStep[];
  /** MCAP output path. */
  record?: string;
  /** Replace an existing `record` file (default: refuse to, with an error naming it). */
  overwrite?: boolean;
  /** Write MCAP chunk and message indexes (about +1.3 MB per minute of Go1 at 500 Hz): Foxglove then seeks in the
   *  file instead of loading all of it into memory. Worth it for recordings of many minutes. */
  recordIndexed?: boolean;
  /** Also stream the recording to a live viewer (ws://…/live). */
  recordLive?: string;
  /** Serve the recording's topics live to Foxglove (WebSocket protocol) on loopback, on this port (8765 by default). */
  foxglove?: boolean;
  foxglovePort?: number;
  /** An external input older than this (s) is stale: the safety layer damps as for stale joints. Default 0.1. */
  inputTimeoutS?: number;
  overrun?: OverrunPolicy;
  between?: Between;
  inference?: 'auto' | 'inline' | 'worker';
  /** Temporal ensembling of a chunked policy's chunks: the artifact's setting ('artifact', default), 'off', 'on', or a decay. */
  ensemble?: EnsembleChoice;
  safety?: SafetyOptions;
  /** Latch the e-stop and stop on SIGINT, SIGTERM or SIGHUP (a second one ends at once). Default true. */
  handleSigint?: boolean;
  /** E-stop on space / 'e' from stdin, reset on 'r'. Default false (the CLI turns it on for a TTY). */
  stdinKeys?: boolean;
  /** Live status lines (throttled, main thread). Default: none. */
  log?: (line: string) => void;
  /** The checks printed before anything moves (an ONNX policy's resolved mapping). Default: `log`. */
  report?: (line: string) => void;
  /** Seconds between live lines. Default 1. */
  liveEveryS?: number;
  /** Aborting it stops the run the normal way (soft stop, then deactivate); deploy() still resolves with a summary. */
  signal?: AbortSignal;
}

export interface DeploySummary {
  /** See outcome.ts: done (exit 0), estopped (exit 3), failed (exit 4). */
  deploy: DeployOutcome;
  /** 'duration', 'SIGINT' | 'SIGTERM' | 'SIGHUP' (operator), 'abort' (AbortSignal), or the e-stop reason. */
  stopped_by: string;
  /** One line saying why, for failed and estopped runs; null for done. */
  reason: string | null;
  /** Non-null when the run spent ticks in watchdog or non-finite-action holds. */
  degraded: Verdict['degraded'];
  policy: string;
  robot: string;
  hardware: string;
  dry_run: boolean;
  rate_hz: number;
  policy_rate_hz: number;
  /** Wall time the loop ran (s), including soft start and soft stop. */
  duration_s: number;
  ticks: number;
  /** Base path length while the policy was in control (m), sampled at 10 Hz; null when the hardware has no base position. */
  distance_m: number | null;
  /** Straight-line base displacement over the same span (m). */
  displacement_m: number | null;
  /** Falls (tilt > 60° or base below 40% of spawn height) while the policy was in control; null if unknown. */
  falls: number | null;
  /** Lateness (wake − deadline) over the whole run, including soft start and soft stop (µs). */
  loop_p50_us: number;
  loop_p99_us: number;
  loop_max_us: number;
  exec_p99_us: number;
  /** Deadlines missed over the whole run (overruns + skipped cycles). */
  missed_deadlines: number;
  /** The same figures over the ticks where the policy was in control (phase running). */
  running: { ticks: number; p50_us: number; p99_us: number; max_us: number; missed: number };
  /** Safety interventions by kind (ticks on which each fired): what the layer changed beyond the action pipeline. */
  safety_interventions: Record<string, number>;
  safety_interventions_total: number;
  /** Interventions on ticks that began with the policy in control (outside the soft start/stop ramps). */
  safety_interventions_running: Record<string, number>;
  /** Safety estimates that changed nothing (ticks), e.g. effort_estimate. */
  safety_diagnostics: Record<string, number>;
  /** The action pipeline doing its normal job: clip / position_limit / effort_limit (policy steps), rate_limit (substeps). */
  pipeline_limiting: Record<string, number>;
  estop: string | null;
  recording: string | null;
  /** Why recording stopped early (e.g. the disk filled up), or null; the file holds everything before it. */
  recording_error: string | null;
  hardware_stats: Record<string, number>;
  policy_stats: Record<string, unknown>;
}

export async function deploy(o: DeployOptions): Promise<DeploySummary> {
  const rateHz = o.rateHz ?? 500;
  const policyRateHz = o.policyRateHz ?? 50;
  if (!(rateHz > 0 && rateHz <= 10_000)) throw new Error(`rate must be in (0, 10000] Hz, got ${rateHz}`);
  if (!(policyRateHz > 0 && policyRateHz <= rateHz)) throw new Error(`policy rate must be in (0, rate], got ${policyRateHz} Hz at rate ${rateHz} Hz`);
  const k = rateHz / policyRateHz;
  if (Math.abs(k - Math.round(k)) > 1e-9) throw new Error(`rate ${rateHz} Hz is not an integer multiple of policy rate ${policyRateHz} Hz`);
  const log = o.log ?? (() => {});
  // Checked here, before the recording file is created or the control thread starts (which would find them
  // only after the hardware is open).
  checkSafetyTuning(o.safety ?? {});
  if (o.durationS !== undefined && !(o.durationS >= 0)) throw new Error(`duration must be ≥ 0 s, got ${o.durationS}`);
  if (o.latencyMs !== undefined && !(o.latencyMs >= 0 && Number.isFinite(o.latencyMs))) throw new Error(`latency must be a finite number ≥ 0 ms, got ${o.latencyMs}`);
  if (o.dropRate !== undefined && !(o.dropRate >= 0 && o.dropRate < 1)) throw new Error(`drop probability must be in [0, 1), got ${o.dropRate}`);
  if (typeof o.noise === 'number' && !(o.noise >= 0 && Number.isFinite(o.noise))) throw new Error(`noise scale must be a finite number ≥ 0, got ${o.noise}`);

  // 1) The robot description.
  const model = loadUrdf(o.robot);
  const joints = [...model.actuatedJoints];
  const limits = limitsFromModel(model, joints);

  // 2) The policy's facts, checked against the robot before anything else starts.
  const source = policySource(o, model);
  const policyLabel = typeof o.policy === 'string' ? o.policy : 'module' in o.policy ? `${o.policy.module}#${o.policy.export ?? 'default'}` : 'onnx' in o.policy ? o.policy.onnx : o.policy.artifact;
  if ('artifact' in source) checkArtifactFitsRobot(source.artifact, policyLabel, model);
  const facts = await loadDeployPolicy(source);
  checkJointSets(facts.jointNames, `policy ${policyLabel}`, joints, `robot ${model.source}`);
  // ONNX: the resolved mapping, term by term and joint by joint, before anything moves.
  const onnxFacts = 'onnx' in source ? { layout: source.layout, zero_terms: source.zeroTerms ?? [] } : null;
  for (const line of (facts as { describe?: () => string[] }).describe?.() ?? []) (o.report ?? log)(line);
  const policyDefault: Record<string, number> = {};
  facts.jointNames.forEach((j, i) => (policyDefault[j] = facts.defaultPose[i]!));
  // ROS: a policy that reads the IMU needs the IMU topic, checked at start (ros-checks.ts).
  const readsImu = policyReadsImu(facts);
  facts.dispose?.();

  const { spec, label } = hardwareSpec(o, model, policyDefault, readsImu, { task: facts.task, inputs: facts.inputs });
  if (spec.kind === 'sim') checkSimRate(rateHz, o.safety?.watchdogPeriods ?? 10, await simPhysicsDt(spec.options));
  const commands = typeof o.commands === 'string' ? parseCommandSchedule(o.commands) : (o.commands ?? []);
  const softStartS = o.safety?.softStartS ?? 2;
  const durationS = o.durationS === undefined ? Infinity : softStartS + o.durationS;
  log(`deploy: ${policyLabel} → ${label} (${model.name}, ${joints.length} joints) at ${rateHz} Hz, policy ${policyRateHz} Hz${o.dryRun ? ', DRY RUN (no writes)' : ''}`);

  // One device, one owner: taken before the recording is created, released when the run ends.
  const deviceLock: DeviceLock | null = spec.kind === 'serial' ? lockDevice(spec.path) : null;

  // 3) Recording (optional).
  let recorder: Recorder | null = null;
  const foxglove = o.foxglove ? await serveFoxglove({ port: o.foxglovePort ?? 8765 }) : null;
  if (foxglove) log(`deploy: Foxglove WebSocket server on ${foxglove.url} (Foxglove: Open connection → Foxglove WebSocket)`);
  // Set when writing the recording failed (e.g. disk full): recording stopped, the run went on.
  let recordingError: string | null = null;
  // What opening the recording creates (the file and any missing parent folders), removed again if the control
  // thread fails before the loop starts (e.g. the serial port does not exist): nothing ran, so nothing to keep.
  const created: string[] = [];
  if (o.record) {
    for (let p = resolve(o.record); !existsSync(p); p = dirname(p)) created.push(p);
  }
  if (o.record || o.recordLive || foxglove) {
    recorder = await Recorder.open(o.record ? resolve(o.record) : null, {
      robot: model,
      live: o.recordLive,
      ...(foxglove ? { foxglove } : {}),
      overwrite: !!o.overwrite,
      messageIndexes: !!o.recordIndexed,
      // One line naming the file, even with --quiet; the robot keeps being controlled and the run ends normally.
      onWriteError: (e: Error) => {
        recordingError = e.message;
        (o.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(`deploy: ${e.message}`);
      },
      meta: { kind: 'deployment', policy: policyLabel, ...(onnxFacts ? { onnx: onnxFacts } : {}), hardware: label, rate_hz: rateHz, policy_rate_hz: policyRateHz, dry_run: !!o.dryRun, seed: o.seed ?? 0, commands },
    }).catch(async (e: unknown) => {
      await foxglove?.close(); // e.g. the file exists: nothing runs, so nothing may keep the port open
      deviceLock?.release();
      throw e;
    });
  }

  // 4) The control thread.
  const safetyEvents: SafetyEvent[] = [];
  const h: LoopHandle = startControlLoop({
    hardware: spec,
    policy: source,
    robotName: model.name,
    robotLimits: { names: joints, lower: [...limits.lower], upper: [...limits.upper], velocity: [...limits.velocity], effort: [...limits.effort] },
    rateHz,
    policyRateHz,
    overrun: o.overrun,
    dryRun: o.dryRun,
    durationS,
    between: o.between,
    inference: o.inference,
    ensemble: o.ensemble,
    inputTimeoutS: o.inputTimeoutS,
    commands,
    safety: { ...o.safety, softStartS },
    verboseSafety: true,
    onLog: safetyLogThrottle(log),
    onSafety: (ev, counts) => {
      safetyEvents.push(...ev);
      safetyCounts = counts;
    },
  });

  // Figures from the tick stream: distance and falls while the policy is in control.
  const sim = spec.kind === 'sim' ? spec.options : null;
  const spawnZ = sim?.baseHeight ?? 0; // a floating sim base always has one (SimHardware checks)
  const cosTilt = Math.cos(sim?.fallTiltRad ?? Math.PI / 3);
  const fallZ = (sim?.fallHeightFrac ?? 0.4) * spawnZ;
  let hasBase = false;
  let pathLen = 0;
  let first: [number, number] | null = null;
  let lastS: [number, number] | null = null;
  let lastSampleT = -Infinity;
  let falls = 0;
  let fallen = false;
  let wasRunning = false;
  let hwJoints: string[] = joints;
  const runLate = new LatencyStats();
  let runMissed = 0;
  let policyTicks = 0;
  let stateTicks = 0;
  let lastStateT = 0;
  let safetyCounts: Record<string, number> = {};
  let recordErrors = 0;
  const RUNNING = PHASES.indexOf('running');
  let lastRecordedT = 0;
  // Safety events arrive by message, ticks through the ring; write events once the ticks around them are written,
  // so the recording's log times stay non-decreasing.
  const writeSafety = (upTo: number) => {
    if (!recorder) return;
    let k = 0;
    for (; k < safetyEvents.length && safetyEvents[k]!.t <= upTo; k++) {
      const e = safetyEvents[k]!;
      try {
        recorder.safety(Math.max(0, e.t), { kind: e.kind, ...(e.joint >= 0 ? { joint: hwJoints[e.joint] } : {}), ...(Number.isFinite(e.requested) ? { value: e.requested } : {}), ...(Number.isFinite(e.sent) ? { limit: e.sent } : {}) });
      } catch (err) {
        if (recordErrors++ === 0) log(`recording error (recording continues without that message): ${(err as Error).message}`);
      }
    }
    safetyEvents.splice(0, k);
  };
  const onRecord = (r: import('./loop/tick-ring.ts').TickRecord) => {
    const f = r.f;
    const t = f[F.t]!;
    lastRecordedT = t;
    const running = f[F.phase] === RUNNING;
    if (running) {
      runLate.add(f[F.lateness_us]!);
      runMissed += f[F.missed]!;
    }
    if (f[F.has_base]) {
      hasBase = true;
      const x = f[F.base_x]!, y = f[F.base_y]!, z = f[F.base_z]!;
      const qx = f[F.qx]!, qy = f[F.qy]!;
      const up = 1 - 2 * (qx * qx + qy * qy); // cos(tilt)
      const isFallen = up < cosTilt || z < fallZ;
      if (running) {
        // A robot already down when the policy takes over counts as a fall too (wasRunning resets the edge).
        if (isFallen && (!fallen || !wasRunning)) falls++;
        if (!first) first = [x, y];
        if (t - lastSampleT >= 0.1) {
          if (lastS) pathLen += Math.hypot(x - lastS[0], y - lastS[1]);
          lastS = [x, y];
          lastSampleT = t;
        }
      }
      fallen = isFallen;
    }
    wasRunning = running;
    if (f[F.has_state]) {
      stateTicks++;
      lastStateT = t;
    }
    if (f[F.policy_tick]) policyTicks++;
    if (recorder) {
      try {
        recorder.jointState(t, { names: hwJoints, position: r.q, velocity: r.qd, effort: r.tau });
        recorder.command(t, { names: hwJoints, mode: MODES[f[F.mode]!] ?? 'position', position: r.cmdPos, kp: r.cmdKp, kd: r.cmdKd });
        recorder.timing(t, { lateness_us: f[F.lateness_us]!, exec_us: f[F.exec_us]!, missed: f[F.missed]!, tick: f[F.tick]! });
        if (f[F.has_base]) {
          recorder.linkPoses(t, [model.rootLink], [f[F.base_x]!, f[F.base_y]!, f[F.base_z]!, f[F.qx]!, f[F.qy]!, f[F.qz]!, f[F.qw]!]);
        }
        if (f[F.policy_tick]) {
          recorder.action(t, r.action);
          recorder.velocityCommand(t, { vx: f[F.cmd_vx]!, vy: f[F.cmd_vy]!, yaw_rate: f[F.cmd_wz]! });
        }
      } catch (e) {
        if (recordErrors++ === 0) log(`recording error (recording continues without that message): ${(e as Error).message}`);
      }
    }
  };

  // Operator inputs: SIGINT / SIGTERM / SIGHUP and stdin keys latch the e-stop; 'r' resets it.
  let stopSignal: OperatorSignal | null = null;
  let abortedBy: OperatorSignal | null = null;
  const signals = (o.handleSigint ?? true)
    ? handleOperatorSignals({
      first(sig) {
        stopSignal = sig;
        log(`${sig}: e-stop latched (damping); stopping. Press Ctrl-C again to end at once.`);
        h.estop(sig);
        h.stop();
      },
      again(sig) {
        abortedBy = sig;
        log(`${sig} again: ending the control thread now, without its soft stop (the e-stop is latched, the robot damping); closing the recording and printing the summary.`);
        void h.worker.terminate();
      },
    })
    : null;
  const onAbort = () => h.stop();
  if (o.signal?.aborted) h.stop();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const stdin = process.stdin;
  let rawSet = false;
  const onKey = (buf: Buffer) => {
    for (const ch of buf.toString('utf8')) {
      if (ch === ' ' || ch === 'e' || ch === 'E') {
        log('stdin: e-stop latched (press r to reset)');
        h.estop('stdin key');
      } else if (ch === 'r' || ch === 'R') {
        log('stdin: e-stop reset; soft start');
        h.reset();
      } else if (ch === '\u0003') signals?.deliver('SIGINT');
    }
  };
  if (o.stdinKeys) {
    if (stdin.isTTY) {
      stdin.setRawMode(true);
      rawSet = true;
    }
    stdin.on('data', onKey);
    stdin.resume();
  }

  const liveEvery = (o.liveEveryS ?? 1) * 1000;
  let lastLive = Date.now();
  const timer = setInterval(() => {
    h.drain(onRecord);
    writeSafety(lastRecordedT);
    if (o.log && Date.now() - lastLive >= liveEvery) {
      lastLive = Date.now();
      const L = h.live();
      log(`[loop] ticks=${L.ticks} phase=${L.phase} lateness p50=${L.lateness.p50_us} p99=${L.lateness.p99_us} max=${L.lateness.max_us} µs exec p99=${L.exec.p99_us} µs missed=${L.missed}`);
    }
  }, 50);

  // A setup failure rejects both promises; `started` reports it, so `done` must not become an unhandled rejection.
  h.done.catch(() => {});
  try {
    let started;
    try {
      started = await h.started;
    } catch (e) {
      if (abortedBy) e = new Error(`aborted by a second ${abortedBy} while the control thread was starting: nothing ran`);
      if (recorder && !recorder.closed) await recorder.close().catch(() => {});
      for (const p of created) {
        try {
          if (p === created[0]) unlinkSync(p);
          else rmdirSync(p); // only if empty
        } catch {
          break;
        }
      }
      throw e;
    }
    hwJoints = started.jointNames;
    const startedAt = Date.now();
    // A second signal terminates the control thread: its result is lost, so the summary is built from what the
    // main thread saw (live figures, tick stream, safety counts).
    const res = await h.done.catch((e) => {
      if (!abortedBy) throw e;
      return abortedResult(h.live(), safetyCounts, stopSignal, (Date.now() - startedAt) / 1000);
    });
    h.drain(onRecord);
    if (recorder) {
      writeSafety(Infinity);
      await recorder.close();
    }
    const total = Object.values(res.interventions).reduce((a, b) => a + b, 0);
    const disp = first && lastS ? Math.hypot(lastS[0] - first[0], lastS[1] - first[1]) : null;
    const verdict = judgeRun({
      finalPhase: res.finalPhase,
      estopReason: res.estopReason,
      stopRequestedBy: stopSignal ?? (o.signal?.aborted ? 'abort' : null),
      abortedBy,
      hardware: label,
      rateHz,
      watchdogPeriods: o.safety?.watchdogPeriods ?? 10,
      dryRun: !!o.dryRun,
      usesPolicy: true,
      ticks: res.ticks,
      stateTicks,
      runningTicks: runLate.count,
      policySteps: Number(res.controller.policy_steps ?? policyTicks),
      writes: res.writes,
      lastStateT,
      endT: lastRecordedT,
      watchdogTicks: res.interventions.watchdog ?? 0,
      nonfiniteTicks: res.interventions.nonfinite ?? 0,
      ...(typeof res.hardware.linkUp === 'number' ? { linkUp: res.hardware.linkUp } : {}),
    });
    return {
      deploy: verdict.deploy,
      stopped_by: verdict.stopped_by,
      reason: verdict.reason,
      degraded: verdict.degraded,
      policy: policyLabel,
      robot: model.source,
      hardware: label,
      dry_run: !!o.dryRun,
      rate_hz: rateHz,
      policy_rate_hz: policyRateHz,
      duration_s: round(res.durationS, 3),
      ticks: res.ticks,
      distance_m: hasBase ? round(pathLen, 3) : null,
      displacement_m: hasBase && disp !== null ? round(disp, 3) : null,
      falls: hasBase ? falls : null,
      loop_p50_us: res.lateness.p50_us,
      loop_p99_us: res.lateness.p99_us,
      loop_max_us: res.lateness.max_us,
      exec_p99_us: res.exec.p99_us,
      missed_deadlines: res.missed,
      running: (() => {
        const r = runLate.summary();
        return { ticks: r.count, p50_us: r.p50_us, p99_us: r.p99_us, max_us: r.max_us, missed: runMissed };
      })(),
      safety_interventions: res.interventions,
      safety_interventions_total: total,
      safety_interventions_running: res.interventionsRunning,
      safety_diagnostics: res.safetyDiagnostics,
      pipeline_limiting: res.pipelineLimiting,
      estop: res.estopReason || null,
      recording: o.record ? resolve(o.record) : null,
      recording_error: recordingError,
      hardware_stats: res.hardware,
      policy_stats: { ...res.controller, policy_ticks_recorded: policyTicks, ring_dropped: res.ringDropped, ...(onnxFacts ? { onnx: onnxFacts } : {}) },
    };
  } finally {
    deviceLock?.release();
    clearInterval(timer);
    o.signal?.removeEventListener('abort', onAbort);
    signals?.remove();
    if (o.stdinKeys) {
      stdin.off('data', onKey);
      if (rawSet) stdin.setRawMode(false);
      stdin.pause();
    }
    if (recorder && !recorder.closed) await recorder.close().catch(() => {});
    await foxglove?.close();
  }
}

function round(x: number, d: number): number {
  const m = 10 ** d;
  return Math.round(x * m) / m;
}


/** The LoopResult of a control thread ended by a second signal (its own result never arrived). */
function abortedResult(live: ReturnType<LoopHandle['live']>, interventions: Record<string, number>, sig: OperatorSignal | null, durationS: number): LoopResult & { ringDropped: number } {
  return {
    ticks: live.ticks, missed: live.missed, skipped: 0, lateness: live.lateness, exec: live.exec,
    writes: 0, writeFailures: 0, readErrors: 0, controllerErrors: 0, interventions, interventionsRunning: {}, safetyDiagnostics: {}, pipelineLimiting: {},
    finalPhase: live.phase, estopReason: sig ?? '', durationS, controller: {}, hardware: {}, ringDropped: 0,
  };
}
