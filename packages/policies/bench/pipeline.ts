/**
 * `npm run bench:pipeline`: where a go1-flat PPO iteration's time goes, per pipeline variant, on this machine.
 *
 * Runs the real trainer (default go1-flat config, fresh run each time) for --iterations iterations per variant,
 * variants interleaved over --rounds rounds so a shared machine's load hits them alike, and reports per variant
 * the median iteration wall time, its collect and update parts, env steps per wall second and per CPU second
 * (process CPU time, all threads: what a loaded machine can't inflate much), the main thread's own CPU time per
 * iteration (Linux /proc; on a loaded machine whose CPU share is fixed per session, wall time cannot show work moving
 * off the main thread, its CPU time can), and the policy lag.
 *
 * Variants: --variant name:key=value,key=value (repeatable; keys are PPO config keys). Default, the four ways to
 * use 2 cores: serial (collect, then update on one thread), sharded (the update's gradient shards on 2 threads, the
 * go1 default), overlap (collect k+1 while updating k on one thread), both.
 * Last line: {"bench":"pipeline","variants":{name:{iteration_ms,collect_ms,update_ms,steps_per_s,steps_per_cpu_s,
 *             main_thread_cpu_ms,policy_lag}},"speedup":{name: steps/s ÷ the first variant's},"load_avg_1m":…}
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs, parseSets } from '@s2r/core';
import { trainPpo, type IterationMetrics } from '../src/ppo/train.ts';
import { mainThreadCpuMs } from './cpu.ts';

const args = parseArgs(process.argv.slice(2), { values: ['iterations', 'rounds', 'variant', 'task', 'set'] });
const iterations = args.num('iterations', 8);
const rounds = args.num('rounds', 2);
const task = args.str('task', 'go1-flat');
const common = parseSets(args.all('set'));
const specs = args.all('variant').length
  ? args.all('variant')
  : ['serial:maxPolicyLag=0,gradShards=1,updateThreads=1', 'sharded:maxPolicyLag=0,gradShards=4,updateThreads=2', 'overlap:maxPolicyLag=1,gradShards=1,updateThreads=1', 'both:maxPolicyLag=1,gradShards=4,updateThreads=2'];
const variants = specs.map((v) => {
  const i = v.indexOf(':');
  if (i <= 0) throw new Error(`--variant "${v}": expected name:key=value[,key=value]`);
  return { name: v.slice(0, i), layer: parseSets(v.slice(i + 1).split(',').filter(Boolean)) };
});
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const acc = new Map<string, { it: number[]; col: number[]; upd: number[]; sps: number[]; cpu: number[]; main: number[]; lag: number[] }>();
for (let r = 0; r < rounds; r++) {
  for (const v of variants) {
    const out = mkdtempSync(join(tmpdir(), 's2r-pipeline-'));
    const ms: IterationMetrics[] = [];
    let c0 = process.cpuUsage();
    let m0 = mainThreadCpuMs();
    let s0 = 0;
    const res = await trainPpo({
      task, outDir: join(out, 'run'), progress: 'none', log: () => {},
      overrides: [common, v.layer, { totalSteps: 0, maxMinutes: 0, checkpointEvery: 1000 }],
      onIteration: (m) => {
        // The first iteration pays start-up (and an overlapped run's first rollout): measure from its end.
        if (ms.length === 0) {
          c0 = process.cpuUsage();
          m0 = mainThreadCpuMs();
          s0 = m.envSteps;
        }
        ms.push(m);
        return ms.length < iterations + 1;
      },
    });
    const c = process.cpuUsage(c0);
    const m1 = mainThreadCpuMs();
    rmSync(out, { recursive: true, force: true });
    const timed = ms.slice(1);
    const wallS = timed.reduce((a, m) => a + m.iterationMs, 0) / 1000;
    const steps = res.envSteps - s0;
    const a = acc.get(v.name) ?? { it: [], col: [], upd: [], sps: [], cpu: [], main: [], lag: [] };
    if (m0 !== null && m1 !== null) a.main.push((m1 - m0) / timed.length);
    a.it.push(median(timed.map((m) => m.iterationMs)));
    a.col.push(median(timed.map((m) => m.collectMs)));
    a.upd.push(median(timed.map((m) => m.update.updateMs)));
    a.sps.push(steps / wallS);
    a.cpu.push(steps / ((c.user + c.system) / 1e6));
    a.lag.push(timed.reduce((x, m) => x + m.policyLag, 0) / timed.length);
    acc.set(v.name, a);
    console.log(`round ${r + 1} ${v.name}: iteration ${a.it.at(-1)!.toFixed(0)} ms (collect ${a.col.at(-1)!.toFixed(0)}, update ${a.upd.at(-1)!.toFixed(0)}), ${a.sps.at(-1)!.toFixed(0)} steps/s, ${a.cpu.at(-1)!.toFixed(0)} steps/CPU-s, main thread ${a.main.at(-1)?.toFixed(0) ?? '–'} CPU ms/iteration, load ${loadavg()[0]!.toFixed(2)}`);
  }
}
const out: Record<string, Record<string, number>> = {};
for (const [name, a] of acc) {
  out[name] = {
    iteration_ms: Math.round(median(a.it)),
    collect_ms: Math.round(median(a.col)),
    update_ms: Math.round(median(a.upd)),
    steps_per_s: Math.round(median(a.sps)),
    steps_per_cpu_s: Math.round(median(a.cpu)),
    main_thread_cpu_ms: a.main.length ? Math.round(median(a.main)) : NaN,
    policy_lag: Number(median(a.lag).toFixed(2)),
  };
}
const names = variants.map((v) => v.name);
console.log(
  JSON.stringify({
    bench: 'pipeline',
    task,
    iterations,
    rounds,
    variants: out,
    speedup: Object.fromEntries(names.slice(1).map((n) => [n, Number((out[n]!.steps_per_s! / out[names[0]!]!.steps_per_s!).toFixed(3))])),
    load_avg_1m: Number(loadavg()[0]!.toFixed(2)),
  }),
);
