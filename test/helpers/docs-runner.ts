/**
 * Run one guide's marked shell blocks in order, in bash, in a scratch workspace, the way a user would type them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { DocBlock } from './docs-blocks.ts';

export interface BlockResult {
  block: DocBlock;
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  ms: number;
}

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(block: DocBlock, cwd: string, env: NodeJS.ProcessEnv): Running {
  // -e: a failing command fails the block; pipefail: so does a failing command in a pipe.
  // detached: the block gets its own process group, so Ctrl-C (SIGINT) and cleanup reach npm, node and children.
  const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', block.code], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once('exit', (code, signal) => res({ code, signal })));
  return { child, output: () => out, exited };
}

function killGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, sig);
  } catch {
    /* already gone */
  }
}

async function waitOutput(r: Running, re: RegExp, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!re.test(r.output())) {
    if (r.child.exitCode !== null || r.child.signalCode !== null) throw new Error(`${what}: exited (${r.child.exitCode ?? r.child.signalCode}) before printing /${re.source}/:\n${r.output().slice(-4000)}`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: no /${re.source}/ within ${timeoutMs / 1000} s:\n${r.output().slice(-4000)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/**
 * Run the blocks of one guide, in order. Throws after the last block if any failed, with each failed block's
 * file:line and the tail of its output; background blocks are stopped (SIGTERM, then SIGKILL) whatever happens.
 * It keeps going after a failed block: later blocks may not depend on it, and one run shows every broken command.
 */
export async function runGuide(blocks: DocBlock[], cwd: string, env: NodeJS.ProcessEnv, log: (s: string) => void): Promise<BlockResult[]> {
  const background: Running[] = [];
  const results: BlockResult[] = [];
  const failures: Error[] = [];
  try {
    for (const b of blocks) {
      try {
        const r = await runBlock(b, cwd, env, background, log);
        if (r) results.push(r);
      } catch (e) {
        failures.push(e as Error);
        log(`FAILED ${(e as Error).message.split('\n')[0]}`);
      }
    }
  } finally {
    for (const r of background.reverse()) {
      killGroup(r.child, 'SIGTERM');
      const gone = await Promise.race([r.exited.then(() => true), new Promise<boolean>((res) => setTimeout(() => res(false), 3000))]);
      if (!gone) killGroup(r.child, 'SIGKILL');
    }
  }
  if (failures.length) throw new Error(`${failures.length} of ${blocks.length} blocks failed:\n\n${failures.map((f) => f.message).join('\n\n')}`);
  return results;
}

/** One block: foreground (checked), stop-on (Ctrl-C when ready) or background (left running in `background`). */
async function runBlock(b: DocBlock, cwd: string, env: NodeJS.ProcessEnv, background: Running[], log: (s: string) => void): Promise<BlockResult | null> {
  const o = b.options!;
  const where = `${b.file}:${b.line}`;
  const t0 = Date.now();
  const r = start(b, cwd, env);
  if (o.bg) {
    background.push(r);
    if (o.wait) await waitOutput(r, o.wait, o.timeoutS * 1000, where);
    log(`${where} started in the background (${Date.now() - t0} ms)`);
    return null;
  }
  const timer = setTimeout(() => killGroup(r.child, 'SIGKILL'), o.timeoutS * 1000);
  try {
    if (o.stopOn) {
      await waitOutput(r, o.stopOn, o.timeoutS * 1000, where);
      killGroup(r.child, 'SIGINT');
    }
    const { code, signal } = await r.exited;
    const res: BlockResult = { block: b, code, signal, output: r.output(), ms: Date.now() - t0 };
    log(`${where} exit ${code ?? signal} in ${res.ms} ms`);
    const fail = (why: string) => new Error(`${where}: ${why}\n--- block ---\n${b.code}\n--- output (tail) ---\n${res.output.slice(-6000)}`);
    // Ctrl-C: a program may exit 0 after cleaning up, or (npm/npx, as in a terminal) die of the SIGINT / exit 130.
    const stoppedByCtrlC = o.stopOn !== null && (signal === 'SIGINT' || code === 130);
    if (code !== o.exit && !stoppedByCtrlC) throw fail(signal ? `killed by ${signal} (timeout ${o.timeoutS} s?)` : `exit code ${code}, expected ${o.exit}`);
    for (const re of o.expect) if (!re.test(res.output)) throw fail(`output does not match /${re.source}/`);
    return res;
  } finally {
    clearTimeout(timer);
    killGroup(r.child, 'SIGKILL'); // whatever the block left behind in its group (bash already exited)
  }
}
