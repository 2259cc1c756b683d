/**
 * The Go1's base (hardware/robots/s2r-go1), as mujoco_playground's go1/base.py: legged_gym's numbers for this
 * robot — 200 Hz physics, decimation 4 → 50 Hz policy, 20 s episodes, PD Kp 20 / Kd 0.5, target = default +
 * 0.25·action, URDF-clamped and rate-limited targets — with the published DR ranges. Go1 tasks start here.
 */
import { defaultDrConfig } from '../dr/config.ts';
import { defaultLocomotionConfig, type LocomotionConfig } from './locomotion.ts';

export function go1BaseConfig(): LocomotionConfig {
  return { ...defaultLocomotionConfig(), robot: 's2r-go1', dr: defaultDrConfig() };
}
