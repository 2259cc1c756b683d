/**
 * The built-in domain-randomization terms, registered in the order they run (dr/registry.ts), with defaults from
 * published sim-to-real work (the shared REFERENCE.md table, `../shared` beside the repository). Each term draws
 * from its own RNG stream, split by its name, so adding or disabling one never shifts another's draws; the order
 * below is also the order of their setters within a reset, which the observation hashes pin
 * (packages/sim/test/obs-hash*.test.ts).
 */
import type { Rng, Vec3 } from '@s2r/core';
import { MODE_FIELD, registerDrTerm, type DrParams } from './registry.ts';
import { STANDARD_GRAVITY, type DrTarget } from './state.ts';

/** A term drawn from U(range) at startup or at every reset. */
export interface RangeDr extends DrParams {
  /** 'startup' draws once per seeding; 'reset' redraws at every episode start. */
  mode: 'startup' | 'reset';
  range: [number, number];
}
export interface ComOffsetDr extends DrParams {
  mode: 'startup' | 'reset';
  /** Half-widths (m): x and y in ±xy, z in ±z. */
  xy: number;
  z: number;
}
export interface ObsNoiseDr extends DrParams {
  level: number;
  /** Half-width per observation term, in the term's units (legged_gym noise scales). */
  scales: Record<string, number>;
}
export interface PushDr extends DrParams {
  intervalS: number;
  maxVelXY: number;
}
export interface GravityDr extends DrParams {
  intervalS: number;
  range: [number, number];
}

/** The built-in terms' configs, by key (the static part of DrConfig). */
export interface BuiltinDrConfig {
  /** Ground and robot friction coefficient, U(lo, hi). legged_gym: U(0.5, 1.25). */
  friction: RangeDr;
  /** Restitution (1), U(lo, hi). Walk-These-Ways: 0–0.4. */
  restitution: RangeDr;
  /** Multiplier on every link's mass and inertia, drawn per link. Playground: U(0.9, 1.1). */
  linkMassScale: RangeDr;
  /** Mass added to the base (kg). legged_gym ±1 kg. */
  addedBaseMass: RangeDr;
  /** Base centre-of-mass offset (m): x and y in ±xy, z in ±z. Isaac Lab: ±5 cm x/y, ±1 cm z. */
  comOffset: ComOffsetDr;
  /** Kp and Kd multipliers, one draw each per episode. Genesis docs: ±25%. */
  kpScale: RangeDr;
  kdScale: RangeDr;
  /** Per-joint motor strength multiplier. Walk-These-Ways: U(0.9, 1.1). */
  motorStrength: RangeDr;
  /** Per-joint encoder bias (rad): the robot reads q + offset. Walk-These-Ways: ±0.02 rad. */
  jointPosOffset: RangeDr;
  /** Action latency in control steps, an integer drawn uniformly in [lo, hi]. 1 step = 20 ms at 50 Hz. */
  actionLatency: RangeDr;
  /** Per-group uniform observation noise: ±level × scale, in the term's units (legged_gym noise scales). */
  obsNoise: ObsNoiseDr;
  /** Random pushes: set the base's horizontal velocity to U(−maxVelXY, maxVelXY) every intervalS. */
  push: PushDr;
  /** Gravity perturbation: each axis of g gets U(range) m/s² every intervalS. Walk-These-Ways: ±1 m/s², 8 s. */
  gravity: GravityDr;
}

const u = (a: [number, number]) => `U(${a[0]}, ${a[1]})`;
const RANGE_SCHEMA = { mode: MODE_FIELD, range: { type: 'range' } } as const;

/** A term drawn from U(range) (mode from its config, reset by default). */
function rangeTerm(key: string, name: string, range: [number, number], describe: (p: RangeDr) => string, apply: (t: DrTarget, rng: Rng, p: RangeDr) => number | number[]): void {
  registerDrTerm<RangeDr>({ key, name, schema: RANGE_SCHEMA, mode: 'config', defaults: { enabled: true, mode: 'reset', range }, describe, apply });
}

