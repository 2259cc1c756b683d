/**
 * createWorld: one Rapier world (z up) with a ground and any number of robots. Envs use one world per env so
 * that an env's results never depend on which other robots share its world; worlds are cheap to build and
 * `free()` releases every WASM object they own.
 */
import type { RobotModel, Vec3 } from '@s2r/core';
import { loadRapier, type Rapier } from './rapier.ts';
import { RapierRobot } from './robot-sim.ts';
import { GROUP_GROUND, groups, type WorldHooks } from './robot-common.ts';
import type { AddRobotOptions, GroundSpec, RapierFlavor, SimWorld, WorldOptions } from './types.ts';

type RWorld = InstanceType<Rapier['World']>;

/** Kept for callers that imported it; the options now live in the shared contract. */
export type AddRobotOptionsExt = AddRobotOptions;

export interface RapierSimWorld extends SimWorld {
  readonly rapier: Rapier;
  readonly world: RWorld;
  readonly robots: readonly RapierRobot[];
  addRobot(model: RobotModel, options?: AddRobotOptionsExt): RapierRobot;
  /** Gravity vector (m/s²). */
  gravity(): Vec3;
  /** Height of the ground (m) under (x, y): 0 for a plane, interpolated for a heightfield. */
  groundHeight(x: number, y: number): number;
  /** Simulated time since creation (s). */
  readonly time: number;
}

export async function createWorld(opts: WorldOptions): Promise<RapierSimWorld> {
  if (!(opts.dt > 0 && opts.dt < 1)) throw new RangeError(`createWorld: dt must be in (0, 1) s, got ${opts.dt}`);
  const R = await loadRapier(opts.flavor ?? 'simd');
  return new World(R, opts);
}

class World implements RapierSimWorld {
  readonly dt: number;
  readonly rapier: Rapier;
  readonly world: RWorld;
  readonly robots: RapierRobot[] = [];
  time = 0;
  private readonly events: InstanceType<Rapier['EventQueue']>;
  private readonly slots = new Map<number, { arr: Float32Array; idx: number }>();
  private g: Vec3;
  private gDir: Vec3;
  private freed = false;
  /** True once the event queue has been drained after the last step. */
  private drained = true;
  private readonly hooks: WorldHooks;
  private readonly ground: GroundSpec;
  readonly flavor: RapierFlavor;

  constructor(R: Rapier, opts: WorldOptions) {
    this.rapier = R;
    this.flavor = opts.flavor ?? 'simd';
    this.dt = opts.dt;
    this.g = [...(opts.gravity ?? [0, 0, -9.81])] as Vec3;
    this.gDir = unit(this.g);
    this.world = new R.World({ x: this.g[0], y: this.g[1], z: this.g[2] });
    this.world.timestep = opts.dt;
    if (opts.solverIterations !== undefined) this.world.numSolverIterations = opts.solverIterations;
    if (opts.internalPgsIterations !== undefined) this.world.numInternalPgsIterations = opts.internalPgsIterations;
    // Not auto-draining: rapier3d-simd-compat 0.20 does not clear an auto-drain queue, so events would pile up
    // across steps. step() clears it unless contacts were drained since the previous step.
    this.events = new R.EventQueue(false);
    this.ground = opts.ground ?? { type: 'plane' };
    this.addGround(this.ground);
    this.hooks = {
      R,
      dt: opts.dt,
      world: this.world,
      gravityDir: () => this.gDir,
      registerCollider: (h, arr, idx) => this.slots.set(h, { arr, idx }),
      unregisterCollider: (h) => this.slots.delete(h),
      drainContacts: () => this.drainContacts(),
    };
  }

