/**
 * Shared plumbing of the `s2r train --algo diffusion|bc|residual` plug-ins (src/<algo>/train-cli.ts, loaded
 * by cli/train.ts): config layering (defaults < --config < --set < flags, unknown keys are errors), the run
 * folder (config.json, command.txt, metrics.jsonl, policy.json) and the progress bar.
 */
import { mkdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseSets, UsageError, type ParsedArgs } from '@s2r/core';
import { saveArtifact, type PolicyArtifact } from '../artifact.ts';
import { Progress, type ProgressInfo } from '../progress.ts';

export interface TrainCliCtx {
  task: string;
  args: ParsedArgs;
  argv: string[];
  command: string;
  signal: AbortSignal;
}

/** Flags of `s2r train` that these algorithms do not use: refuse them rather than ignore them silently. */
export function rejectFlags(ctx: TrainCliCtx, algo: string, flags: string[]): void {
  for (const f of flags) if (ctx.args.has(f)) throw new UsageError(`--${f} is not used by --algo ${algo}`);
}

/** defaults ← --config file ← --set; every key must exist in the defaults (nested objects merge). */
export function layeredConfig<T extends object>(defaults: T, ctx: TrainCliCtx, algo: string): T {
  const layers: Record<string, unknown>[] = [];
  const cfgPath = ctx.args.str('config');
  if (cfgPath) {
    let j: unknown;
    try {
      j = JSON.parse(readFileSync(cfgPath, 'utf8'));
    } catch (e) {
      throw new UsageError(`--config ${cfgPath}: ${(e as Error).message}`);
    }
    if (!j || typeof j !== 'object' || Array.isArray(j)) throw new UsageError(`--config ${cfgPath}: expected a JSON object`);
    const o = j as Record<string, unknown>;
    layers.push((o[algo] && typeof o[algo] === 'object' ? o[algo] : o) as Record<string, unknown>);
  }
  try {
    layers.push(parseSets(ctx.args.all('set')));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const out = structuredClone(defaults) as Record<string, unknown>;
  const merge = (dst: Record<string, unknown>, src: Record<string, unknown>, path: string) => {
    for (const [k, v] of Object.entries(src)) {
      if (!(k in dst)) throw new UsageError(`${algo} config has no key "${path}${k}" (known: ${Object.keys(dst).join(', ')})`);
      const cur = dst[k];
      if (cur && typeof cur === 'object' && !Array.isArray(cur) && v && typeof v === 'object' && !Array.isArray(v)) merge(cur as Record<string, unknown>, v as Record<string, unknown>, `${path}${k}.`);
      else {
        if (cur !== undefined && cur !== null && typeof cur !== typeof v) throw new UsageError(`${algo} config "${path}${k}": expected ${typeof cur}, got ${JSON.stringify(v)}`);
        dst[k] = v;
      }
    }
  };
  for (const l of layers) merge(out, l, '');
  return out as T;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
}

/**
 * The run folder of a plug-in algorithm. Nothing touches the disk until the first write (writeConfig, metric,
 * savePolicy): the folder and its command.txt appear then, so input rejected before that (a bad --base or --demos,
 * a base the task cannot use) leaves no empty run folder behind.
 */
export class RunFolder {
  readonly dir: string;
  /** Where the policy goes; it exists only once something was written (trainers writing it themselves call writeConfig first). */
  readonly policyPath: string;
  private readonly command: string;
  private readonly progress: Progress | null;
  private created = false;
  constructor(ctx: TrainCliCtx, algo: string) {
    if (ctx.args.has('resume')) throw new UsageError(`--resume is not supported by --algo ${algo} (training is short; start a new run)`);
    this.dir = resolve(ctx.args.str('out') ?? join('runs', `${ctx.task}-${algo}-${timestamp()}`));
    this.policyPath = join(this.dir, 'policy.json');
    this.command = ctx.command;
    const mode = ctx.args.str('progress', 'auto'); // auto | lines | none, validated by cli/train.ts before dispatch
    this.progress = mode === 'none' ? null : new Progress(process.stdout, 2000, mode === 'lines' ? false : undefined);
  }
  private ensure(): void {
    if (this.created) return;
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, 'command.txt'), `${this.command}\n`);
    this.created = true;
  }
  writeConfig(c: unknown): void {
    this.ensure();
    writeFileSync(join(this.dir, 'config.json'), JSON.stringify(c, null, 2));
  }
  metric(m: Record<string, unknown>): void {
    this.ensure();
    appendFileSync(join(this.dir, 'metrics.jsonl'), `${JSON.stringify(m)}\n`);
  }
  /** Write the trained policy to policyPath (atomically), creating the folder if nothing else did. */
  async savePolicy(a: PolicyArtifact): Promise<void> {
    this.ensure();
    await saveArtifact(this.policyPath, a);
  }
  show(p: ProgressInfo, force = false): void {
    this.progress?.update(p, force);
  }
  done(): void {
    this.progress?.done();
  }
}
