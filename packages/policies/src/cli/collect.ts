/**
 * `npx s2r collect <task> --expert scripted|<artifact> --episodes N --noise σ --out demos/ [--seed N]`
 * Rolls the expert out with Gaussian action noise and writes the columnar demos folder (demos/FORMAT.md).
 */
import { parseArgs, parseSets, UsageError, type Command } from '@s2r/core';
import { collectDemos, type Expert } from '../demos/collect.ts';
import { scriptedExpert, teacherExpert } from '../demos/experts.ts';

const usage = `Usage: npx s2r collect <task> --expert scripted|<artifact.json> --episodes N --noise SIGMA --out DIR [options]

Collect demonstrations: roll out a scripted expert (z1-push ships one) or a trained teacher policy artifact,
adding Gaussian noise N(0, SIGMA²) (action units) to every executed action. Each row stores the observation,
the executed action and the expert's clean action (the label learners imitate). Writes DIR/index.json (per-episode
success and length, normalization statistics) and one binary file per column; see
packages/policies/src/demos/FORMAT.md.

Options:
  --expert E       'scripted' or a policy artifact path (required)
  --episodes N     episodes to collect (required)
  --noise SIGMA    action noise std in action units (default 0)
  --out DIR        output folder (required)
  --seed N         collection seed (default 0); episode i uses Rng.seed(N).split('episode').split(i)
  --set k=v        task config override (repeatable), e.g. --set episodeLengthS=6
  --quiet          no per-episode lines`;

export const command: Command = {
  name: 'collect',
  summary: 'Collect demonstrations from a scripted expert or a trained teacher',
  usage,
  async run(argv) {
    const a = parseArgs(argv, { values: ['expert', 'episodes', 'noise', 'out', 'seed', 'set'], booleans: ['quiet'] });
    const task = a.positional[0];
    if (!task) throw new UsageError('missing <task>');
    if (a.positional.length > 1) throw new UsageError(`unexpected argument "${a.positional[1]}"`);
    const expertArg = a.str('expert');
    if (!expertArg) throw new UsageError('--expert is required (scripted or an artifact path)');
    const episodes = a.num('episodes');
    if (episodes === undefined || !Number.isInteger(episodes) || episodes < 1) throw new UsageError('--episodes must be a positive integer');
    const noise = a.num('noise', 0);
    if (noise < 0) throw new UsageError('--noise must be ≥ 0');
    const out = a.str('out');
    if (!out) throw new UsageError('--out is required');
    const seed = a.num('seed', 0);
    const sets = a.all('set');
    const overrides = sets.length > 0 ? parseSets(sets) : undefined;
    const { load, getTask } = await import('@s2r/sim/tasks/registry.ts');
    const env = await load(task, overrides as never, { print: !a.has('quiet') });
    let expert: Expert;
    try {
      expert = expertArg === 'scripted' ? await scriptedExpert(task, env) : await teacherExpert(expertArg, seed);
    } catch (e) {
      env.close();
      throw e;
    }
    let control;
    try {
      // Every registered task has deploy facts; a failure here is a real error, never a zero pose.
      const d = getTask(task).deploy(env.config as never);
      control = { defaultPose: Array.from(d.defaultJointPos), kp: Array.from(d.kp), kd: Array.from(d.kd) };
    } catch (e) {
      env.close();
      throw e;
    }
    const t0 = performance.now();
    const d = await collectDemos({
      task, makeEnv: () => env, expert, episodes, noise, seed, out, control,
      onEpisode: (e) => {
        if (!a.has('quiet')) console.log(`episode ${e.index + 1}/${episodes}: ${e.success ? 'success' : 'fail   '} length ${e.length} return ${e.return.toFixed(2)}`);
      },
    });
    const s = d.episodes.filter((e) => e.success).length;
    console.log(`collected ${d.episodes.length} episodes (${s} successful, ${((100 * s) / d.episodes.length).toFixed(1)}%), ${d.obs.length / d.meta.obsDim} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${out}`);
    return 0;
  },
};
