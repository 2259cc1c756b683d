/**
 * A fake ROS robot on the test rosbridge server: a position-controlled arm that publishes sensor_msgs/JointState
 * (in its own joint order) at `rateHz` and follows the std_msgs/Float64MultiArray commands it receives with a
 * first-order lag (time constant `tauS`). Also publishes sensor_msgs/Imu (level, still) when asked.
 */
import type { RosbridgeTestServer } from './rosbridge-server.ts';

export interface FakeRosRobotOptions {
  /** Joint order of the robot's JointState and of its controller's `commands` array. */
  joints: string[];
  initial: number[];
  rateHz?: number;
  tauS?: number;
  stateTopic?: string;
  commandTopic?: string;
  imuTopic?: string;
}

export class FakeRosRobot {
  readonly pos: number[];
  readonly target: number[];
  commandsReceived = 0;
  /** Every command received: data in the robot's joint order. */
  readonly commands: number[][] = [];
  /** The robot's position when each command arrived. */
  readonly posAtCommand: number[][] = [];
  publishing = true;
  private timer: NodeJS.Timeout;
  private off: () => void;
  private last = performance.now();

  constructor(private readonly server: RosbridgeTestServer, private readonly o: FakeRosRobotOptions) {
    this.pos = [...o.initial];
    this.target = [...o.initial];
    const cmdTopic = o.commandTopic ?? '/joint_group_position_controller/commands';
    this.off = server.onPublish((m) => {
      if (m.topic !== cmdTopic) return;
      const data = (m.msg as { data?: number[] }).data;
      if (!Array.isArray(data) || data.length !== o.joints.length) return;
      this.commandsReceived++;
      this.commands.push([...data]);
      this.posAtCommand.push([...this.pos]);
      for (let i = 0; i < data.length; i++) this.target[i] = data[i]!;
    });
    this.timer = setInterval(() => this.tick(), 1000 / (o.rateHz ?? 200));
  }

  /**
   * Longest gap between two of this robot's ticks since `resetGap()` (ms). It runs in the test's own thread: a long
   * gap means the test process itself was descheduled (a loaded host), and then so was its state stream.
   */
  maxGapMs = 0;

  resetGap(): void {
    this.maxGapMs = 0;
  }

  private tick(): void {
    const now = performance.now();
    this.maxGapMs = Math.max(this.maxGapMs, now - this.last);
    const dt = (now - this.last) * 1e-3;
    this.last = now;
    const a = 1 - Math.exp(-dt / (this.o.tauS ?? 0.02));
    const vel = this.pos.map((p, i) => (this.target[i]! - p) * a / Math.max(dt, 1e-6));
    for (let i = 0; i < this.pos.length; i++) this.pos[i]! += (this.target[i]! - this.pos[i]!) * a;
    if (!this.publishing) return;
    const sec = Math.floor(now / 1000);
    this.server.publish(this.o.stateTopic ?? '/joint_states', {
      header: { stamp: { sec, nanosec: Math.floor((now / 1000 - sec) * 1e9) }, frame_id: '' },
      name: this.o.joints,
      position: this.pos,
      velocity: vel,
      effort: this.pos.map(() => 0),
    });
    if (this.o.imuTopic) {
      this.server.publish(this.o.imuTopic, {
        header: { stamp: { sec, nanosec: 0 }, frame_id: 'imu' },
        orientation: { x: 0, y: 0, z: 0, w: 1 },
        angular_velocity: { x: 0, y: 0, z: 0.1 },
        linear_acceleration: { x: 0, y: 0, z: 9.81 },
      });
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.off();
  }
}
