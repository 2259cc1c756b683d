import { describe, expect, it } from 'vitest';
import { Ingest } from '../../src/data/ingest.ts';
import { packSeries, unpackSeries } from '../../src/data/series.ts';
import { Track, type TrackMeta } from '../../src/app/track.ts';

const robot = {
  name: 'two',
  rootLink: 'base',
  actuatedJoints: ['j1'],
  links: [{ name: 'base', visuals: [], collisions: [] }, { name: 'arm', visuals: [], collisions: [] }],
  joints: [
    {
      name: 'j1',
      type: 'revolute' as const,
      parent: 'base',
      child: 'arm',
      origin: { xyz: [0, 0, 0.1] as [number, number, number], rpy: [0, 0, 0] as [number, number, number] },
      axis: [0, 0, 1] as [number, number, number],
      limits: { lower: -3, upper: 3, velocity: 1, effort: 1 },
      dynamics: { damping: 0, friction: 0 },
    },
  ],
  warnings: [],
  missingMeshes: [],
};

function track(msgs: [string, number, unknown][]): Track {
  const ing = new Ingest(['j1']);
  for (const [topic, t, d] of msgs) ing.add(topic, t, d);
  // Through the same binary packing the server uses.
  const { layout, buffer } = packSeries([...ing.series.values()]);
  const meta: TrackMeta = { id: '0', name: 'x', start: ing.start, end: ing.end, complete: true, meta: {}, robot, jointNames: ['j1'], layout, events: ing.events };
  return new Track(meta, unpackSeries(layout, buffer), ing.events);
}
const tf = (x: number, q: number[]) => ({ transforms: [{ child_frame_id: 'base', translation: { x, y: 0, z: 0.3 }, rotation: { x: q[0], y: q[1], z: q[2], w: q[3] } }] });

describe('Track sampling', () => {
  it('returns recorded poses exactly at samples and interpolates between them', () => {
    const s = Math.sin(0.25);
    const c = Math.cos(0.25);
    const tr = track([
      ['/tf', 0, tf(0, [0, 0, 0, 1])],
      ['/tf', 1, tf(1, [0, 0, s, c])],
    ]);
    expect(Array.from(tr.recordedPose('base', 1)!)).toEqual([1, 0, expect.closeTo(0.3, 6), 0, 0, expect.closeTo(s, 6), expect.closeTo(c, 6)]);
    const mid = tr.recordedPose('base', 0.5)!;
    expect(mid[0]).toBeCloseTo(0.5, 6);
    expect(Math.hypot(mid[3]!, mid[4]!, mid[5]!, mid[6]!)).toBeCloseTo(1, 9);
    expect(2 * Math.atan2(mid[5]!, mid[6]!)).toBeCloseTo(0.25, 2); // half of 0.5 rad about z
    expect(tr.recordedPose('elbow', 0.5)).toBeNull();
  });

  it('treats a zero quaternion as no pose and falls back to forward kinematics', () => {
    const tr = track([
      ['/tf', 0, tf(0, [0, 0, 0, 0])],
      ['/joint_states', 0, { position: [Math.PI / 2] }],
    ]);
    expect(tr.recordedPose('base', 0)).toBeNull();
    const p = tr.computePoses(0);
    // base at the origin, arm 0.1 m up and turned 90° about z
    expect(Array.from(p.subarray(0, 7))).toEqual([0, 0, 0, 0, 0, 0, 1]);
    expect(p[9]).toBeCloseTo(0.1, 9);
    expect(p[12]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(p[13]).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('recorded JSON nulls (NaN) read as NaN, not zero', () => {
    const tr = track([['/joint_states', 0, { position: [null] }]]);
    expect(tr.value('joint_pos', 'j1', 0)).toBeNaN();
  });
});

describe('Ingest scalar topics', () => {
  it('loop timing and velocity commands become one row per message; a recorded null reads NaN', () => {
    const ing = new Ingest(['j1']);
    ing.add('/loop_timing', 0.5, { lateness_us: 3, exec_us: 12, missed: 0 });
    ing.add('/loop_timing', 0.6, { lateness_us: null, exec_us: 15, missed: 1 });
    ing.add('/velocity_command', 0.5, { vx: 0.8, vy: 0, yaw_rate: 0.6 });
    const timing = ing.s('timing');
    expect(Array.from(timing.times())).toEqual([0.5, 0.6]);
    expect(Array.from(timing.values('exec_us'))).toEqual([12, 15]);
    expect(Array.from(timing.values('missed'))).toEqual([0, 1]);
    expect(timing.values('lateness_us')[0]).toBe(3);
    expect(timing.values('lateness_us')[1]).toBeNaN();
    const v = ing.s('vel_cmd');
    expect(Array.from(v.values('vx'))).toEqual([expect.closeTo(0.8, 6)]);
    expect(Array.from(v.values('yaw_rate'))).toEqual([expect.closeTo(0.6, 6)]);
    // Event topics become timestamped lists; unknown topics are only counted.
    ing.add('/safety', 0.7, { kind: 'estop' });
    ing.add('/domain_randomization', 0, { friction: 0.8 });
    ing.add('/nobody', 0.1, {});
    ing.add('/nobody', 0.2, {});
    expect(ing.events.safety).toEqual([{ t: 0.7, kind: 'estop' }]);
    expect(ing.events.dr).toEqual([{ t: 0, friction: 0.8 }]);
    expect(ing.events.episode).toEqual([]);
    expect(ing.other.get('/nobody')).toBe(2);
  });
});
