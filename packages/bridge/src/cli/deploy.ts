/**
 * `npx s2r deploy`: run a policy artifact on hardware at a fixed rate behind the safety layer.
 * Prints live loop figures on stderr (throttled) and ends with one JSON summary line on stdout.
 */
import { parseArgs, UsageError, type Command } from '@s2r/core';
import { foxglovePortFromFlags } from '@s2r/recording';
import { deploy, type DeployOptions } from '../deploy.ts';
import { EXIT_CODES, verdictLine } from '../outcome.ts';
import type { EnsembleChoice } from '../loop/action-source.ts';
import { ROS_INPUT_FLAGS } from '../policy/inputs.ts';

const usage = `Usage: npx s2r deploy --policy <artifact|model.onnx> --robot <urdf> --hardware <hw> [options]

Runs read → policy → safety → write at a fixed rate in a dedicated thread. Before anything moves it checks that the
policy's joints match the robot's and the hardware's (order may differ: arrays are mapped by name).

Hardware:
  sim                           the s2r simulator in real time in its own thread (the sim2sim check)
  serial:/dev/ttyUSB0@1000000   the s2r serial protocol (hardware/PROTOCOL.md), port path and baud
  ros:ws://host:9090            rosbridge v2: JointState/Imu in, Float64MultiArray or JointTrajectory out
  mock                          commands copied into state (tests)

 ONNX policies (trained in Isaac Lab, mjlab, legged_gym / unitree_rl_gym, MuJoCo Playground; docs/deploy-onnx.md):
  --layout NAME|FILE     isaaclab | mjlab | legged_gym | unitree_rl_gym | playground, or a layout JSON file (required)
  --joint-order a,b,c    the network's joint order, overriding the layout's (e.g. breadth-first for Isaac Lab)
  --zero-terms t1,t2     feed these observation terms as zeros (e.g. base_lin_vel, which real robots don't measure)

Options:
  --rate HZ              command rate (default 500)
  --policy-rate HZ       policy rate (default 50); must divide --rate
  --duration S           seconds of policy control after the soft start (default: until Ctrl-C)
  --commands SPEC        velocity commands 'vx,vy,wz@t;...' (m/s, m/s, rad/s from t seconds after the policy first
                         takes over; a watchdog/e-stop pause does not restart it), e.g. '0.5,0,0@0;0,0,0.5@10'
  --record OUT.mcap      record joint states, commands, actions, timing and safety events (MCAP); an existing
                         file is refused, and so is a file another deploy is recording (lock OUT.mcap.lock)
  --overwrite            replace an existing --record file
  --record-indexed       also write MCAP chunk/message indexes (+~1.3 MB/min at 500 Hz) so Foxglove seeks instead of
                         loading the whole file; the default file is smaller and unindexed
  --live WS_URL          also stream the recording to an open viewer (the ws://…/live URL \`s2r view\` prints)
  --foxglove             serve the recording's topics live to Foxglove (WebSocket protocol, 127.0.0.1 only):
                         in Foxglove, Open connection → Foxglove WebSocket → ws://localhost:8765
  --foxglove-port N      port of that server (default 8765)
  --dry-run              run the whole loop but never write to the hardware
  --seed N               seed for the sim's noise, latency and drops (default 0)
  --latency-ms X         sim: one-way command latency (ms)
  --noise X              sim: sensor noise, × legged_gym's levels (1 = 0.01 rad, 0.075 rad/s, 0.05 rad/s gyro, 0.05 g)
  --drop P               sim: probability of losing a command or state packet
  --overrun skip|late-once   what to do after a missed deadline (default skip)
  --between hold|interpolate targets between policy ticks (default hold: what the env trained with; interpolate lags one policy period)
  --ensemble off|on|M    temporal ensembling of a chunked policy's chunks (ACT: weights exp(−M·i), i = 0 the oldest
                         prediction); default: as the artifact says (chunk.ensemble / ensembleDecay), off if it says nothing
  --soft-start S         ramp from the measured pose to the default pose over S seconds (default 2)
  --max-step RAD         max change of a position target per tick (default 0.05)
  --watchdog N           no fresh state for N periods → damping (default 10)
  --ros-state-topic T --ros-imu-topic T --ros-command-topic T --ros-command-type TYPE --ros-command-joints a,b,c
  --ros-version 1|2|auto  spell types and times for ROS 1 (pkg/Type, {secs,nsecs}) or ROS 2; auto asks rosapi
  --ros-estop-topic T     std_msgs/Bool: true latches the e-stop; --ros-estop-reset-topic T (std_msgs/Empty,
                          default <estop-topic>_reset) clears it
  --ros-object-topic T    geometry_msgs/PoseStamped: the tracked object's pose (z1-push's blockPose input)
  --ros-goal-topic T      geometry_msgs/PoseStamped: the goal (z1-push's goal input; x y of its position)
  --input-timeout S       an external input (object pose, goal) older than S seconds is stale: the safety layer
                          damps as for stale joint states (default 0.1)
  --ros-start-timeout S   seconds to wait for state, IMU and a command subscriber before failing (default 5)
  --quiet                no live lines (an ONNX policy's mapping is still printed)
  --stdin-keys           read e-stop keys from stdin even when it is not a terminal (pipes, tests)

Safety: space or 'e' latch the e-stop (damping); only 'r' (explicit reset) clears it. On exit the robot damps.
Stopping: Ctrl-C (SIGINT), SIGTERM (systemd, docker stop) and SIGHUP all latch the e-stop, stop the loop, close the
recording and print the summary. A second one ends at once (no soft stop; the robot is already damping).

Outcome: the last line on stdout is one JSON object, printed in every case below; "deploy" and the exit code say how
the run ended:
  done       exit 0  the policy took control (running phase) and the run ended by --duration or an operator's
                     signal; "stopped_by" is "duration", "SIGINT", "SIGTERM" or "SIGHUP". "degraded" is null, or
                     {watchdog_ticks, watchdog_s, nonfinite_holds} when it spent ticks holding on stale state or on
                     NaN/Inf actions (also said on stderr).
  estopped   exit 3  an e-stop from a stdin key was latched when the run ended.
  failed     exit 4  the robot was not controlled: no state ever arrived, the running phase was never reached, the
                     policy never ran (or its actions were NaN/Inf on ≥ 90% of running ticks), no command was
                     accepted by the hardware, the link was lost and not recovered, or a second signal aborted the
                     loop. "reason" (and one stderr line) says which.
  (exit 1: an error before the loop ran, one line on stderr; exit 2: a usage error.)
The JSON also holds distance_m and falls (when the hardware knows the base position), loop_p50_us / loop_p99_us /
loop_max_us, missed_deadlines and safety_interventions by kind.
A --rate the sim hardware cannot feed within the watchdog window is refused before anything starts.`;

