/**
 * First touch with a foreign robot (`s2r robot <urdf> --init`): a starting s2r.json the user edits instead of
 * writing one from nothing — a default pose inside every joint's limits (a recognised legged layout, else zero
 * where zero is allowed and mid-range where it is not), PD gains, the base link, the feet, and the spawn height
 * measured by dropping the robot in Rapier. Also the note `s2r robot` prints when the zero pose breaks limits.
 */
import type { Joint, RobotConfig, RobotModel } from '@s2r/core';
import { createWorld } from '../physics/world.ts';
import { standingSpawnHeight } from '../physics/spawn.ts';

/** PD gains of the stand without a config, and of the file written (legged_gym's Go1/Go2 values; N·m/rad, N·m·s/rad). */
export const INIT_KP = 20;
export const INIT_KD = 0.5;

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
const inside = (j: Joint, q: number) => q >= j.limits.lower - 1e-9 && q <= j.limits.upper + 1e-9;
const fmtRange = (j: Joint) => `[${r4(j.limits.lower)}, ${r4(j.limits.upper)}]`;

/** Joints whose zero position is outside their limits, among those `configured` does not set. */
export function zeroPoseViolations(model: RobotModel, configured: Record<string, number> = {}): Joint[] {
  return model.actuatedJoints
    .filter((n) => !(n in configured))
    .map((n) => model.joints.find((j) => j.name === n)!)
    .filter((j) => !inside(j, 0));
}

/** One line naming the joints whose zero is out of range, their ranges, and what the stand did about it. */
export function zeroPoseNote(model: RobotModel, bad: Joint[], urdf: string): string {
  const list = bad.map((j) => `${j.name} ${fmtRange(j)}`).join(', ');
  return `note: the zero pose is outside the limits of ${bad.length} joint(s) that no s2r.json sets: ${list} rad; `
    + `they were clamped to the nearest limit for this stand. A legged robot at its joint limits rarely stands: `
    + `write a starting s2r.json with a pose inside every range: npx s2r robot ${urdf} --init`;
}

/** Unitree / legged_gym naming: FL_hip_joint, FR_thigh_joint, RL_calf_joint, ... */
const LEG = /^(FL|FR|RL|RR)_(hip|thigh|calf)_joint$/;

/** legged_gym's standing pose for that layout (rad): hips splayed ±0.1, thighs 0.8 front / 1.0 rear, calves −1.5. */
function leggedPose(name: string): number | null {
  const m = LEG.exec(name);
  if (!m) return null;
  const [, leg, part] = m;
  if (part === 'hip') return leg!.endsWith('L') ? 0.1 : -0.1;
  if (part === 'thigh') return leg!.startsWith('F') ? 0.8 : 1.0;
  return -1.5;
}

export interface InitPose {
  pose: Record<string, number>;
  layout: 'quadruped (FL/FR/RL/RR hip-thigh-calf)' | 'generic';
  /** How each joint's value was chosen, for the log. */
  how: string[];
}

export function defaultPose(model: RobotModel): InitPose {
  const joints = model.actuatedJoints.map((n) => model.joints.find((j) => j.name === n)!);
  const legged = joints.length === 12 && joints.every((j) => LEG.test(j.name));
  const pose: Record<string, number> = {};
  const how: string[] = [];
  for (const j of joints) {
    const mid = Number.isFinite(j.limits.lower) && Number.isFinite(j.limits.upper) ? (j.limits.lower + j.limits.upper) / 2 : 0;
    const want = legged ? leggedPose(j.name)! : 0;
    if (inside(j, want)) pose[j.name] = want;
    else {
      pose[j.name] = r4(mid);
      how.push(`${j.name}: ${want} is outside ${fmtRange(j)}, mid-range ${r4(mid)} used`);
    }
  }
  return { pose, layout: legged ? 'quadruped (FL/FR/RL/RR hip-thigh-calf)' : 'generic', how };
}

/** Links no joint leaves from (the tips of the tree), feet first by name. */
function footLinks(model: RobotModel): string[] {
  const parents = new Set(model.joints.map((j) => j.parent));
  const leaves = model.links.map((l) => l.name).filter((n) => !parents.has(n) && n !== model.rootLink);
  const named = leaves.filter((n) => /foot|toe/i.test(n));
  return named.length ? named : leaves;
}

/**
 * Drop the robot from a little above its computed standing height, hold the pose under PD for `seconds`, and
 * return the root height it settles at (m), or null if it tipped over or blew up.
 */
async function droppedHeight(model: RobotModel, q: Float64Array, seconds = 2, dt = 0.005): Promise<number | null> {
  const world = await createWorld({ dt });
  try {
    const z0 = standingSpawnHeight(model, q, 0.05);
    const robot = world.addRobot(model, { basePosition: [0, 0, z0], initialJointPos: q, kp: INIT_KP, kd: INIT_KD, fixedBase: false });
    robot.setPositionTargets(q);
    const steps = Math.round(seconds / dt);
    let sum = 0;
    let n = 0;
    for (let i = 0; i < steps; i++) {
      world.step();
      if (i >= steps * 0.75) {
        sum += robot.basePosition()[2];
        n++;
      }
    }
    const z = sum / n;
    if (!Number.isFinite(z) || robot.imu().projectedGravity[2] > -0.9) return null;
    return z;
  } finally {
    world.free();
  }
}

/** Build the starting s2r.json for a model; `log` gets one line per decision. */
export async function initRobotConfig(model: RobotModel, log: (s: string) => void): Promise<RobotConfig> {
  const { pose, layout, how } = defaultPose(model);
  log(`init: layout ${layout}; default pose inside every joint's limits${how.length ? ` (${how.join('; ')})` : ''}`);
  const fixedBase = model.fixedToWorld ?? false;
  const feet = fixedBase ? [] : footLinks(model);
  const cfg: RobotConfig = {
    description: `Written by \`s2r robot --init\` for ${model.name}: a starting point. Check the pose and the gains against your robot before deploying.`,
    defaultJointPos: pose,
    kp: INIT_KP,
    kd: INIT_KD,
    fixedBase,
    baseLink: model.rootLink,
    footLinks: feet,
    actuator: 'pd',
  };
  if (!fixedBase) {
    const q = Float64Array.from(model.actuatedJoints, (n) => pose[n]!);
    const z = await droppedHeight(model, q);
    if (z === null) {
      cfg.spawnHeight = r4(standingSpawnHeight(model, q, 0.01));
      log(`init: the dropped robot did not come to rest upright; spawnHeight ${cfg.spawnHeight} m is the geometric standing height (lowest collision point on the ground + 1 cm)`);
    } else {
      cfg.spawnHeight = Math.round((z + 0.01) * 1000) / 1000;
      log(`init: dropped under PD (Kp ${INIT_KP}, Kd ${INIT_KD}), it rests with its base at ${z.toFixed(3)} m: spawnHeight ${cfg.spawnHeight} m`);
    }
    log(`init: base link ${model.rootLink}; feet ${feet.join(', ') || '(none found)'}`);
  }
  return cfg;
}
