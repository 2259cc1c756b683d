/**
 * `npx s2r tasks [name...] [--json] [--config] [--overrides JSON]`: list the registered tasks with their
 * observation / action specs, reward and termination terms, and active domain-randomization terms.
 */
import { getTask, listTasks, load } from '../tasks/registry.ts';
import { parseArgs, UsageError, type Command } from '@s2r/core';

const USAGE = `Usage: npx s2r tasks [TASK...] [options]

Without TASK, lists every registered task (one line each) and then prints each task's tables: actor observation
(names, sizes, units, noise), privileged critic observation, action, reward terms, termination terms and the
active domain-randomization events. With TASK names, prints only those.

Options:
  --json             print one JSON object per task (specs, term names, DR values of a seeded episode)
  --config           also print the fully resolved config (what a trainer dumps into its run folder)
  --overrides JSON   deep-merge overrides of the task config, e.g. '{"dr":{"push":{"enabled":false}}}'
  --seed N           seed of the episode whose DR draws --json reports (default 0)`;

export const command: Command = {
  name: 'tasks',
  summary: 'List the registered tasks and their specs',
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv, { values: ['overrides', 'seed'], booleans: ['json', 'config'] });
    const names = args.positional.length ? args.positional : listTasks();
    // Unknown names fail before any work, naming the registered tasks.
    for (const n of names) if (!listTasks().includes(n)) throw new UsageError(`unknown task "${n}" (registered: ${listTasks().join(', ')})`);
    let overrides: unknown;
    const o = args.str('overrides');
    if (o !== undefined) {
      try {
        overrides = JSON.parse(o);
      } catch (e) {
        throw new UsageError(`--overrides is not valid JSON: ${(e as Error).message}`);
      }
    }
    if (!args.has('json') && !args.positional.length) {
      const w = Math.max(...names.map((n) => n.length));
      console.log('Registered tasks:');
      for (const n of names) console.log(`  ${n.padEnd(w)}  ${getTask(n).description}`);
      console.log('');
    }
    for (const n of names) {
      const env = await load(n, overrides as never, { print: false });
      try {
        const r = env.reset(args.num('seed', 0));
        if (args.has('json')) {
          console.log(JSON.stringify({
            task: n,
            physics_dt: env.physicsDt,
            decimation: env.decimation,
            control_dt: env.dt,
            max_episode_steps: env.maxEpisodeSteps,
            max_return: env.maxReturn,
            observation: env.observationSpec,
            privileged: env.privilegedSpec,
            action: env.actionSpec,
            reward_terms: env.rewardTermNames,
            dr: r.info.dr,
            ...(args.has('config') ? { config: env.config } : {}),
          }));
        } else {
          console.log(env.termsTable());
          if (args.has('config')) console.log(`\nResolved config:\n${JSON.stringify(env.config, null, 2)}`);
          console.log('');
        }
      } finally {
        env.close();
      }
    }
    return 0;
  },
};
