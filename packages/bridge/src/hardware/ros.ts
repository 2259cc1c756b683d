/**
 * RosHardware: a robot behind rosbridge (v2 protocol over WebSocket) via roslib 2.1.
 * State in: sensor_msgs/JointState (mapped to our joint order by name, every message) and optionally
 * sensor_msgs/Imu. Commands out: std_msgs/Float64MultiArray (a forward/position controller's `commands`, in a
 * configurable joint order) or trajectory_msgs/JointTrajectory (one point, reached in one control period).
 *
 * rosbridge is not an inner loop (REFERENCE.md): PD runs on the robot; we send setpoints. Damping/zero-torque
 * commands become "hold the measured pose" setpoints, the only safe thing a position interface can express.
 *
 * Link faults never throw: while disconnected, read() returns null (the safety layer's watchdog damps), write()
 * returns false without queueing (roslib would otherwise replay every stale command on reconnect), and the link
 * reconnects with exponential backoff. Malformed messages are counted and dropped.
 */
import * as ROSLIB_ from 'roslib';
import type { HardwareInterface, RobotCommand, RobotState } from '../types.ts';
import { makeState } from '../command.ts';
import { nowS } from '../timing/clock.ts';

export interface RosHardwareOptions {
  /** rosbridge URL, e.g. ws://localhost:9090. */
  url: string;
  /** Joint order of this interface (the loop's arrays). Usually the robot's actuated joints. */
  jointNames: string[];
  stateTopic?: string;
  /** 'sensor_msgs/JointState' (ROS 1 naming) or 'sensor_msgs/msg/JointState' (ROS 2). */
  stateType?: string;
  /** IMU topic; null/undefined: no IMU. */
  imuTopic?: string | null;
  imuType?: string;
  commandTopic?: string;
  commandType?: 'std_msgs/Float64MultiArray' | 'std_msgs/msg/Float64MultiArray' | 'trajectory_msgs/JointTrajectory' | 'trajectory_msgs/msg/JointTrajectory';
  /** Order of the Float64MultiArray data (the controller's joints param). Default: jointNames. */
  commandJointOrder?: string[];
  /** Reconnect backoff (ms): first delay, growth factor, cap. */
  reconnectInitialMs?: number;
  reconnectFactor?: number;
  reconnectMaxMs?: number;
  /** configure() fails if the first connection takes longer than this (ms). Default 5000. */
  connectTimeoutMs?: number;
  /** Log function for link events (connect, drop, reconnect). */
  log?: (msg: string) => void;
}

type Msg = Record<string, unknown>;

/**
 * The slice of roslib 2.1 we use. roslib's shipped .d.ts points at './core/Ros.ts' files it does not ship, so its
 * types do not resolve; these match its runtime API (dist/RosLib.js).
 */
interface RosLike {
  readonly isConnected: boolean;
  connect(url: string): Promise<void>;
  close(): void;
  on(ev: string, fn: (...a: any[]) => void): void;
  once(ev: string, fn: (...a: any[]) => void): void;
}
interface TopicLike {
  subscribe(cb: (msg: unknown) => void): void;
  unsubscribe(cb?: (msg: unknown) => void): void;
  advertise(): void;
  unadvertise(): void;
  publish(msg: unknown): void;
}
const ROSLIB = ROSLIB_ as unknown as {
  Ros: new (o: { url?: string }) => RosLike;
  Topic: new (o: { ros: RosLike; name: string; messageType: string; queue_length?: number; queue_size?: number }) => TopicLike;
};

export class RosHardware implements HardwareInterface {
  readonly name = 'ros';
  readonly jointNames: readonly string[];
  private readonly o: Required<Omit<RosHardwareOptions, 'imuTopic' | 'log'>> & { imuTopic: string | null; log: (m: string) => void };
  private ros: RosLike | null = null;
  private stateSub: TopicLike | null = null;
  private imuSub: TopicLike | null = null;
  private cmdPub: TopicLike | null = null;
  private connected = false;
  private closing = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private stableTimer: NodeJS.Timeout | null = null;
  private delay: number;
  private readonly state: RobotState;
  private fresh = false;
  private hasImu = false;
  private readonly cmdIndex: Int32Array; // command slot k ← our joint cmdIndex[k]
  private lastNames: unknown = null;
  private nameMap: Int32Array; // message index → our index (−1: not ours)
  private readonly counters = {
    state_msgs: 0, imu_msgs: 0, malformed: 0, published: 0, unpublished: 0, connects: 0, disconnects: 0, reconnect_attempts: 0,
  };

