/**
 * Evidence checks at start, for a robot behind rosbridge. A real rosbridge rejects a wrong type, an unknown field
 * or a type conflict *silently* (its own log only, no `status`), so "no error" proves nothing. Before anything
 * moves, RosHardware waits for evidence instead:
 *  - state messages arrive on the state topic (and on the IMU topic, when one is given or the policy needs it);
 *  - through rosapi: the command topic has a subscriber, and the graph's types of the command, state and IMU topics
 *    are the ones s2r uses (a topic of another type rejects every message, on either side).
 * A problem still there after `warnMs` gets a warning naming it; at `timeoutMs` the start fails with all of them
 * in one line. A type mismatch is fatal at once (waiting cannot fix it). Without rosapi the graph checks are skipped
 * with one warning saying so.
 */
import type { RosbridgeClient } from './rosbridge-client.ts';
import { sameType, type RosVersion } from './ros-msgs.ts';

export interface StartCheckInput {
  client: RosbridgeClient;
  rosapi: boolean;
  stateTopic: string;
  stateType: string;
  imuTopic: string | null;
  imuType: string;
  commandTopic: string;
  commandType: string;
  estopTopic: string | null;
  /** Publishing is off (dry run): the command topic's subscriber is not required. */
  dryRun: boolean;
  warnMs: number;
  timeoutMs: number;
  /** Messages received so far, and what the IMU topic's messages looked like if they were not Imu. */
  progress(): { state: number; imu: number; imuLooksLike: string | null; stateLooksLike: string | null };
  log(m: string): void;
}

const CALL_MS = 1000;

/** Detect the ROS version through rosapi: ROS 2's get_ros_version, else the spelling of the graph's types. */
export async function detectRosVersion(client: RosbridgeClient): Promise<{ version: RosVersion | null; rosapi: boolean }> {
  const v = await client.call('/rosapi/get_ros_version', {}, CALL_MS);
  const values = v.values as { version?: unknown } | undefined;
  if (v.ok && (values?.version === 1 || values?.version === 2)) return { version: values.version, rosapi: true };
  const t = await client.call('/rosapi/topics', {}, CALL_MS);
  if (!t.ok) return { version: null, rosapi: false };
  const types = ((t.values as { types?: unknown })?.types ?? []) as unknown[];
  if (types.some((x) => typeof x === 'string' && x.includes('/msg/'))) return { version: 2, rosapi: true };
  // rosapi answered but has no get_ros_version: ROS 1 (and older ROS 2 rosapi always spells pkg/msg/Type).
  return { version: types.length ? 1 : null, rosapi: true };
}

async function topicType(client: RosbridgeClient, topic: string): Promise<string | null> {
  const r = await client.call('/rosapi/topic_type', { topic }, CALL_MS);
  if (!r.ok) return null;
  const t = (r.values as { type?: unknown })?.type;
  return typeof t === 'string' ? t : null;
}

async function nodesOn(client: RosbridgeClient, what: 'subscribers' | 'publishers', topic: string): Promise<string[] | null> {
  const r = await client.call(`/rosapi/${what}`, { topic }, CALL_MS);
  if (!r.ok) return null;
  const list = (r.values as Record<string, unknown>)?.[what];
  return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : null;
}

export async function runStartChecks(i: StartCheckInput): Promise<void> {
  const t0 = performance.now();
  let warned = false;
  if (!i.rosapi) {
    i.log(`ros: warning: rosapi does not answer; cannot check that ${i.commandTopic} has a subscriber of type ${i.commandType} (launch rosapi with rosbridge). Checking that state arrives only.`);
  }
  for (;;) {
    const fatal: string[] = [];
    const missing: string[] = [];
    const p = i.progress();
    if (i.rosapi) {
      const expect: [string, string, string][] = [[i.commandTopic, i.commandType, 'command topic'], [i.stateTopic, i.stateType, 'state topic']];
      if (i.imuTopic) expect.push([i.imuTopic, i.imuType, 'IMU topic']);
      for (const [topic, type, what] of expect) {
        const got = await topicType(i.client, topic);
        if (got && !sameType(got, type)) {
          fatal.push(`${what} ${topic} has type ${got} in the ROS graph, s2r uses ${type} (rosbridge rejects every message of the other type, silently)`);
        }
      }
      if (!i.dryRun) {
        const subs = await nodesOn(i.client, 'subscribers', i.commandTopic);
        if (subs && subs.length === 0) missing.push(`no subscriber on command topic ${i.commandTopic} (is the controller loaded and active?)`);
      }
    }
    if (p.stateLooksLike && !sameType(p.stateLooksLike, i.stateType)) fatal.push(`state topic ${i.stateTopic} carries ${p.stateLooksLike}, not ${i.stateType}`);
    if (i.imuTopic && p.imuLooksLike && !sameType(p.imuLooksLike, i.imuType)) fatal.push(`IMU topic ${i.imuTopic} carries ${p.imuLooksLike}, not ${i.imuType}`);
    if (p.state === 0) missing.push(`state topic ${i.stateTopic} silent: no ${i.stateType} received`);
    if (i.imuTopic && p.imu === 0) missing.push(`IMU topic ${i.imuTopic} silent: no ${i.imuType} received`);
    if (fatal.length) throw new Error(`ros: start checks failed: ${[...fatal, ...missing].join('; ')}`);
    if (!missing.length) break;
    const dt = performance.now() - t0;
    if (dt >= i.timeoutMs) {
      throw new Error(`ros: start checks failed after ${(dt / 1000).toFixed(1)} s: ${missing.join('; ')}`);
    }
    if (!warned && dt >= i.warnMs) {
      warned = true;
      for (const m of missing) i.log(`ros: warning: ${m} after ${(dt / 1000).toFixed(1)} s; the run fails if this lasts ${(i.timeoutMs / 1000).toFixed(1)} s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (i.rosapi && i.estopTopic) {
    const pubs = await nodesOn(i.client, 'publishers', i.estopTopic);
    if (pubs && pubs.length === 0) i.log(`ros: warning: nothing publishes on the e-stop topic ${i.estopTopic} yet (std_msgs/Bool)`);
  }
  i.log(`ros: start checks passed in ${Math.round(performance.now() - t0)} ms: state${i.imuTopic ? ', IMU' : ''} arriving${i.rosapi ? `, ${i.dryRun ? 'command topic type matches' : `${i.commandTopic} has a subscriber of type ${i.commandType}`}` : ''}`);
}