  private addGround(g: GroundSpec): void {
    const R = this.rapier;
    if (g.type === 'none') return;
    let desc;
    if (g.type === 'plane') {
      // A 1 km × 1 km slab with its top at z = 0 rather than a half-space: a half-space's AABB is infinite, so
      // Rapier runs the narrow phase between it and every robot collider each step (39 on the Go1); the slab only
      // pairs with colliders that come near the ground. Measured here: 48 → 40 µs CPU per Go1 step.
      desc = R.ColliderDesc.cuboid(PLANE_HALF_EXTENT_M, PLANE_HALF_EXTENT_M, 1).setTranslation(0, 0, -1);
    } else if (g.type === 'heightfield') {
      const { heights, rows, cols, spacing } = g;
      if (!heights || !rows || !cols || !spacing || rows < 2 || cols < 2 || heights.length !== rows * cols || !(spacing > 0)) {
        throw new Error(
          `createWorld: heightfield needs rows ≥ 2, cols ≥ 2, spacing > 0 and rows×cols heights ` +
            `(got rows ${rows}, cols ${cols}, spacing ${spacing}, ${heights?.length ?? 0} heights)`,
        );
      }
      // Ours: heights[r·cols + c] at x = (r − (rows−1)/2)·spacing, y = (c − (cols−1)/2)·spacing (rows along +x,
      // as legged_gym's height_field_raw[x][y]). Rapier: a y-up field over local x (columns) and z (rows),
      // column-major. Rotating the collider by +90° about x maps local y → world z and local z → world −y,
      // so Rapier row i holds our column c = cols−1−i and Rapier column j holds our row r = j.
      const nr = cols, nc = rows;
      const hm = new Float32Array(nr * nc);
      for (let j = 0; j < nc; j++) for (let i = 0; i < nr; i++) hm[i + j * nr] = heights[j * cols + (cols - 1 - i)]!;
      desc = R.ColliderDesc.heightfield(nr - 1, nc - 1, hm, { x: (rows - 1) * spacing, y: 1, z: (cols - 1) * spacing });
      desc.setRotation({ x: Math.SQRT1_2, y: 0, z: 0, w: Math.SQRT1_2 });
    } else {
      throw new Error(`createWorld: unknown ground type "${(g as { type: string }).type}"`);
    }
    desc.setFriction(g.friction ?? 1).setRestitution(g.restitution ?? 0).setCollisionGroups(groups(GROUP_GROUND, 0xffff));
    this.world.createCollider(desc);
  }

  addRobot(model: RobotModel, options: AddRobotOptionsExt = {}): RapierRobot {
    this.assertAlive();
    const robot = new RapierRobot(this.hooks, model, options);
    this.robots.push(robot);
    return robot;
  }

  setGravity(g: Vec3): void {
    this.g = [...g] as Vec3;
    this.gDir = unit(this.g);
    this.world.gravity = { x: g[0], y: g[1], z: g[2] };
  }

  gravity(): Vec3 {
    return [...this.g] as Vec3;
  }

  groundHeight(x: number, y: number): number {
    const g = this.ground;
    if (g.type !== 'heightfield') return 0;
    const { heights, rows, cols, spacing } = g as Required<GroundSpec>;
    const fr = x / spacing + (rows - 1) / 2;
    const fc = y / spacing + (cols - 1) / 2;
    const r0 = Math.max(0, Math.min(rows - 2, Math.floor(fr)));
    const c0 = Math.max(0, Math.min(cols - 2, Math.floor(fc)));
    const tr = Math.max(0, Math.min(1, fr - r0));
    const tc = Math.max(0, Math.min(1, fc - c0));
    const h = (r: number, c: number) => heights[r * cols + c]!;
    return (1 - tr) * ((1 - tc) * h(r0, c0) + tc * h(r0, c0 + 1)) + tr * ((1 - tc) * h(r0 + 1, c0) + tc * h(r0 + 1, c0 + 1));
  }

  step(): void {
    this.assertAlive();
    const robots = this.robots;
    for (let i = 0; i < robots.length; i++) robots[i]!.applyActuation();
    if (!this.drained) {
      // clear() empties the queue on the 0.21 builds; the simd 0.20 build ignores it for contact-force events,
      // so those are drained (and dropped) instead.
      if (this.flavor === 'simd') this.events.drainContactForceEvents(noop);
      else this.events.clear();
    }
    this.drained = false;
    this.world.step(this.events);
    for (let i = 0; i < robots.length; i++) robots[i]!.readState();
    this.time += this.dt;
  }

  private drainContacts(): void {
    this.drained = true;
    for (const r of this.robots) {
      (r as unknown as { contactForce: Float32Array }).contactForce.fill(0);
      r.markContactsFresh();
    }
    const slots = this.slots;
    // rapier3d-simd-compat 0.20 reports contact forces scaled by (n+1)/n for n solver iterations (measured
    // here: a 1 kg ball at rest reads 19.62 N with n=1, 12.26 N with n=4); the 0.21 builds are exact.
    const n = this.world.numSolverIterations;
    const scale = this.flavor === 'simd' ? n / (n + 1) : 1;
    this.events.drainContactForceEvents((ev) => {
      const f = ev.totalForceMagnitude() * scale;
      const a = slots.get(ev.collider1());
      if (a) a.arr[a.idx]! += f;
      const b = slots.get(ev.collider2());
      if (b) b.arr[b.idx]! += f;
    });
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    for (const r of this.robots) r.release();
    this.slots.clear();
    this.events.free();
    this.world.free();
  }

  private assertAlive(): void {
    if (this.freed) throw new Error('SimWorld used after free()');
  }
}

/** Half-size (m) of the flat ground slab. */
const PLANE_HALF_EXTENT_M = 500;

function noop(): void {}

function unit(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]);
  return n > 0 ? [v[0] / n, v[1] / n, v[2] / n] : [0, 0, -1];
}
