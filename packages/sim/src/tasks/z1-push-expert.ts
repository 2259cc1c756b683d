/**
 * z1-push's scripted expert: a closed-loop pushing policy that reads only the observation (the same one a learned
 * policy gets) and steers the tool tip with damped-least-squares IK (arm-ik.ts).
 */
import type { Vec3 } from '@s2r/core';
import { Rng } from '@s2r/core';
import { specFromTerms } from '../env/manager-env.ts';
import { loadRobotAsset, type RobotAsset } from './assets.ts';
import { DlsIk } from './arm-ik.ts';
import { armGeometry, pushObsTerms, z1PushConfig, type Z1PushConfig } from './z1-push.ts';

export { z1PushConfig };

export interface PushExpertOptions {
  /** Tip speed limit (m/s). */
  speed?: number;
  /** Std of Gaussian noise added to the action (for demo diversity), in action units. */
  actionNoise?: number;
}

/**
 * A closed-loop pushing expert that reads only the observation. Each step it picks a tip target —
 * rise, go above the pre-push point behind the block (on the goal→block line), descend, push through the block
 * toward the goal — and converts it to joint targets by damped-least-squares IK on the arm's kinematics
 * (tip position + tool axis pointing down, regularised toward the default pose).
 */
export function makeZ1PushExpert(cfg: Z1PushConfig = z1PushConfig(), opts: PushExpertOptions = {}): (obs: ArrayLike<number>, rng?: Rng) => Float32Array {
  const asset = loadRobotAsset(cfg.robot);
  const g = armGeometry(asset, cfg);
  const J = asset.jointNames.length;
  const spec = specFromTerms(pushObsTerms(g, asset.jointNames));
  const off = (n: string) => { let o = 0; for (const t of spec.terms) { if (t.name === n) return o; o += t.size; } throw new Error(n); };
  const oq = off('joint_pos_rel'), oee = off('ee_pos'), ob = off('block_pos'), og = off('goal_pos'), oa = off('last_action');
  const h = cfg.block.halfSize;
  const top = cfg.table.top;
  const speed = opts.speed ?? 0.25;
  const dt = cfg.physicsDt * cfg.decimation;
  const tipR = tipRadius(asset, g.eeLink);
  const zPush = top + h; // tip centre at the block's mid-height
  const zSafe = top + 2 * h + 0.06;
  const standoff = h + tipR + 0.04; // 3 cm clear of the 'behind' boundary below: jitter there must not flip modes
  const ik = new DlsIk(g, J);
  const sc = cfg.control.actionScale;
  return (obs, rng) => {
    // Work in commanded joint space (q0 + scale·last action): the PD sags under gravity, so stepping the
    // *command* by the measured tip error acts like an integrator and removes the steady-state error.
    const q = new Float64Array(J);
    for (let i = 0; i < J; i++) q[i] = g.q0[i]! + sc * obs[oa + i]!;
    const eeCmd = g.kin.point(q, g.eeLink, g.eeOffset);
    const ee: Vec3 = [obs[oee]!, obs[oee + 1]!, obs[oee + 2]!];
    const bx = obs[ob]!, by = obs[ob + 1]!;
    const gx = obs[og]!, gy = obs[og + 1]!;
    let dx = gx - bx, dy = gy - by;
    const dist = Math.hypot(dx, dy);
    dx /= dist || 1;
    dy /= dist || 1;
    // Tip relative to the block, along (s) and across (l) the push line.
    const rx = ee[0] - bx, ry = ee[1] - by;
    const s = rx * dx + ry * dy;
    const l = -rx * dy + ry * dx;
    const pre: Vec3 = [bx - dx * standoff, by - dy * standoff, zPush];
    let tgt: Vec3;
    const pushing = s < -(h * 0.5) && s > -(standoff + 0.03) && Math.abs(l) < 0.025 && ee[2] < zPush + 0.02;
    if (pushing) {
      // Push: aim past the block centre along the goal line, which also steers out lateral error.
      const ahead = Math.min(dist, 0.06);
      tgt = [bx + dx * ahead, by + dy * ahead, zPush];
    } else {
      // A funnel onto the pre-push point: the closer the tip is in xy, the lower it may go; far from it (and so
      // possibly on the wrong side of the block) it travels at the safe height, over the block.
      const rho = Math.hypot(ee[0] - pre[0], ee[1] - pre[1]);
      const f = Math.min(1, Math.max(0, (rho - 0.01) / 0.03));
      const behind = s < -(1.42 * h + tipR); // clear of the block's back corners, whatever its yaw
      tgt = [pre[0], pre[1], behind ? zPush : zPush + f * (zSafe - zPush)];
      // Low and near the block, beside or in front of its back face: lift before moving sideways. Anywhere
      // behind it the way to the pre-push point is clear, so the tip corrects its error where it is instead of
      // lifting and retrying — one small error must not restart the whole approach (and an imitator must not
      // see "descend" and "lift" labels on neighbouring states, which it would average into hovering).
      if (s > -(h + tipR) && f > 0.5 && ee[2] < zSafe - 0.02 && Math.hypot(rx, ry) < standoff + 0.03) tgt = [ee[0] - dx * 0.01, ee[1] - dy * 0.01, zSafe];
    }
    // Limit the tip's step to speed·dt (slower while pushing).
    const vmax = (pushing ? 0.6 : 1) * speed * dt;
    const e: Vec3 = [tgt[0] - ee[0], tgt[1] - ee[1], tgt[2] - ee[2]];
    const en = Math.hypot(...e);
    const k = en > vmax ? vmax / en : 1;
    const goalTip: Vec3 = [eeCmd[0] + e[0] * k, eeCmd[1] + e[1] * k, eeCmd[2] + e[2] * k];
    const qd = ik.solve(q, goalTip);
    const a = new Float32Array(J);
    const clip = cfg.control.actionClip;
    for (let i = 0; i < J; i++) {
      let v = (qd[i]! - g.q0[i]!) / sc;
      if (opts.actionNoise && rng) v += rng.normal(0, opts.actionNoise);
      a[i] = Math.max(-clip, Math.min(clip, v));
    }
    return a;
  };
}

/** Lateral radius of the tool link's collision shapes (m), for the push standoff. */
function tipRadius(asset: RobotAsset, link: string): number {
  const l = asset.model.links.find((x) => x.name === link);
  const sphere = l?.collisions.find((s) => s.geometry.type === 'sphere');
  if (sphere && sphere.geometry.type === 'sphere') return sphere.geometry.radius;
  let r = 0;
  for (const s of l?.collisions ?? []) {
    const g = s.geometry;
    if (g.type === 'cylinder' || g.type === 'sphere') r = Math.max(r, g.radius);
    else if (g.type === 'box') r = Math.max(r, Math.max(...g.size) / 2);
  }
  return r || 0.02;
}

let defaultExpert: ((obs: ArrayLike<number>, rng?: Rng) => Float32Array) | null = null;

/** The scripted expert for the default z1-push config: obs → action. `rng` is only used if noise is configured. */
export function z1PushExpert(obs: ArrayLike<number>, rng?: Rng): Float32Array {
  defaultExpert ??= makeZ1PushExpert();
  return defaultExpert(obs, rng ?? Rng.seed(0));
}
