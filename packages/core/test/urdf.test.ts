import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseUrdf, UrdfError } from '../src/robot/urdf.ts';
import { loadUrdf as loadUrdfFromDisk } from '../src/robot/load.ts';
import { combineInertials, mergeFixedJoints, totalMass } from '../src/robot/merge.ts';
import { resolveUri } from '../src/robot/paths.ts';
import { XmlError } from '../src/robot/xml.ts';
import { loadRobotConfig } from '../src/robot/load-config.ts';
import { RobotConfigError } from '../src/robot/robot-config.ts';
import { CARTPOLE, GO1_URDF, S2R_ARM, S2R_GO1, sharedRobot, tmpDir, writeZ1WithStlCollisions, Z1_DIR, Z1_URDF } from '../../../test/helpers/robots.ts';


const minimal = (body: string) => `<?xml version="1.0"?>\n<robot name="t">\n${body}\n</robot>\n`;

describe('URDF: the real Go1', () => {
  const model = loadUrdfFromDisk(GO1_URDF);

  it('has 12 actuated joints in URDF order and floats', () => {
    expect(model.name).toBe('go1');
    expect(model.actuatedJoints).toHaveLength(12);
    expect(model.actuatedJoints.slice(0, 3)).toEqual(['FR_hip_joint', 'FR_thigh_joint', 'FR_calf_joint']);
    expect(model.rootLink).toBe('base');
    expect(model.fixedToWorld).toBeUndefined();
    const calf = model.joints.find((j) => j.name === 'FR_calf_joint')!;
    expect(calf.limits).toEqual({ lower: -2.818, upper: -0.888, velocity: 20.06, effort: 35.55 });
    expect(calf.axis).toEqual([0, 1, 0]);
  });

  it('ignores the commented-out world link and tags inside <gazebo>/<transmission>', () => {
    expect(model.links.find((l) => l.name === 'world')).toBeUndefined();
    // <joint> elements inside <transmission> are not joints.
    expect(new Set(model.joints.map((j) => j.name)).size).toBe(model.joints.length);
  });

  it('warns about the missing trunk.dae visual mesh and resolves package:// meshes', () => {
    expect(model.warnings.some((w) => w.includes('trunk.dae') && w.includes('"trunk"'))).toBe(true);
    const hip = model.links.find((l) => l.name === 'FR_hip')!;
    const g = hip.visuals[0]!.geometry;
    expect(g.type).toBe('mesh');
    if (g.type === 'mesh') {
      expect(g.path).toBe(sharedRobot('go1/meshes/hip.dae'));
      expect(g.exists).toBe(true);
    }
    const trunk = model.links.find((l) => l.name === 'trunk')!.visuals[0]!.geometry;
    expect(trunk.type === 'mesh' && trunk.exists).toBe(false);
  });

  it('merges fixed joints into 13 bodies and 13.10 kg with the feet and rotors folded in', () => {
    const merged = mergeFixedJoints(model);
    expect(merged.links).toHaveLength(13);
    expect(merged.joints.every((j) => j.type !== 'fixed')).toBe(true);
    expect(merged.actuatedJoints).toEqual(model.actuatedJoints);
    expect(totalMass(merged)).toBeCloseTo(totalMass(model), 9);
    expect(totalMass(merged)).toBeCloseTo(13.1, 1);
    const calf = merged.links.find((l) => l.name === 'FR_calf')!;
    expect(calf.merged).toContain('FR_foot');
    // The foot sphere moved into the calf frame at the foot's offset and remembers where it came from.
    const foot = calf.collisions.find((c) => c.link === 'FR_foot')!;
    expect(foot.geometry).toEqual({ type: 'sphere', radius: 0.02 });
    expect(foot.origin.xyz[2]).toBeCloseTo(-0.213, 9);
    // Calf + foot: 0.135862 + 0.06 kg; COM pulled toward the foot.
    expect(calf.inertial!.mass).toBeCloseTo(0.195862, 6);
    const expectedZ = (0.135862 * -0.116695 + 0.06 * -0.213) / 0.195862;
    expect(calf.inertial!.origin.xyz[2]).toBeCloseTo(expectedZ, 9);
    const base = merged.links.find((l) => l.name === 'base')!;
    expect(base.merged).toEqual(expect.arrayContaining(['trunk', 'imu_link', 'FR_hip_rotor']));
  });
});

