/**
 * The guides in docs/ cannot rot: every shell command in them runs here.
 *
 * ## Marker convention (in the guides' Markdown)
 * Every fenced block whose language is `sh`, `bash`, `shell` or `console` must be preceded (blank lines
 * allowed in between) by exactly one HTML comment, invisible on GitHub:
 *
 *   <!-- test -->                       run it; it must exit 0
 *   <!-- test: opt opt=value opt="v" -->  run it with options:
 *       expect="REGEX"    stdout+stderr must match (repeatable: all must match)
 *       exit=N            expected exit code instead of 0 (e.g. 1 for a documented error, 3 for "unstable")
 *       bg                start it in the background for the rest of the guide (socat, an emulator, a
 *                         server); its process group gets SIGTERM (then SIGKILL) after the guide's last block
 *       wait="REGEX"      with bg: do not go on until its output matches
 *       stop-on="REGEX"   run it until its output matches, then press Ctrl-C (SIGINT to its process group) and
 *                         expect a clean exit (code `exit`, default 0) — for `npm start`, `s2r view`
 *       timeout=S         seconds before it is killed and the test fails (default 150)
 *       needs=rosbridge   the test provides a rosbridge v2 server with a simulated ROS Go1 behind it and sets
 *                         ROSBRIDGE_URL (a real ROS 2 graph is not available in CI)
 *   <!-- not tested: REASON -->         shown to users, never run (installs, `npm test` itself, hours of
 *                                       training); use only when a smaller tested variant sits in a guide
 *
 * A shell block without a marker fails the test, so a new command cannot slip in untested by accident.
 *
 * ## How blocks run
 * - One test per guide; its blocks run in order, each as `bash -e -o pipefail -c BLOCK` in its own process group.
 * - cwd is a fresh scratch workspace per guide: symlinks to the repo's package.json, node_modules, packages,
 *   hardware, docs and tsconfig.json, so `npx s2r …`, `npm start` and repo-relative paths work exactly as in a
 *   checkout, while everything the guide writes (runs/, out/, *.mcap, copies) lands in the scratch folder.
 *   Files a guide creates are shared by its later blocks; shell variables are not (each block is its own shell).
 * - Small inputs through the environment variables the guides mention (defaults in `${VAR:-default}` are what a
 *   user gets): S2R_DOC_SECONDS (walking/deploy seconds), S2R_DOC_EPISODES, S2R_DOC_STEPS (training env steps),
 *   S2R_DOC_MINUTES (training minutes for `npm start -- --train`), S2R_DOC_PORT=0 (any free port),
 *   S2R_DOC_LIVE_PORT (a free port picked here: the live viewer's URL must be known to the next block).
 * - POLICY: the guides default to the committed Go1 policy, hardware/policies/go1-flat/policy.json. If it is not
 *   in the checkout, a tiny (untrained) go1-flat policy is trained once here and POLICY points to it, so the
 *   deploy/view guides still exercise their commands; the quick start's plain `npm start` then fails, honestly.
 * - Guides run two at a time (2-core machine); the whole file targets ≲ 3 minutes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allFlagTokens, cliFlags, extractBlocks, headingAnchors, parseMarkerOptions, relativeLinks, type DocBlock } from './helpers/docs-blocks.ts';
import { runGuide } from './helpers/docs-runner.ts';

const REPO = resolve(import.meta.dirname, '..');
const DOCS = join(REPO, 'docs');
const COMMITTED_POLICY = join(REPO, 'hardware/policies/go1-flat/policy.json');
const LINKED = ['package.json', 'node_modules', 'packages', 'hardware', 'docs', 'tsconfig.json'];

const guides = readdirSync(DOCS).filter((f) => f.endsWith('.md')).sort();
const blocksOf = new Map<string, DocBlock[]>(guides.map((g) => [g, extractBlocks(join(DOCS, g))]));
const needsRos = (g: string) => blocksOf.get(g)!.some((b) => b.options?.needs.includes('rosbridge'));

const root = mkdtempSync(join(tmpdir(), 's2r-docs-'));
const baseEnv: NodeJS.ProcessEnv = {
  ...process.env,
  S2R_DOC_SECONDS: '2',
  S2R_DOC_EPISODES: '2',
  S2R_DOC_STEPS: '1600',
  S2R_DOC_MINUTES: '0.1',
  S2R_DOC_PORT: '0',
  FORCE_COLOR: '0',
  NO_COLOR: '1',
  npm_config_update_notifier: 'false',
};

function workspace(name: string): string {
  const dir = join(root, name.replace(/\.md$/, ''));
  mkdirSync(dir, { recursive: true });
  for (const f of LINKED) symlinkSync(join(REPO, f), join(dir, f));
  return dir;
}

/** Two guides at a time: the machine has 2 cores and the deploys keep real-time loops. */
let slots = 2;
const waiting: (() => void)[] = [];
async function withSlot<T>(f: () => Promise<T>): Promise<T> {
  while (slots === 0) await new Promise<void>((r) => waiting.push(r));
  slots--;
  try {
    return await f();
  } finally {
    slots++;
    waiting.shift()?.();
  }
}

