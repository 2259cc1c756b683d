/**
 * `npm start` (= `npx s2r main`): the whole point of s2r in about a minute.
 *
 *   1. evaluate  the committed Go1 policy (trained by s2r's own PPO) briefly in the simulator;
 *   2. sim2sim   a short walk in Rapier and in MuJoCo WASM side by side (same URDF, observation, actions, PD);
 *   3. deploy    it through the bridge to the *sim hardware* (Rapier in real time in its own thread) at 500 Hz,
 *                policy at 50 Hz, for 20 s of walking commands, with command latency and sensor noise on;
 *   4. record    the deployment as MCAP;
 *   5. serve     the three.js viewer on the recording (skipped with --no-serve).
 *
 * `--train` first retrains the policy from scratch with domain randomization, then runs the same path.
 * Every stage prints what it does and where its output goes; Ctrl-C stops cleanly at any point.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type Command } from '@s2r/core';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEFAULT_POLICY = join(REPO, 'hardware/policies/go1-flat/policy.json');
export const DEFAULT_ROBOT = join(REPO, 'hardware/robots/s2r-go1/s2r-go1.urdf');
/** 20 s: forward, turn while walking, sideways, forward again (vx m/s, vy m/s, yaw rate rad/s @ start time s). */
export const DEFAULT_COMMANDS = '0.8,0,0@0;0.6,0,0.6@6;0.3,0.3,0@11;0.8,0,0@15';

const usage = `Usage: npm start [-- options]      (or: npx s2r main [options])

The end-to-end demo: evaluate the committed Go1 policy in the simulator, deploy it through the bridge to the
simulated robot at a fixed rate (500 Hz commands, 50 Hz policy, 20 s of walking commands, latency and noise
injected), record the run as MCAP, and serve the viewer on the recording.

Options:
  --train             retrain the Go1 policy from scratch with domain randomization first (progress bar)
  --minutes M         training budget for --train (default 30)
  --no-serve          do not serve the viewer; exit after recording (last line: JSON summary)
  --policy <file>     policy artifact (default hardware/policies/go1-flat/policy.json)
  --duration S        seconds of walking (default 20)
  --commands <list>   velocity commands 'vx,vy,wz@t;...' (default ${DEFAULT_COMMANDS})
  --out <dir>         output folder (default out/main-<timestamp>)
  --port N            viewer port (default 8080; 0 = any free port)
  --host H            viewer interface (default 127.0.0.1)
  --seed N            seed for noise/latency injection and evaluation (default 1)
  --eval-episodes N   episodes for the quick evaluation (default 4; 0 skips it)
  --sim2sim-seconds S seconds of the Rapier-vs-MuJoCo walk (default 5; 0 skips it)`;

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}

function stage(n: number, title: string, detail: string): void {
  console.log(`\n[${n}/5] ${title}\n      ${detail}`);
}