describe('URDF: the real Z1', () => {
  it('parses the published file: 6 joints, pinned to world, one missing visual mesh warned', () => {
    const z1 = loadUrdfFromDisk(Z1_URDF);
    expect(z1.actuatedJoints).toEqual(['joint1', 'joint2', 'joint3', 'joint4', 'joint5', 'joint6']);
    expect(z1.fixedToWorld).toBe(true);
    expect(z1.rootLink).toBe('link00');
    expect(z1.warnings.filter((w) => w.includes('z1_Link01.dae'))).toHaveLength(1);
    expect(z1.joints.find((j) => j.name === 'joint2')!.dynamics).toEqual({ damping: 2, friction: 2 });
  });

  it('resolves STL collision meshes through package:// (explicit and found from the folder layout)', () => {
    const path = writeZ1WithStlCollisions();
    const z1 = loadUrdfFromDisk(path, { packageDirs: { z1_description: Z1_DIR } });
    const g = z1.links.find((l) => l.name === 'link03')!.collisions[0]!.geometry;
    expect(g).toMatchObject({ type: 'mesh', path: sharedRobot('z1/meshes/collision/z1_Link03.STL'), exists: true });
    // Copied into a ROS-style layout (pkg/urdf/x.urdf + pkg/meshes/...), no packageDirs needed.
    const root = tmpDir();
    mkdirSync(join(root, 'urdf'));
    mkdirSync(join(root, 'meshes/collision'), { recursive: true });
    copyFileSync(path, join(root, 'urdf/z1.urdf'));
    for (let d = 0; d <= 6; d++) copyFileSync(join(Z1_DIR, `meshes/collision/z1_Link0${d}.STL`), join(root, `meshes/collision/z1_Link0${d}.STL`));
    const copy = loadUrdfFromDisk(join(root, 'urdf/z1.urdf'));
    expect(copy.rootDir).toBe(root);
    expect(copy.links[0]!.collisions[0]!.geometry).toMatchObject({ path: join(root, 'meshes/collision/z1_Link00.STL'), exists: true });
    // Visual meshes are missing in the copy: warnings, never failures.
    expect(copy.warnings.length).toBeGreaterThan(0);
  });
});

describe('URDF errors name the file, the line and the element', () => {
  const dir = tmpDir();
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('malformed XML', () => {
    const p = write('bad.urdf', minimal('<link name="a">\n<visual>\n</link>'));
    expect(() => loadUrdfFromDisk(p)).toThrow(XmlError);
    expect(() => loadUrdfFromDisk(p)).toThrow(`${p}:5: closing tag </link> does not match <visual> opened on line 4`);
  });

  it('a bad number names the attribute, the element and the joint', () => {
    const p = write('num.urdf', minimal(`<link name="a"/><link name="b"/>
<joint name="j" type="revolute"><parent link="a"/><child link="b"/>
<limit effort="abc" lower="0" upper="1" velocity="1"/></joint>`));
    expect(() => loadUrdfFromDisk(p)).toThrow(UrdfError);
    expect(() => loadUrdfFromDisk(p)).toThrow(`${p}:5: joint "j": <limit effort="abc"> is not a finite number`);
    const p2 = write('xyz.urdf', minimal('<link name="a"><inertial><origin xyz="0 0"/><mass value="1"/></inertial></link>'));
    expect(() => loadUrdfFromDisk(p2)).toThrow(/xyz\.urdf:3: <inertial> of link "a": <origin xyz="0 0"> must be 3 finite numbers/);
  });

  it('a missing collision mesh is an error naming the mesh, the link and the file', () => {
    const p = write('mesh.urdf', minimal('<link name="a">\n<collision><geometry><mesh filename="meshes/nope.stl"/></geometry></collision></link>'));
    expect(() => loadUrdfFromDisk(p)).toThrow(/mesh\.urdf:4: <collision> of link "a": collision mesh "meshes\/nope\.stl" not found/);
  });

  it('a missing visual mesh is only a warning', () => {
    const p = write('vis.urdf', minimal('<link name="a">\n<visual><geometry><mesh filename="package://x/nope.dae"/></geometry></visual></link>'));
    const m = loadUrdfFromDisk(p);
    expect(m.warnings).toEqual([expect.stringContaining('visual mesh "package://x/nope.dae" of link "a" not found')]);
  });

  it('structure: unknown links, two roots, duplicates, wrong root element, missing file', () => {
    const unknown = write('u.urdf', minimal('<link name="a"/>\n<joint name="j" type="fixed"><parent link="a"/><child link="zz"/></joint>'));
    expect(() => loadUrdfFromDisk(unknown)).toThrow(/u\.urdf:4: joint "j": child link "zz" is not defined/);
    const roots = write('r.urdf', minimal('<link name="a"/><link name="b"/>'));
    expect(() => loadUrdfFromDisk(roots)).toThrow(/links "a", "b" have no parent joint/);
    const dup = write('d.urdf', minimal('<link name="a"/>\n<link name="a"/>'));
    expect(() => loadUrdfFromDisk(dup)).toThrow(/d\.urdf:4: duplicate link name "a" \(first on line 3\)/);
    const notRobot = write('n.urdf', '<model name="x"/>');
    expect(() => loadUrdfFromDisk(notRobot)).toThrow(/n\.urdf:1: root element is <model>, expected <robot>/);
    const type = write('t.urdf', minimal('<link name="a"/><link name="b"/>\n<joint name="j" type="hinge"><parent link="a"/><child link="b"/></joint>'));
    expect(() => loadUrdfFromDisk(type)).toThrow(/t\.urdf:4: joint "j": unknown type "hinge"/);
    expect(() => loadUrdfFromDisk(join(dir, 'missing.urdf'))).toThrow(/missing\.urdf: file not found/);
  });

  it('a cycle is reported', () => {
    const p = write('c.urdf', minimal(`<link name="r"/><link name="a"/><link name="b"/>
<joint name="j0" type="fixed"><parent link="r"/><child link="a"/></joint>
<joint name="j1" type="fixed"><parent link="a"/><child link="b"/></joint>
<joint name="j2" type="fixed"><parent link="b"/><child link="a"/></joint>`));
    expect(() => loadUrdfFromDisk(p)).toThrow(/already has parent joint|cycle/);
  });
});

