/**
 * `npx s2r distill <teacher.json> --demos DIR --out student.json`: a one-step student of a diffusion policy
 * (src/diffusion/distill.ts). The student is a kind 'diffusion' artifact: deploy, eval and residual training take it
 * as they take its teacher.
 */
import { existsSync } from 'node:fs';
import { parseArgs, parseSets, UsageError, type Command } from '@s2r/core';

const usage = `Usage: npx s2r distill <teacher.json> --demos DIR --out FILE [options]

Distil a diffusion policy artifact (DDIM sampling, e.g. from s2r train --algo diffusion) into a one-step student:
one denoiser call per chunk instead of one per DDIM step. Observation histories come from DIR (the
demonstrations the teacher learned from); each is paired with a starting noise x_T and labelled with the chunk
the teacher's DDIM makes from that x_T; the student, which starts from the teacher's weights, learns that map.
The output loads wherever a diffusion policy loads (s2r deploy, s2r eval, --base of residual training), with the
teacher's chunk settings. Last line: a JSON summary with the held-out error against the teacher.

Options:
  --demos DIR      demonstrations (from s2r collect) for the observation histories (required)
  --out FILE       where to write the one-step artifact (required; an existing file needs --force)
  --seed N         root seed of the pairs, the noise and the batches (default 0): a seed gives one artifact
  --set k=v        distillation setting (repeatable), e.g. --set pairs=32768 --set iterations=3000; keys:
                   pairs, heldOut, iterations, batchSize, lr, warmup, emaPower, emaMaxDecay,
                   width / blocks (0 = the teacher's, which starts from its weights),
                   timestep (-1 = the teacher's first DDIM step), teacherSteps (0 = the teacher's own)
  --backend B      tfjs backend: tensorflow-gpu | tensorflow (tfjs-node) | wasm | cpu (default: best available)
  --force          overwrite --out
  --quiet          no progress lines`;

export const command: Command = {
  name: 'distill',
  summary: 'Distil a diffusion policy into a one-step student (one denoiser call per chunk)',
  usage,
  async run(argv) {
    const a = parseArgs(argv, { values: ['demos', 'out', 'seed', 'set', 'backend'], booleans: ['force', 'quiet'] });
    const teacher = a.positional[0];
    if (!teacher) throw new UsageError('missing <teacher.json> (a diffusion policy artifact)');
    if (a.positional.length > 1) throw new UsageError(`unexpected argument "${a.positional[1]}"`);
    if (!existsSync(teacher)) throw new UsageError(`<teacher.json> ${teacher}: no such file`);
    const demos = a.str('demos');
    if (!demos) throw new UsageError('--demos <dir> is required (the demonstrations the teacher learned from)');
    if (!existsSync(demos)) throw new UsageError(`--demos ${demos}: no such folder`);
    const out = a.str('out');
    if (!out) throw new UsageError('--out <file> is required');
    if (existsSync(out) && !a.has('force')) throw new UsageError(`--out ${out} exists; give --force to overwrite it`);
    const { DEFAULT_DISTILL, distillDiffusion } = await import('../diffusion/distill.ts');
    const config: Record<string, unknown> = {};
    let sets: Record<string, unknown>;
    try {
      sets = parseSets(a.all('set'));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    for (const [k, v] of Object.entries(sets)) {
      if (!(k in DEFAULT_DISTILL) || k === 'seed') throw new UsageError(`--set ${k}: unknown distillation setting (known: ${Object.keys(DEFAULT_DISTILL).filter((x) => x !== 'seed').join(', ')}; the seed is --seed)`);
      if (typeof v !== 'number') throw new UsageError(`--set ${k}: expected a number, got ${JSON.stringify(v)}`);
      config[k] = v;
    }
    if (a.has('seed')) {
      const s = a.num('seed');
      if (!Number.isInteger(s)) throw new UsageError(`--seed must be an integer, got ${a.str('seed')}`);
      config.seed = s;
    }
    if (a.has('backend')) config.backend = a.str('backend');
    const quiet = a.has('quiet');
    let last = '';
    // Ctrl-C during training exports the student so far, and the command exits 130 (not a finished distillation).
    const ac = new AbortController();
    const onInt = () => ac.abort();
    process.once('SIGINT', onInt);
    const r = await distillDiffusion({
      teacher, demos, out, config,
      signal: ac.signal,
      onProgress: (p) => {
        if (quiet) return;
        const line = p.phase === 'label' ? `label ${p.done}/${p.total} teacher chunks (${p.elapsedS.toFixed(0)} s)` : `train ${p.done}/${p.total} loss ${p.loss.toFixed(5)} (${p.elapsedS.toFixed(0)} s)`;
        if (line !== last && (p.phase === 'label' || p.done % 500 === 1 || p.done === p.total)) console.error(line);
        last = line;
      },
    }).finally(() => process.off('SIGINT', onInt));
    if (ac.signal.aborted) {
      console.error(`interrupted: the partly trained student is in ${out}`);
      return 130;
    }
    console.log(JSON.stringify({ distill: 'done', teacher, out, heldOutMse: r.heldOutMse, heldOutVar: r.heldOutVar, seconds: Math.round(r.seconds) }));
    return 0;
  },
};
