/**
 * RosHardware: a robot behind rosbridge (v2 protocol over WebSocket, rosbridge-client.ts).
 * State in: sensor_msgs/JointState (mapped to our joint order by name, every message) and optionally
 * sensor_msgs/Imu. Commands out: std_msgs/Float64MultiArray (a forward/position controller's `commands`, in a
 * configurable joint order) or trajectory_msgs/JointTrajectory (one point, reached in one control period).
 * Works with ROS 1 (rosbridge_suite 0.11) and ROS 2: type names and time fields are spelled for the version, given
 * or detected through rosapi (ros-msgs.ts).
 *
 * rosbridge is not an inner loop (REFERENCE.md): PD runs on the robot; we send setpoints. Damping/zero-torque
 * commands become one "hold" setpoint, the only safe thing a position interface can express: the last setpoint
 * sent on this link, or after a (re)connect a pose measured on it lately (see write()).
 *
 * rosbridge rejects silently, so activate() waits for evidence (ros-checks.ts) and fails naming what is missing.
 * Link faults never throw: while disconnected or frozen, read() returns null (the safety layer's watchdog damps) and
 * write() returns false without queueing; the link reconnects with exponential backoff. Malformed messages are
 * counted and dropped. An e-stop topic (std_msgs/Bool, true latches) and a reset topic (std_msgs/Empty) reach the
 * control loop through `onEstop`/`onReset`, and the hardware itself sends only holds while latched.
 */
import type { HardwareInterface, RobotCommand, RobotState } from '../types.ts';
import { makeState } from '../command.ts';
import { nowS } from '../timing/clock.ts';
import { RosbridgeClient } from './rosbridge-client.ts';
import { detectRosVersion, runStartChecks } from './ros-checks.ts';
import { guessType, multiArray, stampSeconds, trajectory, typeFor, type RosVersion } from './ros-msgs.ts';
import { poseToInput } from '../policy/inputs.ts';

export interface RosHardwareOptions {
  /** rosbridge URL, e.g. ws://localhost:9090. */
  url: string;
  /** Joint order of this interface (the loop's arrays). Usually the robot's actuated joints. */
  jointNames: string[];
  /** 1 or 2; 'auto' (default) asks rosapi, and uses the spellings both versions take if it cannot tell. */
  rosVersion?: 1 | 2 | 'auto';
  stateTopic?: string;
  /** sensor_msgs/JointState, in either spelling (respelled for the ROS version). */
  stateType?: string;
  /** IMU topic; null/undefined: no IMU. */
  imuTopic?: string | null;
  imuType?: string;
  /** The policy reads the IMU: an IMU topic is required, and must deliver before the start. */
  imuRequired?: boolean;
  commandTopic?: string;
  commandType?: 'std_msgs/Float64MultiArray' | 'std_msgs/msg/Float64MultiArray' | 'trajectory_msgs/JointTrajectory' | 'trajectory_msgs/msg/JointTrajectory';
  /** Order of the Float64MultiArray data (the controller's joints param). Default: jointNames. */
  commandJointOrder?: string[];
  /** The control rate (Hz): subscriptions ask rosbridge for throttle_rate = half a period, queue_length 0. */
  rateHz?: number;
  /** std_msgs/Bool topic: `true` latches the e-stop. null: none. */
  estopTopic?: string | null;
  /** std_msgs/Empty topic that clears the latch. Default: `<estopTopic>_reset`. */
  estopResetTopic?: string | null;
  onEstop?: (reason: string) => void;
  onReset?: () => void;
  /** Evidence checks in activate() (default true); warn after startWarnMs, fail after startTimeoutMs. */
  startChecks?: boolean;
  startWarnMs?: number;
  startTimeoutMs?: number;
  /** Nothing will be published (dry run): the command topic needs no subscriber. */
  dryRun?: boolean;
  /** Reconnect backoff (ms): first delay, growth factor, cap. */
  reconnectInitialMs?: number;
  reconnectFactor?: number;
  reconnectMaxMs?: number;
  /** configure() fails if the first connection takes longer than this (ms). Default 5000. */
  connectTimeoutMs?: number;
  /** Liveness: ping period, and how long without a pong (or with a send backlog) a link is frozen (ms). */
  pingEveryMs?: number;
  freezeMs?: number;
  frozenReconnectMs?: number;
  /** Log function for link events (connect, drop, reconnect, freeze, start checks). */
  log?: (msg: string) => void;
  /**
   * External inputs (policy/inputs.ts) from geometry_msgs/PoseStamped topics, each a pose of `size` values (7: x y z
   * qx qy qz qw; 3: x y z; 2: x y). Each must deliver before the start; the states carry the latest with its time.
   */
  inputTopics?: { name: string; topic: string; size: number }[];
}

