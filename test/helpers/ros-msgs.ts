/**
 * The message types the test rosbridge knows, and the conversion a real rosbridge applies to a JSON message before it
 * reaches the ROS graph (rosbridge_library's message_conversion): every field is checked against the type, an
 * unknown field or a wrong primitive rejects the whole message, missing fields get their defaults, and time/duration
 * fields keep only the keys of the ROS version (ROS 1 copies `secs`/`nsecs` and silently drops anything else, so
 * `{sec, nanosec}` becomes 0; ROS 2 takes either spelling).
 */
export type RosVersion = 1 | 2;

/** Field type: a primitive, 'time'/'duration', a message name (pkg/Type), or any of those followed by []. */
const DEFS: Record<string, Record<string, string>> = {
  'std_msgs/Header': { seq: 'uint32', stamp: 'time', frame_id: 'string' },
  'std_msgs/MultiArrayDimension': { label: 'string', size: 'uint32', stride: 'uint32' },
  'std_msgs/MultiArrayLayout': { dim: 'std_msgs/MultiArrayDimension[]', data_offset: 'uint32' },
  'std_msgs/Float64MultiArray': { layout: 'std_msgs/MultiArrayLayout', data: 'float64[]' },
  'std_msgs/Bool': { data: 'bool' },
  'std_msgs/Empty': {},
  'geometry_msgs/Quaternion': { x: 'float64', y: 'float64', z: 'float64', w: 'float64' },
  'geometry_msgs/Vector3': { x: 'float64', y: 'float64', z: 'float64' },
  'geometry_msgs/Point': { x: 'float64', y: 'float64', z: 'float64' },
  'geometry_msgs/Pose': { position: 'geometry_msgs/Point', orientation: 'geometry_msgs/Quaternion' },
  'geometry_msgs/PoseStamped': { header: 'std_msgs/Header', pose: 'geometry_msgs/Pose' },
  'sensor_msgs/JointState': { header: 'std_msgs/Header', name: 'string[]', position: 'float64[]', velocity: 'float64[]', effort: 'float64[]' },
  'sensor_msgs/Imu': {
    header: 'std_msgs/Header', orientation: 'geometry_msgs/Quaternion', orientation_covariance: 'float64[]',
    angular_velocity: 'geometry_msgs/Vector3', angular_velocity_covariance: 'float64[]',
    linear_acceleration: 'geometry_msgs/Vector3', linear_acceleration_covariance: 'float64[]',
  },
  'trajectory_msgs/JointTrajectoryPoint': { positions: 'float64[]', velocities: 'float64[]', accelerations: 'float64[]', effort: 'float64[]', time_from_start: 'duration' },
  'trajectory_msgs/JointTrajectory': { header: 'std_msgs/Header', joint_names: 'string[]', points: 'trajectory_msgs/JointTrajectoryPoint[]' },
  // rosapi's own request/response types are not needed: services are answered directly.
};

/**
 * The canonical name (pkg/Type) of a type as a client spelled it, or null when this ROS version does not know that
 * spelling: ROS 1 only knows pkg/Type (pkg/msg/Type is "not a valid type"), ROS 2 knows both.
 */
export function resolveType(type: string, version: RosVersion): string | null {
  const parts = type.split('/');
  let canon: string;
  if (parts.length === 2) canon = type;
  else if (parts.length === 3 && parts[1] === 'msg' && version === 2) canon = `${parts[0]}/${parts[2]}`;
  else return null;
  return DEFS[canon] ? canon : null;
}

/** How this ROS version spells a canonical type in rosapi answers. */
export function spellType(canon: string, version: RosVersion): string {
  if (version === 1) return canon;
  const [pkg, name] = canon.split('/');
  return `${pkg}/msg/${name}`;
}

export class ConversionError extends Error {}

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** JSON → the message the graph sees (as JSON again: what a subscriber receives), or a ConversionError. */
export function convert(canon: string, msg: unknown, version: RosVersion, path = canon): Record<string, unknown> {
  const def = DEFS[canon];
  if (!def) throw new ConversionError(`unknown type ${canon}`);
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) throw new ConversionError(`${path}: expected an object for ${canon}`);
  const m = msg as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(m)) {
    if (!(k in def) || (version === 2 && canon === 'std_msgs/Header' && k === 'seq')) throw new ConversionError(`${path}.${k}: no such field in ${canon}`);
  }
  for (const [k, ft] of Object.entries(def)) {
    if (version === 2 && canon === 'std_msgs/Header' && k === 'seq') continue; // ROS 2 headers have no seq
    out[k] = field(ft, m[k], version, `${path}.${k}`);
  }
  return out;
}

function field(ft: string, v: unknown, version: RosVersion, path: string): unknown {
  if (ft.endsWith('[]')) {
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw new ConversionError(`${path}: expected an array`);
    const et = ft.slice(0, -2);
    return v.map((x, i) => field(et, x, version, `${path}[${i}]`));
  }
  switch (ft) {
    case 'float64':
      if (v === undefined) return 0;
      if (!isNum(v)) throw new ConversionError(`${path}: expected float64, got ${JSON.stringify(v)}`);
      return v;
    case 'uint32':
      if (v === undefined) return 0;
      if (!isNum(v) || !Number.isInteger(v) || v < 0) throw new ConversionError(`${path}: expected uint32, got ${JSON.stringify(v)}`);
      return v;
    case 'bool':
      if (v === undefined) return false;
      if (typeof v !== 'boolean') throw new ConversionError(`${path}: expected bool, got ${JSON.stringify(v)}`);
      return v;
    case 'string':
      if (v === undefined) return '';
      if (typeof v !== 'string') throw new ConversionError(`${path}: expected string, got ${JSON.stringify(v)}`);
      return v;
    case 'time':
    case 'duration':
      return time(v, version, path);
    default:
      return v === undefined ? convert(ft, {}, version, path) : convert(ft, v, version, path);
  }
}

/** ROS 1 copies only secs/nsecs (unknown keys dropped: rosbridge's _to_time_inst); ROS 2 reads either spelling. */
function time(v: unknown, version: RosVersion, path: string): Record<string, number> {
  const t = (v ?? {}) as Record<string, unknown>;
  if (typeof t !== 'object' || Array.isArray(t)) throw new ConversionError(`${path}: expected a time`);
  const pick = (k: string) => {
    const x = t[k];
    if (x === undefined) return undefined;
    if (!isNum(x) || !Number.isInteger(x)) throw new ConversionError(`${path}.${k}: expected an integer`);
    return x;
  };
  if (version === 1) return { secs: pick('secs') ?? 0, nsecs: pick('nsecs') ?? 0 };
  return { sec: pick('sec') ?? pick('secs') ?? 0, nanosec: pick('nanosec') ?? pick('nsecs') ?? 0 };
}
