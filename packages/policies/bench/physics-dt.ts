/**
 * `npm run bench:physics-dt`: fewer physics steps per control step — go1-flat at physicsDt 0.01 s × decimation 2
 * and 1/150 s × 3 against the default 0.005 s × 4 (same 50 Hz control).
 *
 *  env_steps_per_cpu_s  the task's VecEnv (16 envs in this thread, default DR, random actions ~ N(0, 0.5)), env steps
 *                       per CPU-second of this process: the speed-up the coarser step buys, load-independent.
 *  tracking             a policy trained at the default physics (--policy, default the committed one) on the
 *                       command cells below, 3 episodes of 20 s each, at each setting: if Rapier's PD at 0.01 s
 *                       behaves like at 0.005 s, survival and errors stay the same; a PD that rings or a contact
 *                       that tunnels shows up as falls or a larger error.
 * Last line: {"bench":"physics-dt","settings":{…},"load_avg_1m":…}
 */
import { loadavg } from 'node:os';
import { parseArgs } from '@s2r/core';
import { Rng } from '@s2r/core';
import { makeVecEnv } from '@s2r/sim/env/vec-env.ts';
import { loadPolicy } from '../src/policy.ts';
import { evaluateCommandGrid, gridVerdict, type Command3 } from '../src/command-grid.ts';

const args = parseArgs(process.argv.slice(2), { values: ['policy', 'seconds'] });
const policyPath = args.str('policy', 'hardware/policies/go1-flat/policy.json');
const seconds = args.num('seconds', 6);
const SETTINGS = [
  { name: 'dt0.005x4', physicsDt: 0.005, decimation: 4 },
  { name: 'dt0.01x2', physicsDt: 0.01, decimation: 2 },
  { name: 'dt0.00667x3', physicsDt: 0.02 / 3, decimation: 3 },
];
const CELLS: Command3[] = [[0, 0, 0], [0.5, 0, 0], [1.0, 0, 0], [0.5, 0, 0.8], [0, 0.4, 0]];
const r3 = (x: number) => Number(x.toFixed(3));

async function speed(o: { physicsDt: number; decimation: number }) {
  const v = await makeVecEnv('go1-flat', { numEnvs: 16, workers: 0, seed: 1, print: false, overrides: o });
  try {
    const rng = Rng.seed(2);
    const a = new Float32Array(v.numEnvs * v.actionSpec.size);
    const step = async () => {
      for (let i = 0; i < a.length; i++) a[i] = rng.normal(0, 0.5);
      await v.step(a);
    };
    for (let i = 0; i < 100; i++) await step(); // warm-up (V8 optimises the wasm glue)
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < seconds * 1000) {
      await step();
      n += v.numEnvs;
    }
    const c = process.cpuUsage(c0);
    return n / ((c.user + c.system) / 1e6);
  } finally {
    await v.close();
  }
}

const policy = await loadPolicy(policyPath);
const out: Record<string, unknown> = {};
for (const s of SETTINGS) {
  const o = { physicsDt: s.physicsDt, decimation: s.decimation };
  const sps = await speed(o);
  const cells = await evaluateCommandGrid(policy, { cells: CELLS, seedsPerCell: 3, seed: 77, workers: 2, envOverrides: o, makeVecEnv });
  const v = gridVerdict(cells);
  out[s.name] = {
    env_steps_per_cpu_s: Math.round(sps),
    survival: r3(v.survival),
    lin_err: r3(v.linErr),
    yaw_err: r3(v.yawErr),
    cells: cells.map((c) => ({ cmd: c.cmd, lin_err: r3(c.linErr), yaw_err: r3(c.yawErr), survival: r3(c.survival) })),
  };
  console.log(`${s.name}: ${Math.round(sps)} env steps per CPU-s; ${policyPath}: survival ${v.survival.toFixed(2)}, lin err ${v.linErr.toFixed(3)}, yaw err ${v.yawErr.toFixed(3)}`);
}
const base = (out[SETTINGS[0]!.name] as { env_steps_per_cpu_s: number }).env_steps_per_cpu_s;
const speedup = Object.fromEntries(SETTINGS.slice(1).map((s) => [s.name, r3((out[s.name] as { env_steps_per_cpu_s: number }).env_steps_per_cpu_s / base)]));
console.log(JSON.stringify({ bench: 'physics-dt', policy: policyPath, settings: out, speedup_cpu: speedup, load_avg_1m: Number(loadavg()[0]!.toFixed(2)) }));