describe('URDF details', () => {
  it('reads every joint type, limits, dynamics, materials and geometry', () => {
    const m = parseUrdf(
      minimal(`<material name="red"><color rgba="1 0 0 1"/></material>
<link name="base"><visual><geometry><box size="1 2 3"/></geometry><material name="red"/></visual></link>
<link name="p"><collision><origin xyz="0 0 0.5" rpy="0 1.5707963 0"/><geometry><cylinder radius="0.1" length="1"/></geometry></collision>
  <inertial><mass value="2"/><inertia ixx="1" iyy="2" izz="3" ixy="0" ixz="0" iyz="0"/></inertial></link>
<link name="c"/>
<joint name="slide" type="prismatic"><parent link="base"/><child link="p"/><axis xyz="0 0 2"/><limit lower="-1" upper="1" effort="50" velocity="2"/><dynamics damping="0.3"/></joint>
<joint name="spin" type="continuous"><parent link="p"/><child link="c"/><limit effort="5" velocity="9"/></joint>`),
      { source: '/tmp/x/robot.urdf', exists: () => true },
    );
    expect(m.actuatedJoints).toEqual(['slide', 'spin']);
    const slide = m.joints[0]!;
    expect(slide.axis).toEqual([0, 0, 1]); // normalised
    expect(slide.limits).toEqual({ lower: -1, upper: 1, velocity: 2, effort: 50 });
    expect(slide.dynamics).toEqual({ damping: 0.3, friction: 0 });
    const spin = m.joints[1]!;
    expect(spin.limits.lower).toBe(-Infinity);
    expect(spin.limits.upper).toBe(Infinity);
    expect(m.links[0]!.visuals[0]!.rgba).toEqual([1, 0, 0, 1]);
    expect(m.links[1]!.collisions[0]!.origin.rpy[1]).toBeCloseTo(1.5707963, 7);
    expect(m.rootDir).toBe('/tmp/x');
  });

  it('resolves package://, relative and file:// URIs', () => {
    const have = new Set(['/ws/src/my_robot/meshes/a.stl', '/ws/src/my_robot/urdf/b.stl', '/abs/c.stl']);
    const exists = (p: string) => have.has(p);
    const urdfPath = '/ws/src/my_robot/urdf/robot.urdf';
    expect(resolveUri('package://my_robot/meshes/a.stl', { urdfPath, exists }).path).toBe('/ws/src/my_robot/meshes/a.stl');
    expect(resolveUri('package://other_pkg/meshes/a.stl', { urdfPath, exists }).path).toBe('/ws/src/my_robot/meshes/a.stl');
    expect(resolveUri('package://my_robot/meshes/a.stl', { urdfPath, exists, packageDirs: { my_robot: '/elsewhere' } }).exists).toBe(true);
    expect(resolveUri('b.stl', { urdfPath, exists }).path).toBe('/ws/src/my_robot/urdf/b.stl');
    expect(resolveUri('../meshes/a.stl', { urdfPath, exists }).path).toBe('/ws/src/my_robot/meshes/a.stl');
    expect(resolveUri('file:///abs/c.stl', { urdfPath, exists })).toMatchObject({ path: '/abs/c.stl', exists: true });
    expect(resolveUri('package://x/missing.stl', { urdfPath, exists })).toMatchObject({ path: '/ws/src/my_robot/missing.stl', exists: false });
  });

  it('combines inertias with the parallel-axis theorem', () => {
    // Two 1 kg point masses at x = ±1 m: total 2 kg at the origin, Iyy = Izz = 2 kg·m², Ixx = 0.
    const point = (x: number) => ({
      inertial: { mass: 1, origin: { xyz: [x, 0, 0] as [number, number, number], rpy: [0, 0, 0] as [number, number, number] }, inertia: { ixx: 0, iyy: 0, izz: 0, ixy: 0, ixz: 0, iyz: 0 } },
      x: { p: [0, 0, 0] as [number, number, number], q: [0, 0, 0, 1] as [number, number, number, number] },
    });
    const c = combineInertials([point(1), point(-1)])!;
    expect(c.mass).toBe(2);
    expect(c.origin.xyz).toEqual([0, 0, 0]);
    expect(c.inertia.ixx).toBeCloseTo(0, 12);
    expect(c.inertia.iyy).toBeCloseTo(2, 12);
    expect(c.inertia.izz).toBeCloseTo(2, 12);
    // A rotated rod inertia: a thin rod along z (Izz = 0) rotated 90° about y lies along x.
    const rod = {
      inertial: { mass: 1, origin: { xyz: [0, 0, 0] as [number, number, number], rpy: [0, Math.PI / 2, 0] as [number, number, number] }, inertia: { ixx: 1, iyy: 1, izz: 0, ixy: 0, ixz: 0, iyz: 0 } },
      x: { p: [0, 0, 0] as [number, number, number], q: [0, 0, 0, 1] as [number, number, number, number] },
    };
    const r = combineInertials([rod])!;
    expect(r.inertia.ixx).toBeCloseTo(0, 12);
    expect(r.inertia.iyy).toBeCloseTo(1, 12);
    expect(r.inertia.izz).toBeCloseTo(1, 12);
  });
});