export const command: Command = {
  name: 'deploy',
  summary: 'Run a policy on hardware (sim, serial, ROS) at a fixed rate behind the safety layer',
  usage,
  async run(argv) {
    const a = parseArgs(argv, {
      values: ['policy', 'robot', 'hardware', 'rate', 'policy-rate', 'duration', 'commands', 'record', 'live', 'foxglove-port', 'seed', 'latency-ms', 'noise', 'drop', 'overrun', 'between', 'ensemble',
        'soft-start', 'max-step', 'watchdog', 'ros-state-topic', 'ros-imu-topic', 'ros-command-topic', 'ros-command-type', 'ros-command-joints',
        'ros-version', 'ros-estop-topic', 'ros-estop-reset-topic', 'ros-start-timeout', 'ros-object-topic', 'ros-goal-topic', 'input-timeout', 'layout', 'joint-order', 'zero-terms'],
      booleans: ['dry-run', 'quiet', 'stdin-keys', 'overwrite', 'record-indexed', 'foxglove'],
    });
    if (a.positional.length) throw new UsageError(`unexpected argument "${a.positional[0]}"`);
    const policy = a.str('policy');
    const robot = a.str('robot');
    const hardware = a.str('hardware');
    if (!policy) throw new UsageError('--policy <artifact> is required');
    if (!robot) throw new UsageError('--robot <urdf> is required');
    if (!hardware) throw new UsageError('--hardware sim | serial:<port>@<baud> | ros:ws://<host>:<port> is required');
    const overrun = a.str('overrun', 'skip');
    if (overrun !== 'skip' && overrun !== 'late-once') throw new UsageError(`--overrun must be skip or late-once, got "${overrun}"`);
    const between = a.str('between', 'hold');
    if (between !== 'interpolate' && between !== 'hold') throw new UsageError(`--between must be interpolate or hold, got "${between}"`);
    const ens = a.str('ensemble');
    let ensemble: EnsembleChoice | undefined;
    if (ens !== undefined) {
      const m = Number(ens);
      if (ens === 'on' || ens === 'off') ensemble = ens;
      else if (ens.trim() !== '' && Number.isFinite(m) && m >= 0) ensemble = m;
      else throw new UsageError(`--ensemble must be on, off or a decay ≥ 0, got "${ens}"`);
    }
    let foxPort: number | null;
    try {
      foxPort = foxglovePortFromFlags(a.has('foxglove'), a.str('foxglove-port'));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const quiet = a.has('quiet');
    const ros: DeployOptions['ros'] = {};
    if (a.str('ros-state-topic')) ros.stateTopic = a.str('ros-state-topic');
    if (a.str('ros-imu-topic')) ros.imuTopic = a.str('ros-imu-topic');
    if (a.str('ros-command-topic')) ros.commandTopic = a.str('ros-command-topic');
    if (a.str('ros-command-type')) ros.commandType = a.str('ros-command-type') as NonNullable<DeployOptions['ros']>['commandType'];
    if (a.str('ros-command-joints')) ros.commandJointOrder = a.str('ros-command-joints')!.split(',').map((s) => s.trim());
    const rv = a.str('ros-version');
    if (rv !== undefined) {
      if (rv !== '1' && rv !== '2' && rv !== 'auto') throw new UsageError(`--ros-version must be 1, 2 or auto, got "${rv}"`);
      ros.rosVersion = rv === 'auto' ? 'auto' : (Number(rv) as 1 | 2);
    }
    if (a.str('ros-estop-topic')) ros.estopTopic = a.str('ros-estop-topic');
    if (a.str('ros-estop-reset-topic')) ros.estopResetTopic = a.str('ros-estop-reset-topic');
    const st = a.num('ros-start-timeout');
    if (st !== undefined) {
      if (!(st > 0 && Number.isFinite(st))) throw new UsageError(`--ros-start-timeout must be a number of seconds > 0, got ${st}`);
      ros.startTimeoutMs = st * 1000;
    }
    const rosInputTopics: Record<string, string> = {};
    for (const [flag, input] of Object.entries(ROS_INPUT_FLAGS)) {
      const t = a.str(flag);
      if (t !== undefined) rosInputTopics[input] = t;
    }
    if (Object.keys(rosInputTopics).length && !hardware.startsWith('ros:')) throw new UsageError(`--ros-object-topic and --ros-goal-topic need --hardware ros:ws://…, got "${hardware}"`);
    const inputTimeout = a.num('input-timeout');
    if (inputTimeout !== undefined && !(inputTimeout > 0 && Number.isFinite(inputTimeout))) throw new UsageError(`--input-timeout must be a number of seconds > 0, got ${inputTimeout}`);
    const safety: NonNullable<DeployOptions['safety']> = {};
    if (a.num('soft-start') !== undefined) safety.softStartS = a.num('soft-start');
    if (a.num('max-step') !== undefined) safety.maxStep = a.num('max-step');
    if (a.num('watchdog') !== undefined) safety.watchdogPeriods = a.num('watchdog');
    const duration = a.num('duration');
    const list = (k: string) => a.str(k)?.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
    const summary = await deploy({
      policy,
      layout: a.str('layout'),
      jointOrder: list('joint-order'),
      zeroTerms: list('zero-terms'),
      robot,
      hardware,
      rateHz: a.num('rate', 500),
      policyRateHz: a.num('policy-rate', 50),
      durationS: duration,
      commands: a.str('commands'),
      record: a.str('record'),
      recordLive: a.str('live'),
      overwrite: a.has('overwrite'),
      recordIndexed: a.has('record-indexed'),
      foxglove: foxPort !== null,
      foxglovePort: foxPort ?? undefined,
      dryRun: a.has('dry-run'),
      seed: a.num('seed', 0),
      latencyMs: a.num('latency-ms'),
      noise: a.num('noise'),
      dropRate: a.num('drop'),
      overrun,
      between,
      ensemble,
      ros,
      rosInputTopics,
      inputTimeoutS: inputTimeout,
      safety,
      handleSigint: true,
      stdinKeys: process.stdin.isTTY === true || a.has('stdin-keys'),
      log: quiet ? undefined : (line) => process.stderr.write(line + '\n'),
      // The ONNX mapping is a safety check, printed even with --quiet.
      report: (line) => process.stderr.write(line + '\n'),
    });
    process.stdout.write(JSON.stringify(summary) + '\n');
    const line = verdictLine(summary);
    if (line) process.stderr.write(line + '\n');
    return EXIT_CODES[summary.deploy];
  },
};