function applyGains(t: DrTarget): void {
  const kp = new Float32Array(t.nominalKp.length);
  const kd = new Float32Array(t.nominalKd.length);
  for (let j = 0; j < kp.length; j++) {
    kp[j] = t.nominalKp[j]! * t.dr.kpScale;
    kd[j] = t.nominalKd[j]! * t.dr.kdScale;
  }
  t.robot.setGains(kp, kd);
}

rangeTerm('friction', 'friction', [0.5, 1.25], (p) => u(p.range), (t, rng, p) => {
  t.dr.friction = rng.uniform(p.range[0], p.range[1]);
  t.robot.setFriction(t.dr.friction);
  return t.dr.friction;
});

rangeTerm('restitution', 'restitution', [0, 0.4], (p) => u(p.range), (t, rng, p) => {
  t.dr.restitution = rng.uniform(p.range[0], p.range[1]);
  t.robot.setRestitution(t.dr.restitution);
  return t.dr.restitution;
});

rangeTerm('linkMassScale', 'link_mass_scale', [0.9, 1.1], (p) => `${u(p.range)} per link`, (t, rng, p) => {
  const names = t.robot.linkNames;
  for (let i = 0; i < names.length; i++) {
    t.dr.linkMassScale[i] = rng.uniform(p.range[0], p.range[1]);
    t.robot.setLinkMassScale(names[i]!, t.dr.linkMassScale[i]!);
  }
  return Array.from(t.dr.linkMassScale);
});

// Payload and CoM share one setter, so they are drawn by separate terms but applied together.
rangeTerm('addedBaseMass', 'added_base_mass', [-1, 1], (p) => `${u(p.range)} kg`, (t, rng, p) => {
  t.dr.addedBaseMass = rng.uniform(p.range[0], p.range[1]);
  t.robot.setBasePayload(t.dr.addedBaseMass, t.dr.comOffset);
  return t.dr.addedBaseMass;
});

registerDrTerm<ComOffsetDr>({
  key: 'comOffset', name: 'com_offset', mode: 'config',
  schema: { mode: MODE_FIELD, xy: { type: 'number', min: 0 }, z: { type: 'number', min: 0 } },
  defaults: { enabled: true, mode: 'reset', xy: 0.05, z: 0.01 },
  describe: (p) => `±${p.xy} m xy, ±${p.z} m z`,
  apply: (t, rng, p) => {
    t.dr.comOffset = [rng.uniform(-p.xy, p.xy), rng.uniform(-p.xy, p.xy), rng.uniform(-p.z, p.z)];
    t.robot.setBasePayload(t.dr.addedBaseMass, t.dr.comOffset);
    return t.dr.comOffset;
  },
});

rangeTerm('kpScale', 'kp_scale', [0.75, 1.25], (p) => u(p.range), (t, rng, p) => {
  t.dr.kpScale = rng.uniform(p.range[0], p.range[1]);
  applyGains(t);
  return t.dr.kpScale;
});

rangeTerm('kdScale', 'kd_scale', [0.75, 1.25], (p) => u(p.range), (t, rng, p) => {
  t.dr.kdScale = rng.uniform(p.range[0], p.range[1]);
  applyGains(t);
  return t.dr.kdScale;
});

rangeTerm('motorStrength', 'motor_strength', [0.9, 1.1], (p) => `${u(p.range)} per joint`, (t, rng, p) => {
  for (let j = 0; j < t.dr.motorStrength.length; j++) t.dr.motorStrength[j] = rng.uniform(p.range[0], p.range[1]);
  t.robot.setMotorStrength(t.dr.motorStrength);
  return Array.from(t.dr.motorStrength);
});

