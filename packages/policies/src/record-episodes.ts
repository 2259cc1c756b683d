/**
 * Record whole simulated episodes of a policy to MCAP, with everything the viewer needs to show the robot:
 * joint state, link poses (foxglove.FrameTransforms), actions, per-term rewards, foot contacts, the velocity
 * command, episode boundaries and the domain-randomization values of each episode. The URDF is embedded.
 *
 * Used by `s2r eval --record` and by the periodic evaluation episodes of `s2r train`. It steps one env in this
 * thread (VecEnv workers don't expose their robots), seeded exactly like evaluation so an episode can be replayed.
 */
import type { FoxgloveLive } from '@s2r/recording';
import type { Policy } from './policy.ts';

export interface RecordEpisodesOptions {
  task: string;
  /** Output .mcap path. */
  path: string;
  /** Episodes to record (default 1). */
  episodes?: number;
  /** Seed of the first episode; episode k uses seed + k (default 1). */
  seed?: number;
  envOverrides?: Record<string, unknown>;
  /** Extra metadata stored in the file. */
  meta?: Record<string, unknown>;
  /** Also stream to an open viewer (the ws://…/live URL `s2r view` prints). */
  live?: string;
  /** Also serve the episodes live to Foxglove clients of this server (`s2r train --foxglove`). */
  foxglove?: FoxgloveLive;
  /** Replace an existing file at `path` (default false: an existing file is an error). */
  overwrite?: boolean;
}

export interface RecordedEpisode {
  seed: number;
  return: number;
  length: number;
  terminated: boolean;
  success: boolean | null;
}

interface RobotLike {
  model: { name: string; urdf: string; source: string; rootDir: string; actuatedJoints: string[] };
  jointNames: readonly string[];
  linkNames: readonly string[];
  jointPos: Float32Array;
  jointVel: Float32Array;
  jointEffort: Float32Array;
  linkPoses(out?: Float32Array): Float32Array;
  contacts(): { link: string; inContact: boolean; force: number }[];
}

export async function recordEpisodes(policy: Policy, o: RecordEpisodesOptions): Promise<RecordedEpisode[]> {
  const { load } = await import('@s2r/sim');
  const { Recorder } = await import('@s2r/recording');
  const env = await load(o.task, o.envOverrides ?? {}, { print: false });
  const robot = (env as unknown as { robot?: RobotLike }).robot;
  if (!robot) {
    env.close();
    throw new Error(`recordEpisodes: task "${o.task}" has no robot to record`);
  }
  const command = (env as unknown as { command?: Float64Array }).command;
  const rec = await Recorder.open(o.path, {
    robot: robot.model as never,
    meta: { task: o.task, policy_kind: policy.kind, source: 's2r policy rollout', ...(o.meta ?? {}) },
    ...(o.live ? { live: o.live } : {}),
    ...(o.foxglove ? { foxglove: o.foxglove } : {}),
    overwrite: o.overwrite ?? false,
  });
  const names = [...robot.jointNames];
  const links = [...robot.linkNames];
  const poses = new Float32Array(links.length * 7);
  const episodes = o.episodes ?? 1;
  const seed0 = o.seed ?? 1;
  const out: RecordedEpisode[] = [];
  let t = 0;
  try {
    rec.scene(0, { terrain: terrainOf(env) });
    for (let k = 0; k < episodes; k++) {
      const seed = seed0 + k;
      policy.reset();
      let { obs, info } = env.reset(seed);
      rec.episode(t, { index: k, event: 'start', seed });
      const dr = (info as { dr?: Record<string, unknown> }).dr ?? (env as unknown as { drValues?: () => Record<string, unknown> }).drValues?.();
      if (dr) rec.domainRandomization(t, dr as Record<string, never>, k);
      rec.jointState(t, { names, position: robot.jointPos, velocity: robot.jointVel, effort: robot.jointEffort });
      rec.linkPoses(t, links, robot.linkPoses(poses));
      let ret = 0;
      let len = 0;
      let ended: { terminated: boolean; success: boolean | null } | null = null;
      while (!ended) {
        const a = policy.act(obs);
        const r = env.step(a);
        t += env.dt;
        len++;
        ret += r.reward;
        rec.action(t, a);
        rec.jointState(t, { names, position: robot.jointPos, velocity: robot.jointVel, effort: robot.jointEffort });
        rec.linkPoses(t, links, robot.linkPoses(poses));
        rec.rewardTerms(t, r.info.rewardTerms, r.reward);
        rec.contacts(t, robot.contacts().map((c) => ({ link: c.link, inContact: c.inContact, force: c.force })));
        if (command) rec.velocityCommand(t, { vx: command[0]!, vy: command[1]!, yaw_rate: command[2]! });
        obs = r.obs;
        info = r.info;
        if (r.terminated || r.truncated) ended = { terminated: r.terminated, success: typeof r.info.success === 'boolean' ? r.info.success : null };
      }
      rec.episode(t, { index: k, event: 'end', return: ret, length: len, reason: ended.terminated ? 'terminated' : 'truncated' });
      out.push({ seed, return: ret, length: len, ...ended });
      t += env.dt; // a visible gap between episodes
    }
  } finally {
    await rec.close();
    env.close();
  }
  return out;
}

/**
 * The env's ground for the recording's /scene: its heightfield when it has one (go1-rough), else a plane. Heights are
 * rounded to 1 mm: the viewer needs no more, and the message stays a few hundred kB for go1-rough's 561 × 311 grid.
 */
function terrainOf(env: unknown): { type: 'plane' } | { type: 'heightfield'; rows: number; cols: number; spacing: number; heights: number[] } {
  const t = (env as { terrain?: { rows: number; cols: number; spacing: number; heights: ArrayLike<number> } | null }).terrain;
  if (!t) return { type: 'plane' };
  return { type: 'heightfield', rows: t.rows, cols: t.cols, spacing: t.spacing, heights: Array.from(t.heights, (h) => Math.round(h * 1000) / 1000) };
}