/** A TCP port that was free a moment ago (for the live viewer, whose URL a later block must know). */
async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

beforeAll(async () => {
  baseEnv.S2R_DOC_LIVE_PORT = String(await freePort());
  // The serial guide builds the emulator with make; socat must exist for its pty pair.
  expect(spawnSync('socat', ['-V']).status, 'socat is required (apt-get install socat)').toBe(0);
  if (!existsSync(COMMITTED_POLICY)) {
    // No committed policy yet: train a tiny go1-flat policy (same artifact format, does not walk) for the guides.
    const out = join(root, 'go1-tiny');
    const r = spawnSync(process.execPath, [join(REPO, 'packages/cli/bin/s2r.mjs'), 'train', 'go1-flat', '--steps', '300', '--envs', '4', '--workers', '0',
      '--set', 'stepsPerEnv=8', '--set', 'actorHidden=[32,32]', '--set', 'criticHidden=[32,32]', '--out', out, '--progress', 'none'], { cwd: REPO, encoding: 'utf8' });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    baseEnv.POLICY = join(out, 'policy.json');
  }
}, 120_000);

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('docs: marker convention', () => {
  it('finds the guides', () => {
    expect(guides.length).toBeGreaterThanOrEqual(8);
  });

  it('every shell block in every guide is marked test or not-tested, and every guide runs at least one', () => {
    const unmarked = guides.flatMap((g) => blocksOf.get(g)!.filter((b) => b.unmarked).map((b) => `${g}:${b.line}`));
    expect(unmarked).toEqual([]);
    for (const g of guides.filter((x) => x !== 'README.md')) expect(blocksOf.get(g)!.filter((b) => b.options).length, `${g} has no tested block`).toBeGreaterThan(0);
  });

  it('every `npx s2r CMD --flag` in the guides, tested or not, is a flag that CMD --help documents', () => {
    const uses = guides.flatMap((g) => blocksOf.get(g)!.flatMap((b) => cliFlags(b).map((u) => ({ ...u, where: `${g}:${u.line}` }))));
    expect(uses.length).toBeGreaterThan(20);
    const help = new Map<string, string>();
    const unknown: string[] = [];
    for (const u of uses) {
      if (!help.has(u.cmd)) {
        const r = spawnSync(process.execPath, [join(REPO, 'packages/cli/bin/s2r.mjs'), u.cmd, '--help'], { cwd: REPO, encoding: 'utf8' });
        expect(r.status, `s2r ${u.cmd} --help: ${r.stderr}`).toBe(0);
        help.set(u.cmd, r.stdout + r.stderr);
      }
      if (u.flag !== '--help' && !new RegExp(`(^|[\\s,(\\[])${u.flag}(?![a-z-])`, 'm').test(help.get(u.cmd)!)) unknown.push(`${u.where}: s2r ${u.cmd} ${u.flag}`);
    }
    expect(unknown).toEqual([]);
  }, 60_000);

  it('every --flag mentioned anywhere in the guides (prose and tables too) exists in some s2r command or the emulator', () => {
    const cmds = ['robot', 'tasks', 'train', 'eval', 'collect', 'deploy', 'export', 'sim2sim', 'view', 'main'];
    let help = cmds.map((c) => spawnSync(process.execPath, [join(REPO, 'packages/cli/bin/s2r.mjs'), c, '--help'], { cwd: REPO, encoding: 'utf8' }).stdout).join('\n');
    // The firmware emulator's flags (deploy-serial.md); built by its own Makefile, which the serial guide runs anyway.
    expect(spawnSync('make', ['-C', 'hardware/firmware'], { cwd: REPO }).status).toBe(0);
    const emu = spawnSync(join(REPO, 'hardware/firmware/build/s2r-emu'), ['--help'], { encoding: 'utf8' });
    help += emu.stdout + emu.stderr;
    const OTHER_TOOLS = new Set(['--set-state', '--once']); // ros2 control / ros2 topic, in deploy-ros.md
    const unknown = guides.flatMap((g) =>
      allFlagTokens(join(DOCS, g))
        .filter((t) => !OTHER_TOOLS.has(t.flag) && !new RegExp(`(^|[\\s,(\\[])${t.flag}(?![a-z-])`, 'm').test(help))
        .map((t) => `${g}:${t.line}: ${t.flag}`),
    );
    expect(unknown).toEqual([]);
  }, 60_000);

  it('relative links in the guides point at files (and headings) that exist', () => {
    const broken: string[] = [];
    for (const g of guides) {
      for (const { target, line } of relativeLinks(join(DOCS, g))) {
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const file = path ? resolve(DOCS, path) : join(DOCS, g);
        if (!existsSync(file)) broken.push(`${g}:${line}: ${target} (no ${file})`);
        else if (anchor && file.endsWith('.md') && !headingAnchors(file).has(anchor)) broken.push(`${g}:${line}: ${target} (no heading #${anchor} in ${file})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('parses marker options and rejects unknown ones', () => {
    const o = parseMarkerOptions('bg wait="PTY \\"x\\"" timeout=20 exit=3 expect="a b" expect=c needs=rosbridge', 'here');
    expect(o.bg).toBe(true);
    expect(o.wait!.source).toBe('PTY "x"');
    expect(o.timeoutS).toBe(20);
    expect(o.exit).toBe(3);
    expect(o.expect.map((r) => r.source)).toEqual(['a b', 'c']);
    expect(o.needs).toEqual(['rosbridge']);
    expect(() => parseMarkerOptions('expext=x', 'here')).toThrow(/unknown test marker option "expext"/);
  });
});

describe.concurrent('docs: every tested command runs', () => {
  for (const g of guides.filter((x) => blocksOf.get(x)!.some((b) => b.options))) {
    const blocks = blocksOf.get(g)!.filter((b) => b.options);
    it(g, async () => {
      await withSlot(async () => {
        const env = { ...baseEnv };
        let ros: { close(): Promise<void> } | null = null;
        if (needsRos(g)) ros = await startRos(env);
        try {
          const lines: string[] = [];
          await runGuide(blocks, workspace(g), env, (s) => lines.push(s));
          console.log(`[docs] ${g}\n  ${lines.join('\n  ')}`);
        } finally {
          await ros?.close();
        }
      });
    }, 600_000);
  }
});

/** A rosbridge v2 server on 127.0.0.1 with a position-controlled Go1 publishing JointState (its own joint order) and Imu. */
async function startRos(env: NodeJS.ProcessEnv): Promise<{ close(): Promise<void> }> {
  const { RosbridgeTestServer } = await import('./helpers/rosbridge-server.ts');
  const { FakeRosRobot } = await import('./helpers/ros-robot.ts');
  const { loadUrdf } = await import('@s2r/core');
  const model = loadUrdf(join(REPO, 'hardware/robots/s2r-go1/s2r-go1.urdf'));
  // The controller's joint order in docs/deploy-ros.md (FL, FR, RL, RR), not the URDF's (FR, FL, RR, RL): the bridge
  // maps JointState by name and orders the command array with --ros-command-joints.
  const joints = ['FL', 'FR', 'RL', 'RR'].flatMap((leg) => ['hip', 'thigh', 'calf'].map((p) => `${leg}_${p}_joint`));
  expect([...joints].sort()).toEqual([...model.actuatedJoints].sort());
  const initial = joints.map((n) => {
    const j = model.joints.find((x) => x.name === n)!;
    return Math.min(Math.max(0, j.limits.lower), j.limits.upper);
  });
  const server = await RosbridgeTestServer.start();
  const robot = new FakeRosRobot(server, { joints, initial, rateHz: 200, imuTopic: '/imu' });
  env.ROSBRIDGE_URL = server.url;
  return {
    async close() {
      robot.stop();
      await server.close();
    },
  };
}
