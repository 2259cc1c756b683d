/**
 * `npx s2r robot <urdf> [--stand SECONDS] [--config s2r.json]`: the check a user runs on their own robot.
 * Prints the parsed model (links, joints with limits, total mass, warnings), then stands the robot under PD at its
 * default pose (from s2r.json, or zero) in Rapier and ends with one JSON line:
 * {"robot","dof","mass_kg","stand":{"height_m","height_swing_m","drift_m","stable"}}.
 */
import { loadUrdf, mergeFixedJoints, totalMass, loadRobotConfig, parseArgs, UsageError, type Joint, type RobotModel, type Command } from '@s2r/core';
import { createWorld } from '../physics/world.ts';
import { standingSpawnHeight } from '../physics/spawn.ts';
import type { RapierFlavor } from '../physics/types.ts';

const USAGE = `Usage: npx s2r robot <file.urdf> [options]

Parse a URDF, print its links, joints (with limits) and total mass, then stand it under PD in Rapier at its
default pose and report whether it holds. The last line is JSON:
  {"robot":…,"dof":…,"mass_kg":…,"stand":{"height_m":…,"height_swing_m":…,"drift_m":…,"stable":true|false}}

Options:
  --stand SECONDS     simulated time to stand (default 10; 0 skips the stand and prints "stand":null)
  --config FILE       robot config (default: s2r.json beside the URDF). Without one: zero pose, Kp 20, Kd 0.5
  --dt SECONDS        physics step (default 0.005)
  --flavor NAME       Rapier build: simd (default), compat or deterministic
  --package NAME=DIR  where package://NAME/... lives (repeatable; default: found from the URDF's folder)

"stable" means: no NaN, base height swing ≤ 2 cm and horizontal drift ≤ 5 cm after a settle of min(1 s, 20%),
base upright and not touching the ground (floating base); for a fixed base the same limits apply to the centre
of mass of the last link. Exit code 0 when stable (or no stand), 3 when not, 1 on a bad file, 2 on bad usage.`;

const SWING_MAX_M = 0.02;
const DRIFT_MAX_M = 0.05;

function fmtLimit(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toFixed(4))) : '∞';
}

function printModel(model: RobotModel, log: (s: string) => void): void {
  const merged = mergeFixedJoints(model);
  log(`robot ${model.name}  (${model.source})`);
  log(`root link: ${model.rootLink}${model.fixedToWorld ? ' (fixed to world in the URDF)' : ''}`);
  log(`links: ${model.links.length} in the URDF, ${merged.links.length} rigid bodies after merging fixed joints`);
  for (const l of merged.links) {
    const m = l.inertial ? `${l.inertial.mass.toFixed(3)} kg` : 'no mass';
    const col = l.collisions.map((c) => c.geometry.type).join(', ') || 'no collision';
    const mergedNote = l.merged?.length ? `  + ${l.merged.join(', ')}` : '';
    log(`  ${l.name.padEnd(20)} ${m.padStart(10)}  [${col}]${mergedNote}`);
  }
  const moving = model.joints.filter((j: Joint) => j.type !== 'fixed');
  log(`joints: ${model.joints.length} (${model.actuatedJoints.length} actuated, ${model.joints.length - moving.length} fixed)`);
  for (const j of moving) {
    const unit = j.type === 'prismatic' ? ['m', 'm/s', 'N'] : ['rad', 'rad/s', 'N·m'];
    log(
      `  ${j.name.padEnd(20)} ${j.type.padEnd(10)} pos [${fmtLimit(j.limits.lower)}, ${fmtLimit(j.limits.upper)}] ${unit[0]}` +
        `  vel ${fmtLimit(j.limits.velocity)} ${unit[1]}  effort ${fmtLimit(j.limits.effort)} ${unit[2]}` +
        `  axis ${j.axis.join(' ')}  ${j.parent} → ${j.child}`,
    );
  }
  log(`total mass: ${totalMass(model).toFixed(3)} kg`);
  if (model.warnings.length) {
    log(`warnings (${model.warnings.length}):`);
    for (const w of model.warnings) log(`  - ${w}`);
  } else log('warnings: none');
}

export interface StandResult {
  height_m: number;
  height_swing_m: number;
  drift_m: number;
  stable: boolean;
}