  constructor(options: RosHardwareOptions) {
    if (!options.url || !/^wss?:\/\//.test(options.url)) throw new Error(`ros hardware: url must be ws://host:port, got "${options.url}"`);
    if (!options.jointNames?.length) throw new Error('ros hardware: jointNames (the robot joints, in loop order) are required');
    this.o = {
      stateTopic: '/joint_states',
      stateType: 'sensor_msgs/JointState',
      imuType: 'sensor_msgs/Imu',
      commandTopic: '/joint_group_position_controller/commands',
      commandType: 'std_msgs/Float64MultiArray',
      commandJointOrder: options.jointNames,
      reconnectInitialMs: 100,
      reconnectFactor: 2,
      reconnectMaxMs: 5000,
      connectTimeoutMs: 5000,
      ...options,
      imuTopic: options.imuTopic ?? null,
      log: options.log ?? (() => {}),
    };
    this.jointNames = [...options.jointNames];
    const n = this.jointNames.length;
    const co = this.o.commandJointOrder;
    const missing = co.filter((j) => !this.jointNames.includes(j));
    const extra = this.jointNames.filter((j) => !co.includes(j));
    if (missing.length || extra.length || co.length !== n) {
      throw new Error(`ros hardware: commandJointOrder must list the same joints as jointNames${missing.length ? `; unknown: ${missing.join(', ')}` : ''}${extra.length ? `; missing: ${extra.join(', ')}` : ''}`);
    }
    this.cmdIndex = Int32Array.from(co, (j) => this.jointNames.indexOf(j));
    this.nameMap = new Int32Array(0);
    this.state = makeState(n);
    this.delay = this.o.reconnectInitialMs;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async configure(): Promise<void> {
    const ros = new ROSLIB.Ros({});
    this.ros = ros;
    ros.on('connection', () => {
      this.connected = true;
      this.counters.connects++;
      // Reset the backoff only once the link has stayed up a while, so a server that accepts and drops at once
      // still sees exponentially spaced attempts.
      if (this.stableTimer) clearTimeout(this.stableTimer);
      this.stableTimer = setTimeout(() => {
        this.stableTimer = null;
        if (this.connected) this.delay = this.o.reconnectInitialMs;
      }, 1000);
      this.o.log(`ros: connected to ${this.o.url}`);
    });
    ros.on('close', () => {
      if (this.stableTimer) clearTimeout(this.stableTimer);
      this.stableTimer = null;
      if (this.connected) {
        this.counters.disconnects++;
        this.o.log(`ros: connection to ${this.o.url} lost; holding safe and reconnecting`);
      }
      this.connected = false;
      this.fresh = false;
      this.scheduleReconnect();
    });
    ros.on('error', () => {
      // Malformed frames and socket errors land here; the socket's close (if any) triggers the reconnect.
      this.counters.malformed += this.connected ? 1 : 0;
    });
    this.stateSub = new ROSLIB.Topic({ ros, name: this.o.stateTopic, messageType: this.o.stateType, queue_length: 1 });
    this.stateSub.subscribe((m) => this.onJointState(m as Msg));
    if (this.o.imuTopic) {
      this.imuSub = new ROSLIB.Topic({ ros, name: this.o.imuTopic, messageType: this.o.imuType, queue_length: 1 });
      this.imuSub.subscribe((m) => this.onImu(m as Msg));
    }
    this.cmdPub = new ROSLIB.Topic({ ros, name: this.o.commandTopic, messageType: this.o.commandType, queue_size: 1 });
    const first = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`ros hardware: no rosbridge at ${this.o.url} after ${this.o.connectTimeoutMs} ms (is rosbridge_server running?)`));
      }, this.o.connectTimeoutMs);
      ros.once('connection', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.connect();
    try {
      await first;
    } catch (e) {
      this.shutdown();
      throw e;
    }
  }

  private connect(): void {
    if (this.closing || !this.ros) return;
    this.counters.reconnect_attempts++;
    this.ros.connect(this.o.url).catch(() => this.scheduleReconnect());
  }

  private scheduleReconnect(): void {
    if (this.closing || this.reconnectTimer) return;
    const d = this.delay;
    this.delay = Math.min(this.o.reconnectMaxMs, this.delay * this.o.reconnectFactor);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, d);
  }

  async activate(): Promise<void> {
    if (!this.ros) throw new Error('ros hardware: activate() before configure()');
    // Advertise now, so the first command is not lost to topic setup on the rosbridge side.
    this.cmdPub!.advertise();
  }

  private onJointState(m: Msg): void {
    const names = m.name;
    const pos = m.position;
    const vel = m.velocity;
    const eff = m.effort;
    if (!Array.isArray(names) || !Array.isArray(pos) || pos.length !== names.length) return this.malformed();
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
    const stamp = (m.header as Msg | undefined)?.stamp as Msg | undefined;
    const sec = Number(stamp?.sec ?? stamp?.secs ?? 0);
    const nsec = Number(stamp?.nanosec ?? stamp?.nsecs ?? 0);
    s.stamp = Number.isFinite(sec + nsec) ? sec + nsec * 1e-9 : 0;
    s.receivedAt = nowS();
    this.counters.state_msgs++;
    this.fresh = true;
  }

  private onImu(m: Msg): void {
    const w = m.angular_velocity as Msg | undefined;
    const q = m.orientation as Msg | undefined;
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
    this.counters.imu_msgs++;
  }

  private malformed(): void {
    this.counters.malformed++;
  }

  read(_t?: number, _period?: number): RobotState | null {
    if (!this.fresh || !this.connected) return null;
    this.fresh = false;
    return this.state;
  }

  write(_t: number, period: number, c: RobotCommand): boolean {
    if (!this.connected || !this.cmdPub) {
      this.counters.unpublished++;
      return false;
    }
    const n = this.cmdIndex.length;
    // A position interface cannot damp: damping / zero-torque become "hold where you are", using the freshest pose
    // this interface measured itself. Before any state has arrived there is no safe setpoint, so nothing is sent.
    const hold = c.mode !== 'position';
    if (hold && this.counters.state_msgs === 0) {
      this.counters.unpublished++;
      return false;
    }
    const src = hold ? this.state.jointPos : c.position;
    const positions = new Array<number>(n);
    for (let k = 0; k < n; k++) positions[k] = src[this.cmdIndex[k]!]!;
    let msg: Msg;
    if (this.o.commandType.includes('JointTrajectory')) {
      const ns = Math.round(period * 1e9);
      msg = {
        joint_names: this.o.commandJointOrder,
        points: [{ positions, velocities: new Array(n).fill(0), time_from_start: { sec: Math.floor(ns / 1e9), nanosec: ns % 1e9 } }],
      };
    } else {
      msg = { layout: { dim: [], data_offset: 0 }, data: positions };
    }
    try {
      this.cmdPub.publish(msg);
    } catch {
      this.counters.unpublished++;
      return false;
    }
    this.counters.published++;
    return true;
  }

  async deactivate(): Promise<void> {
    this.shutdown();
  }

  private shutdown(): void {
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.stableTimer) clearTimeout(this.stableTimer);
    this.reconnectTimer = this.stableTimer = null;
    try {
      this.stateSub?.unsubscribe();
      this.imuSub?.unsubscribe();
      this.cmdPub?.unadvertise();
    } catch {
      // closing anyway
    }
    this.ros?.close();
    this.connected = false;
  }

  stats(): Record<string, number> {
    return { ...this.counters, connected: this.connected ? 1 : 0, has_imu: this.hasImu ? 1 : 0 };
  }
}

function sameNames(a: unknown[], b: unknown): boolean {
  if (!Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
