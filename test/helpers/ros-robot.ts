/**
 * A fake ROS robot node on the test rosbridge's graph: a position-controlled arm that publishes
 * sensor_msgs/JointState (in its own joint order) at `rateHz` and follows the commands it receives, as a
 * std_msgs/Float64MultiArray (forward controller) or a trajectory_msgs/JointTrajectory (its first point), with a
 * first-order lag (time constant `tauS`). Also publishes sensor_msgs/Imu (level, still) when asked. Its subscriber
 * and publishers are typed: the graph's type checks apply to them, as to a rospy node.
 */
import type { RosbridgeTestServer, RosNode } from './rosbridge-server.ts';

export interface FakeRosRobotOptions {
  /** Joint order of the robot's JointState and of its controller's `commands` array. */
  joints: string[];
  initial: number[];
  rateHz?: number;
  tauS?: number;
  stateTopic?: string;
  commandTopic?: string;
  /** 'std_msgs/Float64MultiArray' (default) or 'trajectory_msgs/JointTrajectory' (ROS 1 spelling: the canonical). */
  commandType?: string;
  imuTopic?: string;
  /** No controller: nothing subscribes to the command topic. */
  noController?: boolean;
}

export class FakeRosRobot {
  readonly pos: number[];
  readonly target: number[];
  commandsReceived = 0;
  /** Every command received: positions in the robot's joint order. */
  readonly commands: number[][] = [];
  /** The robot's position when each command arrived. */
  readonly posAtCommand: number[][] = [];
  /** performance.now() when each command arrived. */
  readonly commandAt: number[] = [];
  /** Every JointTrajectory received, as the graph delivered it. */
  readonly trajectories: Record<string, unknown>[] = [];
  /** The position in the last JointState published (what a client could have measured). */
  lastPublished: number[];
  /** JointState messages published so far. */
  statesPublished = 0;
  publishing = true;
  readonly node: RosNode;
  private timer: NodeJS.Timeout;
  private off: () => void = () => {};
  private last = performance.now();
  private readonly stateTopic: string;

  constructor(private readonly server: RosbridgeTestServer, private readonly o: FakeRosRobotOptions) {
    this.pos = [...o.initial];
    this.target = [...o.initial];
    this.lastPublished = [...o.initial];
    this.node = server.node('fake_robot');
    this.stateTopic = o.stateTopic ?? '/joint_states';
    this.node.advertise(this.stateTopic, 'sensor_msgs/JointState');
    if (o.imuTopic) this.node.advertise(o.imuTopic, 'sensor_msgs/Imu');
    const cmdTopic = o.commandTopic ?? '/joint_group_position_controller/commands';
    const cmdType = o.commandType ?? 'std_msgs/Float64MultiArray';
    if (!o.noController) {
      this.off = this.node.subscribe(cmdTopic, cmdType, (msg) => {
        let data: unknown;
        if (cmdType.includes('JointTrajectory')) {
          this.trajectories.push(msg);
          data = (msg.points as { positions?: number[] }[])[0]?.positions;
        } else data = msg.data;
        if (!Array.isArray(data) || data.length !== o.joints.length) return;
        this.commandsReceived++;
        this.commands.push([...data]);
        this.posAtCommand.push([...this.pos]);
        this.commandAt.push(performance.now());
        for (let i = 0; i < data.length; i++) this.target[i] = data[i]!;
      });
    }
    this.timer = setInterval(() => this.tick(), 1000 / (o.rateHz ?? 200));
  }

  private stamp(now: number): Record<string, number> {
    const sec = Math.floor(now / 1000);
    const ns = Math.floor((now / 1000 - sec) * 1e9);
    return this.server.rosVersion === 1 ? { secs: sec, nsecs: ns } : { sec, nanosec: ns };
  }

  private tick(): void {
    const now = performance.now();
    const dt = (now - this.last) * 1e-3;
    this.last = now;
    const a = 1 - Math.exp(-dt / (this.o.tauS ?? 0.02));
    const vel = this.pos.map((p, i) => (this.target[i]! - p) * a / Math.max(dt, 1e-6));
    for (let i = 0; i < this.pos.length; i++) this.pos[i]! += (this.target[i]! - this.pos[i]!) * a;
    if (!this.publishing || this.server.isFrozen) return; // a frozen rosbridge delivers nothing
    this.lastPublished = [...this.pos];
    this.statesPublished++;
    this.node.publish(this.stateTopic, {
      header: { stamp: this.stamp(now), frame_id: '' },
      name: this.o.joints,
      position: this.pos,
      velocity: vel,
      effort: this.pos.map(() => 0),
    });
    if (this.o.imuTopic) {
      this.node.publish(this.o.imuTopic, {
        header: { stamp: this.stamp(now), frame_id: 'imu' },
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
