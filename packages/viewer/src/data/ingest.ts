/**
 * Turns recorded messages (the JSON bodies of the s2r topics) into columnar series and event lists.
 * Shared by the server (whole files) and the browser (live mode), so both see identical data.
 *
 * Series names and fields:
 *   joint_pos / joint_vel / joint_eff   fields = joint names                  (/joint_states)
 *   cmd_pos / cmd_vel / cmd_eff         fields = joint names                  (/command)
 *   action                              fields = a0..aN                       (/action)
 *   reward                              fields = term names (+ "total")       (/reward_terms)
 *   timing                              lateness_us, exec_us, missed          (/loop_timing)
 *   tf:<frame>                          x, y, z, qx, qy, qz, qw               (/tf, world poses, per frame)
 *   contacts                            "<link>/in|fx|fy|fz|f"                (/contacts)
 *   vel_cmd                             vx, vy, yaw_rate                      (/velocity_command)
 * Events (sparse, kept as JSON): safety, episode, dr, scene, plus a count of unknown topics.
 */
import { Series } from './series.ts';

export interface EventRec {
  t: number;
  [k: string]: unknown;
}

export interface Events {
  safety: EventRec[];
  episode: EventRec[];
  dr: EventRec[];
  scene: EventRec[];
}

const TF_FIELDS = ['x', 'y', 'z', 'qx', 'qy', 'qz', 'qw'] as const;

/** Topics kept as timestamped event lists, not series. */
const EVENT_TOPICS: Record<string, keyof Events | undefined> = { '/safety': 'safety', '/episode': 'episode', '/domain_randomization': 'dr', '/scene': 'scene' };

export class Ingest {
  readonly series = new Map<string, Series>();
  readonly events: Events = { safety: [], episode: [], dr: [], scene: [] };
  readonly other = new Map<string, number>();
  /** Default joint order from the channel metadata / the robot. */
  jointNames: string[];
  start = Infinity;
  end = -Infinity;

  constructor(jointNames: string[] = []) {
    this.jointNames = jointNames;
  }

  s(name: string): Series {
    let s = this.series.get(name);
    if (!s) {
      s = new Series(name);
      this.series.set(name, s);
    }
    return s;
  }

  add(topic: string, t: number, d: any): void {
    if (t < this.start) this.start = t;
    if (t > this.end) this.end = t;
    switch (topic) {
      case '/joint_states': {
        const names: string[] = d.name ?? this.jointNames;
        this.#vec('joint_pos', t, names, d.position);
        if (d.velocity) this.#vec('joint_vel', t, names, d.velocity);
        if (d.effort) this.#vec('joint_eff', t, names, d.effort);
        break;
      }
      case '/command': {
        const names: string[] = d.name ?? this.jointNames;
        if (d.position) this.#vec('cmd_pos', t, names, d.position);
        if (d.velocity) this.#vec('cmd_vel', t, names, d.velocity);
        if (d.effort) this.#vec('cmd_eff', t, names, d.effort);
        break;
      }
      case '/action': {
        const a: number[] = d.action ?? [];
        const s = this.s('action');
        const r = s.push(t);
        for (let i = 0; i < a.length; i++) s.set(r, `a${i}`, num(a[i]));
        break;
      }
      case '/reward_terms': {
        const s = this.s('reward');
        const r = s.push(t);
        for (const k in d.terms ?? {}) s.set(r, k, num(d.terms[k]));
        if (typeof d.total === 'number') s.set(r, 'total', d.total);
        break;
      }
      case '/loop_timing':
        this.#fields('timing', t, d, ['lateness_us', 'exec_us', 'missed']);
        break;
      case '/tf': {
        // One series per frame: frames may be recorded at different rates (base at 500 Hz, links at 50 Hz).
        for (const tr of d.transforms ?? []) {
          const s = this.s(`tf:${tr.child_frame_id as string}`);
          const r = s.push(tr.timestamp ? tr.timestamp.sec + tr.timestamp.nsec * 1e-9 : t);
          const p = tr.translation;
          const q = tr.rotation;
          s.set(r, 'x', num(p.x));
          s.set(r, 'y', num(p.y));
          s.set(r, 'z', num(p.z));
          s.set(r, 'qx', num(q.x));
          s.set(r, 'qy', num(q.y));
          s.set(r, 'qz', num(q.z));
          s.set(r, 'qw', num(q.w));
        }
        break;
      }
      case '/contacts': {
        const s = this.s('contacts');
        const r = s.push(t);
        for (const c of d.contacts ?? []) {
          const l = c.link as string;
          s.set(r, `${l}/in`, c.in_contact ? 1 : 0);
          if (Array.isArray(c.force)) {
            s.set(r, `${l}/fx`, num(c.force[0]));
            s.set(r, `${l}/fy`, num(c.force[1]));
            s.set(r, `${l}/fz`, num(c.force[2]));
            s.set(r, `${l}/f`, Math.hypot(num(c.force[0]), num(c.force[1]), num(c.force[2])));
          } else s.set(r, `${l}/f`, num(c.force));
        }
        break;
      }
      case '/velocity_command':
        this.#fields('vel_cmd', t, d, ['vx', 'vy', 'yaw_rate']);
        break;
      default: {
        const ev = EVENT_TOPICS[topic];
        if (ev) this.events[ev].push({ t, ...d });
        else this.other.set(topic, (this.other.get(topic) ?? 0) + 1);
      }
    }
  }

  /** One row of `series` at t from the named numeric fields of a message. */
  #fields(series: string, t: number, d: any, keys: readonly string[]): void {
    const s = this.s(series);
    const r = s.push(t);
    for (const k of keys) s.set(r, k, num(d[k]));
  }

  #vec(series: string, t: number, names: string[], v: (number | null)[]): void {
    const s = this.s(series);
    const r = s.push(t);
    for (let i = 0; i < v.length; i++) s.set(r, names[i] ?? `j${i}`, num(v[i]));
  }
}

/** JSON null (a recorded NaN/Inf) → NaN. */
function num(x: unknown): number {
  return typeof x === 'number' ? x : Number.NaN;
}

export { TF_FIELDS };
