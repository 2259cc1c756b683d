/**
 * ROS 1 vs ROS 2 spellings, and the messages RosHardware sends.
 *
 * rosbridge_suite 0.11 on ROS 1 knows only `pkg/Type` (it rejects `pkg/msg/Type` on advertise and subscribe, with no
 * reply) and reads time/duration as `{secs, nsecs}` (any other key is dropped silently: `{sec, nanosec}` arrives as
 * 0). ROS 2's rosbridge takes `pkg/Type` and `pkg/msg/Type`, and both time spellings. So when the version is unknown
 * the ROS 1 spellings are the ones that work on both.
 */
export type RosVersion = 1 | 2;

/** `pkg/msg/Type` or `pkg/Type` → the spelling this ROS version takes (unknown version: the ROS 1 one). */
export function typeFor(type: string, version: RosVersion | null): string {
  const p = type.split('/');
  const pkg = p[0]!;
  const name = p[p.length - 1]!;
  if (p.length < 2 || p.length > 3 || (p.length === 3 && p[1] !== 'msg') || !pkg || !name) {
    throw new Error(`ros hardware: "${type}" is not a message type (expected pkg/Type or pkg/msg/Type)`);
  }
  return version === 2 ? `${pkg}/msg/${name}` : `${pkg}/${name}`;
}

/** Same type, whatever the spelling? */
export function sameType(a: string, b: string): boolean {
  return a.replace('/msg/', '/') === b.replace('/msg/', '/');
}

/** A duration (s) as this ROS version reads it. */
export function duration(seconds: number, version: RosVersion | null): Record<string, number> {
  const ns = Math.max(0, Math.round(seconds * 1e9));
  const s = Math.floor(ns / 1e9);
  const n = ns - s * 1e9;
  return version === 2 ? { sec: s, nanosec: n } : { secs: s, nsecs: n };
}

/** A header stamp in either spelling → seconds (0 when absent or not numbers). */
export function stampSeconds(stamp: unknown): number {
  const s = stamp as Record<string, unknown> | undefined;
  const sec = Number(s?.sec ?? s?.secs ?? 0);
  const nsec = Number(s?.nanosec ?? s?.nsecs ?? 0);
  const t = sec + nsec * 1e-9;
  return Number.isFinite(t) ? t : 0;
}

/** What a message on the IMU topic looks like when it is not an Imu (a topic pointing at the wrong stream). */
export function guessType(m: Record<string, unknown>): string | null {
  if (Array.isArray(m.name) && Array.isArray(m.position)) return 'sensor_msgs/JointState';
  if (m.orientation && m.angular_velocity) return 'sensor_msgs/Imu';
  if (Array.isArray(m.data)) return 'std_msgs/Float64MultiArray';
  return null;
}

/** A forward command controller's message: the positions, in its joint order. */
export function multiArray(positions: number[]): Record<string, unknown> {
  return { layout: { dim: [], data_offset: 0 }, data: positions };
}

/**
 * One trajectory point reached `leadS` from now. The header stamp stays 0, which a trajectory controller reads as
 * "start on receipt": a wall-clock stamp would need the two machines' clocks to agree to a fraction of a control
 * period, or every point would land in the past and be dropped.
 */
export function trajectory(joints: readonly string[], positions: number[], leadS: number, version: RosVersion | null): Record<string, unknown> {
  return {
    joint_names: joints,
    points: [{ positions, velocities: new Array(positions.length).fill(0), time_from_start: duration(leadS, version) }],
  };
}
