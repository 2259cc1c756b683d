/**
 * The recording format: topic names, schema names and message shapes of every channel s2r writes to MCAP.
 * The high-rate channels are protobuf (proto.ts: PROTO_TOPICS), the others JSON with the JSON Schemas below;
 * Foxglove and the s2r viewer open the same files. Units: s, m, rad, rad/s, N, N·m, µs. Quaternions are [x, y, z, w].
 *
 * Message time is the MCAP logTime: nanoseconds since the start of the recording (not wall-clock time), so
 * sim rollouts and real deployments line up on the same time axis when compared.
 */

export const TOPICS = {
  jointState: '/joint_states',
  linkPoses: '/tf',
  command: '/command',
  action: '/action',
  rewardTerms: '/reward_terms',
  contacts: '/contacts',
  timing: '/loop_timing',
  safety: '/safety',
  domainRandomization: '/domain_randomization',
  episode: '/episode',
  scene: '/scene',
  velocityCommand: '/velocity_command',
} as const;

export type TopicKey = keyof typeof TOPICS;

/** MCAP attachment holding the URDF text, and the metadata record holding recording-level facts. */
export const URDF_ATTACHMENT = 'robot.urdf';
export const META_RECORD = 's2r';
/**
 * Bumped when the format changes; written into the s2r metadata record. 1: JSON messages, uncompressed chunks.
 * 2: protobuf for the high-rate channels (proto.ts), zstd chunks; decoded messages keep the shapes below.
 * 3: no MCAP message or chunk indexes, sensor-resolution float quanta, repeated commands held back (recorder.ts);
 * the same channels, schemas and message shapes, so readers of 2 read 3 (and s2r reads 1, 2 and 3).
 */
export const FORMAT_VERSION = '3';
export const PROFILE = 's2r';

// ---------------------------------------------------------------- message shapes (as stored, JSON)

/** `/joint_states` (s2r.JointState). `name` is omitted when it equals the channel's `joint_names` metadata. */
export interface JointStateMsg {
  name?: string[];
  position: number[]; // rad (m for prismatic)
  velocity: number[]; // rad/s
  effort: number[]; // N·m
}

export interface FoxgloveTime {
  sec: number;
  nsec: number;
}

/** `/tf` (foxglove.FrameTransforms): world poses of links and scene bodies (parent "world"). */
export interface FrameTransformsMsg {
  transforms: {
    timestamp: FoxgloveTime;
    parent_frame_id: string;
    child_frame_id: string;
    translation: { x: number; y: number; z: number };
    rotation: { x: number; y: number; z: number; w: number };
  }[];
}

/** `/command` (s2r.JointCommand): the command actually sent to the actuators, after the safety layer. */
export interface CommandMsg {
  name?: string[];
  mode?: string; // 'position' | 'damping' | 'zero_torque' | ...
  position?: number[]; // rad: joint position targets
  velocity?: number[]; // rad/s
  effort?: number[]; // N·m feed-forward
  kp?: number[]; // N·m/rad
  kd?: number[]; // N·m·s/rad
}

/** `/action` (s2r.Action): the policy's raw output, before scaling and safety. */
export interface ActionMsg {
  action: number[];
}

/** `/reward_terms` (s2r.RewardTerms): per-step term values (already weighted, as summed into the reward). */
export interface RewardTermsMsg {
  terms: Record<string, number>;
  total?: number;
}

/** `/contacts` (s2r.Contacts). `force` is a world-frame vector (N) when known, else its magnitude. */
export interface ContactsMsg {
  contacts: { link: string; in_contact: boolean; force: number | [number, number, number]; point?: [number, number, number] }[];
}

/** `/loop_timing` (s2r.LoopTiming): one control tick. */
export interface TimingMsg {
  lateness_us: number;
  exec_us: number;
  missed: number; // deadlines missed since the previous message
  tick?: number;
}

/** `/safety` (s2r.SafetyEvent): one intervention of the safety layer. */
export interface SafetyMsg {
  kind: string; // e.g. 'position_limit', 'velocity_limit', 'effort_limit', 'step_change', 'nan', 'watchdog', 'estop'
  joint?: string;
  detail?: string;
  value?: number;
  limit?: number;
}

/** `/domain_randomization` (s2r.DomainRandomization): the values drawn for an episode (or interval event). */
export interface DomainRandomizationMsg {
  episode?: number;
  values: Record<string, unknown>;
}

/** `/episode` (s2r.EpisodeEvent): episode boundaries. */
export interface EpisodeMsg {
  index: number;
  event: 'start' | 'end';
  seed?: number;
  return?: number;
  length?: number;
  reason?: string; // 'terminated' | 'truncated' | 'stopped' ...
  [extra: string]: unknown;
}

export type Vec3 = [number, number, number];
export type Quat = [number, number, number, number];

export type SceneShape =
  | { type: 'box'; size: Vec3 }
  | { type: 'sphere'; radius: number }
  | { type: 'cylinder'; radius: number; length: number }; // along local z, as in URDF

/**
 * `/scene` (s2r.Scene): bodies other than the robot and the ground. A body whose name also appears as a
 * child frame in `/tf` is moved by those transforms; otherwise it stays at `pose`.
 */