export const command: Command = {
  name: 'main',
  summary: 'The end-to-end demo that `npm start` runs',
  usage,
  async run(argv) {
    const a = parseArgs(argv, {
      values: ['minutes', 'policy', 'duration', 'commands', 'out', 'port', 'host', 'seed', 'eval-episodes', 'sim2sim-seconds'],
      booleans: ['train', 'no-serve'],
    });
    const serve = !a.has('no-serve');
    const seed = a.num('seed', 1);
    const out = resolve(a.str('out', join('out', `main-${stamp()}`)));
    mkdirSync(out, { recursive: true });
    const rel = (p: string) => relative(process.cwd(), p) || '.';

    // One AbortController for the whole run: Ctrl-C ends the current stage cleanly, then the process.
    const abort = new AbortController();
    const onSigint = () => {
      if (abort.signal.aborted) process.exit(130);
      console.log('\nCtrl-C: stopping cleanly (again to force)…');
      abort.abort();
    };
    process.on('SIGINT', onSigint);

    try {
      let policy = resolve(a.str('policy', DEFAULT_POLICY));
      if (a.has('train')) {
        const minutes = a.num('minutes', 30);
        stage(0, 'train', `PPO on go1-flat with domain randomization for ${minutes} min → ${rel(join(out, 'train'))}`);
        const { trainPpo } = await import('@s2r/policies/ppo/train.ts');
        const r = await trainPpo({
          task: 'go1-flat',
          outDir: join(out, 'train'),
          overrides: [{ maxMinutes: minutes, seed }],
          command: `npx s2r main --train --minutes ${minutes} --seed ${seed}`,
          signal: abort.signal,
        });
        policy = r.artifactPath;
        console.log(`      trained ${r.envSteps} env steps in ${(r.wallS / 60).toFixed(1)} min → ${rel(policy)}`);
        if (abort.signal.aborted) return 130;
      }
      if (!existsSync(policy)) {
        console.error(`s2r main: no policy at ${policy}. Run \`npm start -- --train\` to train one, or pass --policy <artifact>.`);
        return 1;
      }

      // 1. Evaluate in the simulator (the same env the policy trained in, default DR on).
      const evalEpisodes = a.num('eval-episodes', 4);
      let evalSummary: { mean_return: number; survival: number } | null = null;
      if (evalEpisodes > 0) {
        stage(1, 'evaluate', `${evalEpisodes} simulated episodes of go1-flat with domain randomization, commands as trained (${rel(policy)})`);
        const { loadPolicy } = await import('@s2r/policies');
        const { evaluatePolicy } = await import('@s2r/policies/evaluate.ts');
        const p = await loadPolicy(policy);
        // Evaluate under the command ranges the policy was trained on (kept in its artifact), with default DR.
        const trained = (p.meta as { envConfig?: { commands?: Record<string, unknown> } }).envConfig;
        const envOverrides = trained?.commands ? { commands: trained.commands } : {};
        const ev = await evaluatePolicy(p, { task: 'go1-flat', episodes: evalEpisodes, seeds: [seed], numEnvs: Math.min(evalEpisodes, 4), workers: 0, envOverrides });
        evalSummary = { mean_return: ev.return.mean, survival: ev.success.mean };
        console.log(`      mean return ${ev.return.mean.toFixed(3)}, survived ${(ev.success.mean * 100).toFixed(0)}% of episodes`);
        if (abort.signal.aborted) return 130;
      } else {
        stage(1, 'evaluate', 'skipped (--eval-episodes 0)');
      }

      // 2. sim2sim: the same policy through the deploy stack in Rapier and in MuJoCo WASM, scored side by side.
      const s2sSeconds = a.num('sim2sim-seconds', 5);
      let sim2sim: Record<string, unknown> | null = null;
      if (s2sSeconds > 0) {
        stage(2, 'sim2sim', `${s2sSeconds} s of walking (${a.str('commands', DEFAULT_COMMANDS).split(';')[0]}) in Rapier and in MuJoCo WASM, same URDF, observation, actions and PD`);
        const { runSim2Sim } = await import('@s2r/bridge/sim2sim/sim2sim.ts');
        const { parseCommandSchedule } = await import('@s2r/bridge/policy/command-schedule.ts');
        const r = await runSim2Sim({ policy, robot: DEFAULT_ROBOT, commands: parseCommandSchedule(a.str('commands', DEFAULT_COMMANDS)), durationS: s2sSeconds, seeds: [seed] });
        const [ra, mu] = [r.episodes.find((e) => e.engine === 'rapier')!, r.episodes.find((e) => e.engine === 'mujoco')!];
        sim2sim = { rapier_m: ra.distance_m, mujoco_m: mu.distance_m, rapier_falls: ra.falls, mujoco_falls: mu.falls };
        console.log(`      rapier ${ra.distance_m.toFixed(2)} m, ${ra.falls} falls | mujoco ${mu.distance_m.toFixed(2)} m, ${mu.falls} falls (${ra.distance_m > 0 ? `${(((mu.distance_m - ra.distance_m) / ra.distance_m) * 100).toFixed(1)}%` : '–'})`);
        if (abort.signal.aborted) return 130;
      } else {
        stage(2, 'sim2sim', 'skipped (--sim2sim-seconds 0)');
      }

      // 3–4. Deploy to the sim hardware at a fixed rate, recording MCAP.
      const recording = join(out, 'deploy.mcap');
      const duration = a.num('duration', 20);
      const commands = a.str('commands', DEFAULT_COMMANDS);
      stage(3, 'deploy', `bridge → sim hardware at 500 Hz, policy at 50 Hz, ${duration} s, 10 ms command latency, legged_gym sensor noise`);
      console.log(`      commands: ${commands}`);
      stage(4, 'record', `MCAP → ${rel(recording)}`);
      const { deploy } = await import('@s2r/bridge');
      const summary = await deploy({
        policy,
        robot: DEFAULT_ROBOT,
        hardware: 'sim',
        rateHz: 500,
        policyRateHz: 50,
        durationS: duration,
        commands,
        record: recording,
        seed,
        latencyMs: 10,
        noise: 1,
        // The bridge latches its e-stop on Ctrl-C and soft-stops (damping) before returning.
        handleSigint: true,
        log: (line: string) => console.log(`      ${line}`),
      });
      const result = {
        main: 'done',
        policy: rel(policy),
        recording: rel(recording),
        distance_m: summary.distance_m,
        displacement_m: summary.displacement_m,
        falls: summary.falls,
        loop_p99_us: summary.loop_p99_us,
        missed_deadlines: summary.missed_deadlines,
        safety_interventions: summary.safety_interventions_total,
        safety_by_kind: summary.safety_interventions,
        // What the safety layer changed on ticks where the policy was in control (outside the soft start/stop ramps).
        safety_interventions_running: Object.values(summary.safety_interventions_running).reduce((n, v) => n + v, 0),
        safety_running_by_kind: summary.safety_interventions_running,
        // The action pipeline doing its normal job (clip, joint-limit clamp, rate limit), reported on its own.
        pipeline_limiting: summary.pipeline_limiting,
        eval: evalSummary,
        sim2sim,
      };
      writeFileSync(join(out, 'summary.json'), JSON.stringify({ ...result, deploy: summary }, null, 2));
      const pl = summary.pipeline_limiting;
      console.log(`      walked ${summary.distance_m?.toFixed(2)} m, ${summary.falls} falls, loop p99 lateness ${summary.loop_p99_us.toFixed(0)} µs, ${result.safety_interventions_running} safety interventions while running (${summary.safety_interventions_total} with the soft start/stop ramps)`);
      console.log(`      action pipeline limiting (its normal job, not safety): clip ${pl.clip ?? 0}, position_limit ${pl.position_limit ?? 0} policy steps, rate_limit ${pl.rate_limit ?? 0} substeps`);

      // 5. Serve the viewer on the recording.
      if (serve && !abort.signal.aborted) {
        const { serveViewer } = await import('@s2r/viewer');
        const server = await serveViewer({ paths: [recording], port: a.num('port', 8080), host: a.str('host', '127.0.0.1') });
        stage(5, 'view', `viewer on ${rel(recording)}`);
        console.log(`\n      open ${server.url}\n      (Ctrl-C to stop)`);
        await new Promise<void>((res) => abort.signal.addEventListener('abort', () => res(), { once: true }));
        await server.close();
      } else {
        stage(5, 'view', serve ? 'skipped (stopped)' : `skipped (--no-serve); later: npx s2r view ${rel(recording)}`);
      }
      console.log(JSON.stringify(result));
      return 0;
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};
