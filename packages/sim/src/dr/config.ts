/**
 * Domain-randomization settings: typed data with defaults from published sim-to-real work
 * (the shared REFERENCE.md table, `../shared` beside the repository). Each entry becomes one EventTerm (see dr/events.ts).
 */
import type { EventMode } from '../env/terms.ts';

export interface RangeDr {
  enabled: boolean;
  /** 'startup' draws once per seeding; 'reset' redraws at every episode start. */
  mode: Extract<EventMode, 'startup' | 'reset'>;
  range: [number, number];
}

export interface DrConfig {
  /** Ground and robot friction coefficient, U(lo, hi). legged_gym: U(0.5, 1.25). */
  friction: RangeDr;
  /** Restitution (1), U(lo, hi). Walk-These-Ways: 0–0.4. */
  restitution: RangeDr;
  /** Multiplier on every link's mass and inertia, drawn per link. Playground: U(0.9, 1.1). */
  linkMassScale: RangeDr;
  /** Mass added to the base (kg). legged_gym ±1 kg. */
  addedBaseMass: RangeDr;
  /** Base centre-of-mass offset (m): x and y in ±xy, z in ±z. Isaac Lab: ±5 cm x/y, ±1 cm z. */
  comOffset: { enabled: boolean; mode: 'startup' | 'reset'; xy: number; z: number };
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
  obsNoise: { enabled: boolean; level: number; scales: Record<string, number> };
  /** Random pushes: set the base's horizontal velocity to U(−maxVelXY, maxVelXY) every intervalS. */
  push: { enabled: boolean; intervalS: number; maxVelXY: number };
  /** Gravity perturbation: each axis of g gets U(range) m/s² every intervalS. Walk-These-Ways: ±1 m/s², 8 s. */
  gravity: { enabled: boolean; intervalS: number; range: [number, number] };
}

/** Published defaults, everything enabled. Tasks start from this and switch off what does not apply. */
export function defaultDrConfig(): DrConfig {
  return {
    friction: { enabled: true, mode: 'reset', range: [0.5, 1.25] },
    restitution: { enabled: true, mode: 'reset', range: [0, 0.4] },
    linkMassScale: { enabled: true, mode: 'reset', range: [0.9, 1.1] },
    addedBaseMass: { enabled: true, mode: 'reset', range: [-1, 1] },
    comOffset: { enabled: true, mode: 'reset', xy: 0.05, z: 0.01 },
    kpScale: { enabled: true, mode: 'reset', range: [0.75, 1.25] },
    kdScale: { enabled: true, mode: 'reset', range: [0.75, 1.25] },
    motorStrength: { enabled: true, mode: 'reset', range: [0.9, 1.1] },
    jointPosOffset: { enabled: true, mode: 'reset', range: [-0.02, 0.02] },
    actionLatency: { enabled: true, mode: 'reset', range: [0, 1] },
    obsNoise: {
      enabled: true,
      level: 1,
      // legged_gym noise scales, expressed in raw units (they apply them before their obs scaling).
      scales: { base_lin_vel: 0.1, base_ang_vel: 0.2, projected_gravity: 0.05, joint_pos_rel: 0.01, joint_vel: 1.5, height_scan: 0.1 },
    },
    push: { enabled: true, intervalS: 15, maxVelXY: 1 },
    gravity: { enabled: true, intervalS: 8, range: [-1, 1] },
  };
}

/** Every term off: a clean, nominal simulation (tests, sim2sim checks). */
export function disabledDrConfig(): DrConfig {
  const c = defaultDrConfig();
  for (const v of Object.values(c)) (v as { enabled: boolean }).enabled = false;
  return c;
}