export interface SceneMsg {
  bodies?: { name: string; shape: SceneShape; pose?: { position: Vec3; orientation: Quat }; color?: string; role?: 'goal' | 'object' | 'obstacle' }[];
  /** Heightfield terrain: rows × cols heights (m), row-major (row = x index), `spacing` m apart, centred at the origin. */
  terrain?: { type: 'heightfield'; rows: number; cols: number; spacing: number; heights: number[] } | { type: 'plane' } | { type: 'none' };
}

/** `/velocity_command` (s2r.VelocityCommand): the locomotion command the policy tracks. */
export interface VelocityCommandMsg {
  vx: number; // m/s
  vy: number; // m/s
  yaw_rate: number; // rad/s
}

// ---------------------------------------------------------------- JSON Schemas

const num = { type: 'number' };
const numArr = { type: 'array', items: { type: 'number' } };
const strArr = { type: 'array', items: { type: 'string' } };
const vec3 = { type: 'array', items: num, minItems: 3, maxItems: 3 };

export const SCHEMAS: Record<TopicKey, { name: string; schema: object }> = {
  jointState: {
    name: 's2r.JointState',
    schema: {
      title: 's2r.JointState',
      description: 'Joint state in actuated-joint order; name defaults to the channel metadata joint_names',
      type: 'object',
      properties: { name: strArr, position: numArr, velocity: numArr, effort: numArr },
      required: ['position'],
    },
  },
  linkPoses: {
    name: 'foxglove.FrameTransforms',
    schema: {
      title: 'foxglove.FrameTransforms',
      description: 'An array of FrameTransform messages',
      type: 'object',
      properties: {
        transforms: {
          type: 'array',
          items: {
            title: 'foxglove.FrameTransform',
            type: 'object',
            properties: {
              timestamp: { type: 'object', properties: { sec: { type: 'integer', minimum: 0 }, nsec: { type: 'integer', minimum: 0, maximum: 999999999 } } },
              parent_frame_id: { type: 'string' },
              child_frame_id: { type: 'string' },
              translation: { type: 'object', properties: { x: num, y: num, z: num } },
              rotation: { type: 'object', properties: { x: num, y: num, z: num, w: num } },
            },
          },
        },
      },
    },
  },
  command: {
    name: 's2r.JointCommand',
    schema: {
      title: 's2r.JointCommand',
      description: 'Command sent to the actuators after the safety layer',
      type: 'object',
      properties: { name: strArr, mode: { type: 'string' }, position: numArr, velocity: numArr, effort: numArr, kp: numArr, kd: numArr },
    },
  },
  action: {
    name: 's2r.Action',
    schema: { title: 's2r.Action', description: 'Raw policy output', type: 'object', properties: { action: numArr }, required: ['action'] },
  },
  rewardTerms: {
    name: 's2r.RewardTerms',
    schema: {
      title: 's2r.RewardTerms',
      type: 'object',
      properties: { terms: { type: 'object', additionalProperties: num }, total: num },
      required: ['terms'],
    },
  },
  contacts: {
    name: 's2r.Contacts',
    schema: {
      title: 's2r.Contacts',
      type: 'object',
      properties: {
        contacts: {
          type: 'array',
          items: {
            type: 'object',
            properties: { link: { type: 'string' }, in_contact: { type: 'boolean' }, force: { oneOf: [num, vec3] }, point: vec3 },
          },
        },
      },
    },
  },
  timing: {
    name: 's2r.LoopTiming',
    schema: {
      title: 's2r.LoopTiming',
      type: 'object',
      properties: { lateness_us: num, exec_us: num, missed: { type: 'integer' }, tick: { type: 'integer' } },
    },
  },
  safety: {
    name: 's2r.SafetyEvent',
    schema: {
      title: 's2r.SafetyEvent',
      type: 'object',
      properties: { kind: { type: 'string' }, joint: { type: 'string' }, detail: { type: 'string' }, value: num, limit: num },
      required: ['kind'],
    },
  },
  domainRandomization: {
    name: 's2r.DomainRandomization',
    schema: { title: 's2r.DomainRandomization', type: 'object', properties: { episode: { type: 'integer' }, values: { type: 'object' } } },
  },
  episode: {
    name: 's2r.EpisodeEvent',
    schema: {
      title: 's2r.EpisodeEvent',
      type: 'object',
      properties: { index: { type: 'integer' }, event: { enum: ['start', 'end'] }, seed: num, return: num, length: num, reason: { type: 'string' } },
      required: ['index', 'event'],
    },
  },
  scene: {
    name: 's2r.Scene',
    schema: { title: 's2r.Scene', description: 'Non-robot bodies and terrain', type: 'object', properties: { bodies: { type: 'array' }, terrain: { type: 'object' } } },
  },
  velocityCommand: {
    name: 's2r.VelocityCommand',
    schema: { title: 's2r.VelocityCommand', type: 'object', properties: { vx: num, vy: num, yaw_rate: num } },
  },
};

/** Topic → schema name, for readers. */
export const SCHEMA_OF_TOPIC: Record<string, string> = Object.fromEntries(
  (Object.keys(TOPICS) as TopicKey[]).map((k) => [TOPICS[k], SCHEMAS[k].name]),
);