type Msg = Record<string, unknown>;
type Resolved = Required<Omit<RosHardwareOptions, 'imuTopic' | 'log' | 'estopTopic' | 'estopResetTopic' | 'onEstop' | 'onReset' | 'rateHz'>> & {
  imuTopic: string | null; estopTopic: string | null; estopResetTopic: string | null; log: (m: string) => void; rateHz: number | null;
  onEstop?: (reason: string) => void; onReset?: () => void;
};

export class RosHardware implements HardwareInterface {
  readonly name = 'ros';
  readonly jointNames: readonly string[];
  readonly inputs: readonly string[];
  private readonly o: Resolved;
  private client: RosbridgeClient | null = null;
  private version: RosVersion | null = null;
  private readonly state: RobotState;
  private fresh = false;
  private hasImu = false;
  private readonly cmdIndex: Int32Array; // command slot k ← our joint cmdIndex[k]
  private lastNames: unknown = null;
  private nameMap: Int32Array; // message index → our index (−1: not ours)
  /** Link epoch: bumped on every (re)connect and thaw; a pose measured in an older epoch is not a pose to hold. */
  private epoch = 0;
  private stateEpoch = -1;
  private lastStateAt = 0; // performance.now() ms
  private stateIntervalMs = 0; // EWMA of the gap between state messages
  private newestStamp = 0;
  private holdSent = false;
  /** The last position setpoint sent (loop order) and the link epoch it was sent in. */
  private lastSent = new Float64Array(0);
  private sentEpoch = -1;
  private latched = false;
  private imuLooksLike: string | null = null;
  private stateLooksLike: string | null = null;
  private readonly counters = {
    state_msgs: 0, imu_msgs: 0, malformed: 0, published: 0, unpublished: 0, holds: 0, stale_dropped: 0,
    imu_wrong_type: 0, estops: 0, resets: 0, state_silences: 0, imu_silences: 0, command_unsubscribed: 0,
    input_msgs: 0, malformed_inputs: 0,
  };