/** Stand a model under PD at its default pose; used by the CLI and its tests. */
export async function standRobot(
  model: RobotModel,
  opts: { seconds: number; configPath?: string; dt?: number; flavor?: RapierFlavor; log?: (s: string) => void },
): Promise<StandResult> {
  const log = opts.log ?? (() => {});
  const cfg = loadRobotConfig(model, opts.configPath);
  const dt = opts.dt ?? 0.005;
  const hasGains = cfg.source !== '';
  const kp = hasGains ? cfg.kp : 20;
  const kd = hasGains ? cfg.kd : 0.5;
  const q0 = cfg.defaultJointPos;
  const fixed = cfg.fixedBase;
  const z0 = cfg.spawnHeight ?? (fixed ? 0 : standingSpawnHeight(model, q0, 0.01));
  log(
    `stand: ${opts.seconds} s at dt ${dt} s, ${cfg.source ? `config ${cfg.source}` : 'no s2r.json: zero pose, Kp 20, Kd 0.5'}, ` +
      `${fixed ? 'fixed' : 'floating'} base at z ${z0.toFixed(3)} m, actuator ${cfg.actuator}`,
  );
  // The implicit motor needs internal PGS iterations to reach its nominal stiffness (see RapierRobot warnings).
  const world = await createWorld({ dt, flavor: opts.flavor, internalPgsIterations: cfg.actuator === 'motor' ? 4 : undefined });
  try {
    const robot = world.addRobot(model, { basePosition: [0, 0, z0], initialJointPos: q0, kp, kd, fixedBase: fixed, actuator: cfg.actuator });
    for (const w of robot.warnings) log(`  note: ${w}`);
    robot.setPositionTargets(q0);
    const steps = Math.round(opts.seconds / dt);
    const settle = Math.min(Math.round(1 / dt), Math.round(steps * 0.2));
    // Fixed base: watch the centre of mass of the last link (the tip of the chain).
    const tipBody = robot.rigidBodies()[robot.linkNames.length - 1]!;
    const probe = (): [number, number, number] => {
      if (!fixed) return robot.basePosition();
      const c = tipBody.worldCom();
      return [c.x, c.y, c.z];
    };
    let finite = true;
    let zMin = Infinity, zMax = -Infinity, zSum = 0, n = 0;
    let start: [number, number, number] = probe();
    let p = start;
    for (let i = 0; i < steps; i++) {
      world.step();
      if (i + 1 === settle) start = probe();
      if (i + 1 > settle) {
        p = probe();
        if (!p.every(Number.isFinite)) {
          finite = false;
          break;
        }
        zMin = Math.min(zMin, p[2]);
        zMax = Math.max(zMax, p[2]);
        zSum += p[2];
        n++;
      }
    }
    const jointsFinite = Array.from(robot.jointPos).every(Number.isFinite);
    const height = n ? zSum / n : NaN;
    const swing = n ? zMax - zMin : NaN;
    const drift = Math.hypot(p[0] - start[0], p[1] - start[1]);
    let upright = true;
    let baseTouching = false;
    if (!fixed) {
      upright = robot.imu().projectedGravity[2] < -0.9;
      // The base body is the root link plus everything merged into it (the Go1's trunk, cameras, hip rotors).
      const f = robot.contactForces();
      const rootName = robot.linkNames[0]!;
      const rootLinks = new Set([rootName, ...(robot.merged.links[0]!.merged ?? [])]);
      const touching = robot.contactLinkNames.filter((n, i) => rootLinks.has(n) && f[i]! > 0);
      baseTouching = touching.length > 0;
      if (!upright) log('  the base tipped over (projected gravity z > −0.9)');
      if (baseTouching) log(`  the base touches the ground (${touching.join(', ')})`);
    }
    const stable = finite && jointsFinite && swing <= SWING_MAX_M && drift <= DRIFT_MAX_M && upright && !baseTouching;
    return {
      height_m: round(height),
      height_swing_m: round(swing),
      drift_m: round(drift),
      stable,
    };
  } finally {
    world.free();
  }
}

function round(v: number): number {
  return Number.isFinite(v) ? Number(v.toFixed(5)) : v;
}

export const command: Command = {
  name: 'robot',
  summary: 'Parse a URDF, print the model, and stand it under PD in Rapier',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, { values: ['stand', 'config', 'dt', 'flavor', 'package'] });
    if (args.positional.length !== 1) throw new UsageError(`expected one URDF file, got ${args.positional.length}`);
    const seconds = args.num('stand', 10);
    if (seconds < 0) throw new UsageError('--stand must be ≥ 0 seconds');
    const dt = args.num('dt', 0.005);
    if (!(dt > 0 && dt <= 0.05)) throw new UsageError('--dt must be in (0, 0.05] seconds');
    const flavor = args.str('flavor', 'simd');
    if (!['simd', 'compat', 'deterministic'].includes(flavor)) throw new UsageError(`--flavor must be simd, compat or deterministic, got "${flavor}"`);
    const packageDirs: Record<string, string> = {};
    for (const p of args.all('package')) {
      const eq = p.indexOf('=');
      if (eq <= 0) throw new UsageError(`--package expects NAME=DIR, got "${p}"`);
      packageDirs[p.slice(0, eq)] = p.slice(eq + 1);
    }
    let model: RobotModel;
    try {
      model = loadUrdf(args.positional[0]!, { packageDirs });
    } catch (e) {
      console.error(`s2r robot: ${(e as Error).message}`);
      return 1;
    }
    printModel(model, console.log);
    let stand: StandResult | null = null;
    if (seconds > 0) {
      try {
        stand = await standRobot(model, { seconds, configPath: args.str('config'), dt, flavor: flavor as RapierFlavor, log: console.log });
      } catch (e) {
        console.error(`s2r robot: ${(e as Error).message}`);
        return 1;
      }
    }
    console.log(JSON.stringify({ robot: model.name, dof: model.actuatedJoints.length, mass_kg: round(totalMass(model)), stand }));
    return stand === null || stand.stable ? 0 : 3;
  },
};
