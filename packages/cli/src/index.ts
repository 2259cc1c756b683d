/**
 * `npx s2r <command>`: dispatches to the command modules of each package.
 * Loaders are lazy so `s2r --help` stays fast and one package's heavy deps (tfjs, three) load only when used.
 */
import { UsageError, type Command } from '@s2r/core';

type Loader = () => Promise<{ command: Command }>;

export const COMMANDS: Record<string, { summary: string; load: Loader }> = {
  robot: { summary: 'Parse a URDF, print the model, and stand it under PD in Rapier', load: () => import('@s2r/sim/cli/robot.ts') },
  tasks: { summary: 'List the registered tasks and their specs', load: () => import('@s2r/sim/cli/tasks.ts') },
  train: { summary: 'Train a policy (PPO, diffusion, residual) on a task', load: () => import('@s2r/policies/cli/train.ts') },
  eval: { summary: 'Evaluate a run or policy artifact with confidence intervals', load: () => import('./eval.ts') },
  worker: { summary: 'Collect rollouts for a cluster learner over NATS JetStream', load: () => import('@s2r/policies/cli/worker.ts') },
  cluster: { summary: 'Start a local NATS JetStream server for cluster training (s2r cluster up)', load: () => import('@s2r/policies/cli/cluster.ts') },
  distill: { summary: 'Distil a diffusion policy into a one-step student (one denoiser call per chunk)', load: () => import('@s2r/policies/cli/distill.ts') },
  collect: { summary: 'Collect demonstrations from a scripted expert or a trained teacher', load: () => import('@s2r/policies/cli/collect.ts') },
  export: { summary: 'Export a policy artifact to ONNX (normalizer baked in, mjlab metadata)', load: () => import('@s2r/policies/cli/export.ts') },
  deploy: { summary: 'Run a policy on hardware (sim, serial, ROS) at a fixed rate behind the safety layer', load: () => import('@s2r/bridge/cli/deploy.ts') },
  sim2sim: { summary: 'Run a policy in Rapier and MuJoCo WASM side by side (same URDF, observation, actions, PD)', load: () => import('@s2r/bridge/cli/sim2sim.ts') },
  view: { summary: 'Serve the three.js viewer on a recording or run folder', load: () => import('@s2r/viewer/cli/view.ts') },
  main: { summary: 'The end-to-end demo that `npm start` runs', load: () => import('./main.ts') },
};

function topHelp(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    's2r: sim-to-real robotics in TypeScript',
    '',
    'Usage: npx s2r <command> [options]     (npx s2r <command> --help for details)',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([k, v]) => `  ${k.padEnd(w)}  ${v.summary}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(topHelp());
    return name ? 0 : 1;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    console.error(`s2r: unknown command "${name}"\n\n${topHelp()}`);
    return 2;
  }
  const { command } = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`s2r ${name}: ${err.message}\n\n${command.usage}`);
      return 2;
    }
    // Any other failure: one clear line naming the command and what went wrong (the stack with S2R_DEBUG=1).
    const e = err as Error;
    console.error(`s2r ${name}: ${e?.message ?? String(err)}`);
    if (process.env.S2R_DEBUG) console.error(e?.stack);
    return 1;
  }
}