describe("the project's own robots", () => {
  it('s2r-go1 is Go1-class: 12 joints with Go1 names and limits, 13.1 kg, foot links, no warnings', () => {
    const m = loadUrdfFromDisk(S2R_GO1);
    expect(m.warnings).toEqual([]);
    expect(m.actuatedJoints).toEqual(loadUrdfFromDisk(GO1_URDF).actuatedJoints);
    expect(totalMass(m)).toBeCloseTo(13.1, 2);
    expect(m.links.map((l) => l.name)).toEqual(expect.arrayContaining(['FR_foot', 'FL_foot', 'RR_foot', 'RL_foot']));
    const cfg = loadRobotConfig(m);
    expect(cfg.kp[0]).toBe(20);
    expect(cfg.kd[0]).toBe(0.5);
    expect(Array.from(cfg.defaultJointPos)).toEqual([-0.1, 0.8, -1.5, 0.1, 0.8, -1.5, -0.1, 1.0, -1.5, 0.1, 1.0, -1.5]);
    expect(cfg.footLinks).toEqual(['FR_foot', 'FL_foot', 'RR_foot', 'RL_foot']);
  });

  it('cartpole and s2r-arm parse with fixed bases from their s2r.json', () => {
    const cp = loadUrdfFromDisk(CARTPOLE);
    expect(cp.actuatedJoints).toEqual(['slider', 'hinge']);
    expect(cp.joints.find((j) => j.name === 'slider')!.type).toBe('prismatic');
    expect(loadRobotConfig(cp).fixedBase).toBe(true);
    const arm = loadUrdfFromDisk(S2R_ARM);
    expect(arm.actuatedJoints).toHaveLength(6);
    expect(arm.warnings).toEqual([]);
    expect(loadRobotConfig(arm)).toMatchObject({ fixedBase: true, actuator: 'motor' });
  });

  it('config errors name the file and the unknown joint or key', () => {
    const dir = tmpDir();
    const m = loadUrdfFromDisk(S2R_GO1);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ defaultJointPos: { FR_knee: 1 } }));
    expect(() => loadRobotConfig(m, bad)).toThrow(RobotConfigError);
    expect(() => loadRobotConfig(m, bad)).toThrow(/bad\.json: "defaultJointPos" names joint "FR_knee"/);
    writeFileSync(bad, JSON.stringify({ kpp: 1 }));
    expect(() => loadRobotConfig(m, bad)).toThrow(/bad\.json: unknown key "kpp"/);
    writeFileSync(bad, JSON.stringify({ defaultJointPos: { FR_calf_joint: 0 } }));
    expect(() => loadRobotConfig(m, bad)).toThrow(/outside its limits/);
    writeFileSync(bad, '{ nope');
    expect(() => loadRobotConfig(m, bad)).toThrow(/bad\.json: not valid JSON/);
    // No config: zero pose clamped into the limits (the calf range excludes 0).
    const go1 = loadUrdfFromDisk(GO1_URDF);
    expect(loadRobotConfig(go1).defaultJointPos[2]).toBe(-0.888);
  });
});