// Only draws: readings go through readEncoders (state.ts), the actuator target through the pipeline's bias.
rangeTerm('jointPosOffset', 'joint_pos_offset', [-0.02, 0.02], (p) => `${u(p.range)} rad per joint`, (t, rng, p) => {
  for (let j = 0; j < t.dr.jointPosOffset.length; j++) t.dr.jointPosOffset[j] = rng.uniform(p.range[0], p.range[1]);
  return Array.from(t.dr.jointPosOffset);
});

registerDrTerm<RangeDr>({
  key: 'actionLatency', name: 'action_latency', mode: 'config', schema: RANGE_SCHEMA,
  defaults: { enabled: true, mode: 'reset', range: [0, 1] },
  check: (p, where) => {
    if (p.range[0] < 0) throw new RangeError(`${where}.range: latency is ≥ 0 control steps, got ${JSON.stringify(p.range)}`);
  },
  describe: (p) => `int in [${p.range[0]}, ${p.range[1]}] control steps`,
  // The env keeps this many past actions; a draw above it is capped (maxActionLatency).
  actionBufferSteps: (p) => Math.max(0, Math.floor(p.range[1])),
  apply: (t, rng, p) => {
    const lo = Math.ceil(p.range[0]);
    const hi = Math.min(Math.floor(p.range[1]), t.maxActionLatency);
    t.dr.actionLatency = lo + rng.int(hi - lo + 1);
    return t.dr.actionLatency;
  },
});

registerDrTerm<ObsNoiseDr>({
  key: 'obsNoise', name: 'obs_noise', mode: 'step',
  schema: { level: { type: 'number', min: 0 }, scales: { type: 'record' } },
  // legged_gym noise scales, expressed in raw units (they apply them before their obs scaling).
  defaults: { enabled: true, level: 1, scales: { base_lin_vel: 0.1, base_ang_vel: 0.2, projected_gravity: 0.05, joint_pos_rel: 0.01, joint_vel: 1.5, height_scan: 0.1 } },
  describe: (p) => `uniform ±level ${p.level} × per-term scale (see observation table)`,
  observationNoise: (p, term, termNoise) => (p.scales[term] ?? termNoise ?? 0) * p.level,
});

registerDrTerm<PushDr>({
  key: 'push', name: 'push', mode: 'interval',
  schema: { intervalS: { type: 'number', min: 0, exclusiveMin: true }, maxVelXY: { type: 'number', min: 0 } },
  defaults: { enabled: true, intervalS: 15, maxVelXY: 1 },
  describe: (p) => `v_xy ~ U(±${p.maxVelXY}) m/s`,
  apply: (t, rng, p) => {
    const v = t.robot.baseLinVel();
    const vx = rng.uniform(-p.maxVelXY, p.maxVelXY);
    const vy = rng.uniform(-p.maxVelXY, p.maxVelXY);
    t.robot.setBaseVelocity([vx, vy, v[2]], t.robot.baseAngVel());
    return [vx, vy];
  },
});

registerDrTerm<GravityDr>({
  key: 'gravity', name: 'gravity', mode: 'interval',
  schema: { intervalS: { type: 'number', min: 0, exclusiveMin: true }, range: { type: 'range' } },
  defaults: { enabled: true, intervalS: 8, range: [-1, 1] },
  describe: (p) => `g + ${u(p.range)} m/s² per axis`,
  // A perturbation lasts until the episode ends: each episode starts at nominal gravity.
  episodeStart: (t) => {
    t.dr.gravity = [0, 0, -STANDARD_GRAVITY];
    t.world.setGravity(t.dr.gravity);
  },
  apply: (t, rng, p) => {
    const g: Vec3 = [rng.uniform(p.range[0], p.range[1]), rng.uniform(p.range[0], p.range[1]), -STANDARD_GRAVITY + rng.uniform(p.range[0], p.range[1])];
    t.dr.gravity = g;
    t.world.setGravity(g);
    return g;
  },
});