  constructor(options: RosHardwareOptions) {
    if (!options.url || !/^wss?:\/\//.test(options.url)) throw new Error(`ros hardware: url must be ws://host:port, got "${options.url}"`);
    if (!options.jointNames?.length) throw new Error('ros hardware: jointNames (the robot joints, in loop order) are required');
    const v = options.rosVersion ?? 'auto';
    if (v !== 1 && v !== 2 && v !== 'auto') throw new Error(`ros hardware: rosVersion must be 1, 2 or auto, got ${String(v)}`);
    this.o = {
      rosVersion: 'auto',
      stateTopic: '/joint_states',
      stateType: 'sensor_msgs/JointState',
      imuType: 'sensor_msgs/Imu',
      imuRequired: false,
      commandTopic: '/joint_group_position_controller/commands',
      commandType: 'std_msgs/Float64MultiArray',
      commandJointOrder: options.jointNames,
      startChecks: true,
      startWarnMs: 1000,
      startTimeoutMs: 5000,
      dryRun: false,
      reconnectInitialMs: 100,
      reconnectFactor: 2,
      reconnectMaxMs: 5000,
      connectTimeoutMs: 5000,
      pingEveryMs: 50,
      freezeMs: 300,
      frozenReconnectMs: 2000,
      inputTopics: [],
      ...options,
      rateHz: options.rateHz ?? null,
      imuTopic: options.imuTopic ?? null,
      estopTopic: options.estopTopic ?? null,
      estopResetTopic: options.estopResetTopic ?? (options.estopTopic ? `${options.estopTopic}_reset` : null),
      log: options.log ?? (() => {}),
    };
    for (const t of [this.o.stateType, this.o.imuType, this.o.commandType]) typeFor(t, null); // a clear error for a bad type name, now
    this.jointNames = [...options.jointNames];
    const n = this.jointNames.length;
    const co = this.o.commandJointOrder;
    const missing = co.filter((j) => !this.jointNames.includes(j));
    const extra = this.jointNames.filter((j) => !co.includes(j));
    if (missing.length || extra.length || co.length !== n) {
      throw new Error(`ros hardware: commandJointOrder must list the same joints as jointNames${missing.length ? `; unknown: ${missing.join(', ')}` : ''}${extra.length ? `; missing: ${extra.join(', ')}` : ''}`);
    }
    if (options.imuRequired && !options.imuTopic) {
      throw new Error('ros hardware: the policy reads the IMU (base angular velocity, projected gravity) but no IMU topic is set (--ros-imu-topic)');
    }
    this.cmdIndex = Int32Array.from(co, (j) => this.jointNames.indexOf(j));
    this.nameMap = new Int32Array(0);
    this.state = makeState(n);
    this.lastSent = new Float64Array(n);
    this.inputs = this.o.inputTopics.map((e) => e.name);
    if (this.inputs.length) {
      this.state.inputs = Object.fromEntries(this.o.inputTopics.map((e) => [e.name, new Float64Array(e.size)]));
      this.state.inputsAt = Object.fromEntries(this.o.inputTopics.map((e) => [e.name, -Infinity])); // never received
    }
  }

  /** A PoseStamped for input `e`: the latest value and its host time; a malformed one is counted and dropped. */
  private onInput(e: { name: string; topic: string; size: number }, m: Msg): void {
    if (!poseToInput(m, e.size, this.state.inputs![e.name] as Float64Array)) {
      if (this.counters.malformed_inputs++ === 0) this.o.log(`ros: malformed geometry_msgs/PoseStamped on ${e.topic} (input ${e.name}) dropped (counted)`);
      return;
    }
    this.counters.input_msgs++;
    this.state.inputsAt![e.name] = nowS();
  }

  get isConnected(): boolean {
    return !!this.client?.connected;
  }

  /** The ROS version in use (null: unknown, ROS 1 spellings, which both versions take). */
  get rosVersion(): RosVersion | null {
    return this.version;
  }

  async configure(): Promise<void> {
    const o = this.o;
    const client = new RosbridgeClient({
      url: o.url, reconnectInitialMs: o.reconnectInitialMs, reconnectFactor: o.reconnectFactor, reconnectMaxMs: o.reconnectMaxMs,
      openTimeoutMs: Math.max(500, o.freezeMs * 3), pingEveryMs: o.pingEveryMs, freezeMs: o.freezeMs, frozenReconnectMs: o.frozenReconnectMs, log: o.log,
    });
    this.client = client;
    let firstConnect = true;
    client.onConnect = () => {
      this.epoch++;
      this.holdSent = false;
      o.log(firstConnect ? `ros: connected to ${o.url}` : `ros: reconnected to ${o.url}; waiting for fresh state before any command`);
      firstConnect = false;
    };
    client.onClose = () => {
      this.fresh = false;
      o.log(`ros: connection to ${o.url} lost; holding safe and reconnecting`);
    };
    client.onFreeze = (frozen) => {
      this.fresh = false;
      if (!frozen) {
        this.epoch++;
        this.holdSent = false;
      }
    };
    const first = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`ros hardware: no rosbridge at ${o.url} after ${o.connectTimeoutMs} ms (is rosbridge_server running?)`));
      }, o.connectTimeoutMs);
      const prev = client.onConnect;
      client.onConnect = () => {
        prev();
        client.onConnect = prev;
        clearTimeout(timer);
        resolve();
      };
    });
    client.start();
    try {
      await first;
    } catch (e) {
      this.shutdown();
      throw e;
    }
    if (o.rosVersion === 'auto') {
      const d = await detectRosVersion(client);
      this.version = d.version;
      this.rosapiAvailable = d.rosapi;
      o.log(d.version ? `ros: ROS ${d.version} (detected through rosapi)` : `ros: ROS version unknown (${d.rosapi ? 'rosapi lists no topics' : 'no rosapi'}); using pkg/Type names and {secs, nsecs} times, which ROS 1 and ROS 2 both read (set --ros-version to choose)`);
    } else {
      this.version = o.rosVersion;
      this.rosapiAvailable = (await client.call('/rosapi/topics', {}, 1000)).ok;
    }
    // throttle_rate: at most two state messages per control period reach us (fresher than that is never read);
    // queue_length 0: rosbridge sends from the ROS callback, newest first, with no sender thread (a queue_length ≥ 1
    // puts a thread and a deque in between, which delivered a 500 Hz stream at 62–518 Hz).
    const throttleRate = o.rateHz ? Math.floor(500 / o.rateHz) : 0;
    const sub = (type: string) => ({ type: typeFor(type, this.version), throttleRate, queueLength: 0 });
    client.subscribe(o.stateTopic, sub(o.stateType), (m) => this.onJointState(m));
    if (o.imuTopic) client.subscribe(o.imuTopic, sub(o.imuType), (m) => this.onImu(m));
    const raw = { type: typeFor('std_msgs/Bool', this.version), throttleRate: 0, queueLength: 0 };
    if (o.estopTopic) client.subscribe(o.estopTopic, raw, (m) => this.onEstopMsg(m));
    if (o.estopResetTopic) client.subscribe(o.estopResetTopic, { ...raw, type: typeFor('std_msgs/Empty', this.version) }, () => this.onResetMsg());
    for (const e of o.inputTopics) client.subscribe(e.topic, { type: typeFor('geometry_msgs/PoseStamped', this.version), throttleRate, queueLength: 0 }, (m) => this.onInput(e, m));
  }

  private rosapiAvailable = false;
  private silenceTimer: NodeJS.Timeout | null = null;
  private silentWarned = { state: false, imu: false };
  private lastImuAt = 0;

  /**
   * During the run: a state or IMU topic silent for 1 s on a live link gets one warning naming it (again after it
   * came back and went silent again). The watchdog has long damped by then; this says why.
   */
  private watchSilence(): void {
    const now = performance.now();
    const c = this.client;
    const live = !!c?.connected && !c.frozen;
    const check = (which: 'state' | 'imu', last: number, topic: string, type: string) => {
      const silent = live && now - last >= 1000;
      if (silent && !this.silentWarned[which]) {
        this.silentWarned[which] = true;
        this.counters[which === 'state' ? 'state_silences' : 'imu_silences']++;
        this.o.log(`ros: warning: ${which === 'state' ? 'state' : 'IMU'} topic ${topic} silent for ${((now - last) / 1000).toFixed(1)} s (no ${type}); holding safe`);
      } else if (!silent && now - last < 1000) this.silentWarned[which] = false;
    };
    check('state', this.lastStateAt, this.o.stateTopic, this.o.stateType);
    if (this.o.imuTopic) check('imu', this.lastImuAt, this.o.imuTopic, this.o.imuType);
    // Every 2 s through rosapi: does the controller still listen? (A crashed controller is otherwise silent: rosbridge
    // accepts the publishes and drops them.)
    if (live && this.rosapiAvailable && !this.o.dryRun && !this.subsQuery && now - this.lastSubsCheck >= 2000) {
      this.lastSubsCheck = now;
      this.subsQuery = c!.call('/rosapi/subscribers', { topic: this.o.commandTopic }, 1000).then((r) => {
        this.subsQuery = null;
        const list = (r.values as { subscribers?: unknown } | undefined)?.subscribers;
        if (!r.ok || !Array.isArray(list)) return;
        if (list.length === 0 && this.commandSubscribers !== 0) {
          this.counters.command_unsubscribed++;
          this.o.log(`ros: warning: no subscriber on command topic ${this.o.commandTopic} any more (controller stopped?): commands go nowhere`);
        } else if (list.length > 0 && this.commandSubscribers === 0) this.o.log(`ros: command topic ${this.o.commandTopic} has a subscriber again`);
        this.commandSubscribers = list.length;
      });
    }
  }

  private subsQuery: Promise<void> | null = null;
  private lastSubsCheck = 0;
  /** Subscribers on the command topic at the last rosapi check (−1: not checked). */
  private commandSubscribers = -1;

  async activate(): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('ros hardware: activate() before configure()');
    const o = this.o;
    // Advertise now, so the first command is not lost to topic setup on the rosbridge side.
    if (!o.dryRun) client.advertise(o.commandTopic, typeFor(o.commandType, this.version));
    if (o.startChecks) await runStartChecks({
      client, rosapi: this.rosapiAvailable, dryRun: o.dryRun,
      stateTopic: o.stateTopic, stateType: typeFor(o.stateType, this.version),
      imuTopic: o.imuTopic, imuType: typeFor(o.imuType, this.version),
      commandTopic: o.commandTopic, commandType: typeFor(o.commandType, this.version),
      estopTopic: o.estopTopic, warnMs: o.startWarnMs, timeoutMs: o.startTimeoutMs,
      progress: () => ({ state: this.counters.state_msgs, imu: this.counters.imu_msgs, imuLooksLike: this.imuLooksLike, stateLooksLike: this.stateLooksLike }),
      log: o.log,
    }).catch((e) => {
      this.shutdown();
      throw e;
    });
    if (o.startChecks) await this.awaitInputs().catch((e) => {
      this.shutdown();
      throw e;
    });
    // Silence is counted from now for a topic that has not spoken yet (only reachable without start checks).
    this.lastImuAt = this.lastImuAt || performance.now();
    this.lastStateAt = this.lastStateAt || performance.now();
    this.silenceTimer = setInterval(() => this.watchSilence(), 250);
  }

  private onJointState(m: Msg): void {
    if (!m || typeof m !== 'object') return this.malformed();
    const names = m.name;
    const pos = m.position;
    const vel = m.velocity;
    const eff = m.effort;
    if (!Array.isArray(names) || !Array.isArray(pos) || pos.length !== names.length) {
      if (!this.stateLooksLike && guessType(m)) this.stateLooksLike = guessType(m);
      return this.malformed();
    }
    // A late subscription may get the last second replayed (duplicates, out of order): never step back in time.
    // A jump back of more than a second is a restarted clock (sim time), not a replay.
    const stamp = stampSeconds((m.header as Msg | undefined)?.stamp);
    if (stamp > 0) {
      if (stamp <= this.newestStamp && this.newestStamp - stamp < 1) {
        this.counters.stale_dropped++;
        return;
      }
      this.newestStamp = stamp;
    }
    if (names !== this.lastNames) {
      // Rebuild the name map only when the message's name list differs from the last one (usually never).
      if (!sameNames(names, this.lastNames)) {
        const map = new Int32Array(names.length);
        for (let i = 0; i < names.length; i++) map[i] = this.jointNames.indexOf(names[i] as string);
        const covered = new Set(map);
        for (let j = 0; j < this.jointNames.length; j++) if (!covered.has(j)) return this.malformed();
        this.nameMap = map;
      }
      this.lastNames = names;
    }
    const s = this.state;
    const map = this.nameMap;
    const hasVel = Array.isArray(vel) && vel.length === names.length;
    const hasEff = Array.isArray(eff) && eff.length === names.length;
    // Validate before touching the state: a half-applied bad message must never look fresh.
    for (let i = 0; i < names.length; i++) {
      if (map[i]! < 0) continue;
      if (typeof pos[i] !== 'number' || !Number.isFinite(pos[i])) return this.malformed();
      if (hasVel && (typeof vel[i] !== 'number' || !Number.isFinite(vel[i]))) return this.malformed();
    }
    for (let i = 0; i < names.length; i++) {
      const j = map[i]!;
      if (j < 0) continue;
      s.jointPos[j] = pos[i] as number;
      s.jointVel[j] = hasVel ? (vel[i] as number) : 0;
      s.jointEffort[j] = hasEff && typeof eff[i] === 'number' ? (eff[i] as number) : 0;
    }
    s.stamp = stamp;
    s.receivedAt = nowS();
    const now = performance.now();
    if (this.stateEpoch === this.epoch) {
      const gap = now - this.lastStateAt;
      this.stateIntervalMs = this.stateIntervalMs ? this.stateIntervalMs * 0.9 + gap * 0.1 : gap;
    }
    this.lastStateAt = now;
    this.stateEpoch = this.epoch;
    this.counters.state_msgs++;
    this.fresh = true;
  }

  private onImu(m: Msg): void {
    if (!m || typeof m !== 'object') return this.malformed();
    const w = m.angular_velocity as Msg | undefined;
    const q = m.orientation as Msg | undefined;
    if (!w || !q) {
      // Another message type on the IMU topic is a configuration error, reported once by name (ros-checks.ts),
      // not thousands of "malformed" messages.
      const t = guessType(m);
      if (t) {
        this.imuLooksLike ??= t;
        this.counters.imu_wrong_type++;
        return;
      }
    }
    const wx = Number(w?.x), wy = Number(w?.y), wz = Number(w?.z);
    const qx = Number(q?.x), qy = Number(q?.y), qz = Number(q?.z), qw = Number(q?.w);
    if (![wx, wy, wz, qx, qy, qz, qw].every(Number.isFinite)) return this.malformed();
    const norm = Math.hypot(qx, qy, qz, qw);
    if (!(norm > 0.5 && norm < 1.5)) return this.malformed();
    // Gravity in the base frame = R(q)ᵀ · (0, 0, −1): the third row of R, negated.
    const x = qx / norm, y = qy / norm, z = qz / norm, ww = qw / norm;
    const g: [number, number, number] = [-(2 * (x * z - ww * y)), -(2 * (y * z + ww * x)), -(1 - 2 * (x * x + y * y))];
    this.state.imu = { angVel: [wx, wy, wz], projectedGravity: g, quat: [x, y, z, ww] };
    this.hasImu = true;
    this.lastImuAt = performance.now();
    this.counters.imu_msgs++;
  }

  private onEstopMsg(m: Msg): void {
    if (m?.data !== true) return; // false does not clear a latch: only the reset topic does
    if (!this.latched) {
      this.latched = true;
      this.holdSent = false;
      this.counters.estops++;
      this.o.log(`ros: e-stop latched by ${this.o.estopTopic} (clear it with an std_msgs/Empty on ${this.o.estopResetTopic})`);
      this.o.onEstop?.(`ros topic ${this.o.estopTopic}`);
    }
  }

  private onResetMsg(): void {
    if (!this.latched) return;
    this.latched = false;
    this.counters.resets++;
    this.o.log(`ros: e-stop reset by ${this.o.estopResetTopic}; soft start`);
    this.o.onReset?.();
  }

  private malformed(): void {
    this.counters.malformed++;
  }

  /** A pose measured on the current link, recently enough to hold it: within 5 state intervals (25–500 ms). */
  private poseIsCurrent(): boolean {
    if (this.stateEpoch !== this.epoch) return false;
    const limit = Math.min(500, Math.max(25, 5 * this.stateIntervalMs));
    return performance.now() - this.lastStateAt <= limit;
  }

  /** Every input topic must have delivered a pose before the start (waited on, up to the start timeout). */
  private async awaitInputs(): Promise<void> {
    const at = this.state.inputsAt;
    if (!at) return;
    const end = performance.now() + this.o.startTimeoutMs;
    for (;;) {
      const missing = this.o.inputTopics.filter((e) => at[e.name] === -Infinity);
      if (!missing.length) return;
      if (performance.now() >= end) {
        throw new Error(`ros hardware: no geometry_msgs/PoseStamped within ${(this.o.startTimeoutMs / 1000).toFixed(1)} s on ${missing.map((e) => `${e.topic} (input ${e.name})`).join(', ')}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  read(_t?: number, _period?: number): RobotState | null {
    const c = this.client;
    if (!this.fresh || !c || !c.connected || c.frozen) return null;
    this.fresh = false;
    return this.state;
  }

  write(_t: number, period: number, c: RobotCommand): boolean {
    const client = this.client;
    if (!client || !client.connected || client.frozen) {
      this.counters.unpublished++;
      return false;
    }
    const n = this.cmdIndex.length;
    // A position interface cannot damp: damping / zero-torque (and anything while the ROS e-stop is latched) become
    // "hold", sent once: the controller keeps its last setpoint, and a stream of identical holds is only a burst
    // waiting to happen. The hold is the last setpoint sent on this link (the robot is already converging to it: a
    // stop with no jump), or, when none was (just after a (re)connect or thaw), the pose measured on this link in
    // the last few state intervals; until there is one, nothing is sent. Never an older measured pose: a state that
    // arrives late (a loaded bridge) would yank the robot back toward where it was (0.14 rad seen at load 21).
    const hold = c.mode !== 'position' || this.latched;
    let src: Float64Array = c.position;
    if (hold) {
      if (this.holdSent) return true;
      if (this.sentEpoch === this.epoch) src = this.lastSent;
      else if (this.poseIsCurrent()) src = this.state.jointPos;
      else {
        this.counters.unpublished++;
        return false;
      }
    }
    const positions = new Array<number>(n);
    for (let k = 0; k < n; k++) positions[k] = src[this.cmdIndex[k]!]!;
    const msg = this.o.commandType.includes('JointTrajectory')
      ? trajectory(this.o.commandJointOrder, positions, period, this.version)
      : multiArray(positions);
    if (!client.publish(this.o.commandTopic, msg)) {
      this.counters.unpublished++;
      return false;
    }
    this.counters.published++;
    if (hold) {
      this.holdSent = true;
      this.counters.holds++;
    } else this.holdSent = false;
    if (src !== this.lastSent) this.lastSent.set(src);
    this.sentEpoch = this.epoch;
    return true;
  }

  async deactivate(): Promise<void> {
    this.shutdown();
  }

  private shutdown(): void {
    if (this.silenceTimer) clearInterval(this.silenceTimer);
    this.silenceTimer = null;
    this.client?.close();
  }

  stats(): Record<string, number> {
    const l = this.client?.counters;
    return {
      ...this.counters,
      connects: l?.connects ?? 0, disconnects: l?.disconnects ?? 0, reconnect_attempts: l?.reconnect_attempts ?? 0,
      freezes: l?.freezes ?? 0, backlog_drops: l?.backlog_drops ?? 0, malformed: this.counters.malformed + (l?.bad_frames ?? 0),
      connected: this.client?.connected ? 1 : 0, frozen: this.client?.frozen ? 1 : 0, has_imu: this.hasImu ? 1 : 0,
      ros_version: this.version ?? 0, estop_latched: this.latched ? 1 : 0, command_subscribers: this.commandSubscribers,
    };
  }
}

function sameNames(a: unknown[], b: unknown): boolean {
  if (!Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
