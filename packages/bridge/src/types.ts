/**
 * ros2_control-shaped hardware contract. A HardwareInterface declares its joints before activation, then the
 * control loop calls read → (policy, safety) → write at a fixed rate. Units: rad, rad/s, N·m, seconds.
 */
export interface ImuState {
  /** Angular velocity in the base frame (rad/s). */
  angVel: [number, number, number];
  /** Unit gravity direction in the base frame (what an IMU's orientation gives after rotating world −z). */
  projectedGravity: [number, number, number];
  /** Optional base orientation [x, y, z, w]. */
  quat?: [number, number, number, number];
}

export interface RobotState {
  /** Hardware timestamp (s, monotonic on the device if it has one). */
  stamp: number;
  /** Host time this state was received (s, monotonic). The watchdog uses it. */
  receivedAt: number;
  jointPos: Float64Array;
  jointVel: Float64Array;
  jointEffort: Float64Array;
  imu?: ImuState;
  /** Only sims (and robots with a state estimator) know this; world-frame m/s. */
  baseLinVel?: [number, number, number];
  /** Base position (m), sims only; used for distance/fall figures, never fed to a policy. */
  basePosition?: [number, number, number];
  /** Device status bits (e.g. firmware in damping / e-stop). */
  status?: number;
  /**
   * External inputs by name (policy/inputs.ts): readings the robot itself does not measure, e.g. a tracked object's
   * pose, from the sim's scene, a ROS topic or a hardware module. Each has its size and units from the task.
   */
  inputs?: Record<string, ArrayLike<number>>;
  /** Host time (s, monotonic) each input was last received; absent: it came with this state (fresh). */
  inputsAt?: Record<string, number>;
}

export type CommandMode = 'position' | 'damping' | 'zero_torque';

export interface RobotCommand {
  mode: CommandMode;
  /** Joint position targets (rad). */
  position: Float64Array;
  /** Joint velocity targets (rad/s). */
  velocity: Float64Array;
  /** Feed-forward torque (N·m). */
  effort: Float64Array;
  kp: Float64Array;
  kd: Float64Array;
}

export interface HardwareInterface {
  readonly name: string;
  /** Joint names in the order of every array in RobotState / RobotCommand. Known after configure(). */
  readonly jointNames: readonly string[];
  /** Names of the external inputs its states carry (RobotState.inputs). Known after configure(). */
  readonly inputs?: readonly string[];
  configure(): Promise<void>;
  activate(): Promise<void>;
  /** Latest state, or null if nothing fresh has arrived since the last read (the watchdog counts these). */
  read(t: number, period: number): RobotState | null;
  /** Send a command. Must never throw for link faults: count them and return false. */
  write(t: number, period: number, cmd: RobotCommand): boolean;
  deactivate(): Promise<void>;
  /** Link/health counters (frames dropped, reconnects, ...) for logging. */
  stats(): Record<string, number>;
}
