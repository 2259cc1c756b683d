/**
 * Extract the shell blocks of the guides in docs/ and their test markers (the convention is documented at the
 * top of test/docs.test.ts). Pure parsing, no I/O beyond reading the file given.
 */
import { readFileSync } from 'node:fs';

export interface BlockOptions {
  /** Regexes that the block's combined stdout+stderr must match (all of them). */
  expect: RegExp[];
  /** Expected exit code (default 0). */
  exit: number;
  /** Run in the background for the rest of the guide; killed (process group) after its last block. */
  bg: boolean;
  /** With bg: wait until the output matches before running the next block. */
  wait: RegExp | null;
  /** Wait until the output matches, then send SIGINT to the block's process group (Ctrl-C) and expect a clean exit. */
  stopOn: RegExp | null;
  /** Seconds before the block is killed and the test fails (default 150). */
  timeoutS: number;
  /** Fixtures the test must provide before the block runs ('rosbridge'). */
  needs: string[];
}

export interface DocBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  /** null: marked `<!-- not tested: reason -->`; undefined marker → `unmarked` is set instead. */
  options: BlockOptions | null;
  notTestedReason: string | null;
  unmarked: boolean;
}

const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console']);

/** Parse `key="value with spaces" key=value flag` (values in double quotes may contain \" escapes). */
export function parseMarkerOptions(text: string, where: string): BlockOptions {
  const o: BlockOptions = { expect: [], exit: 0, bg: false, wait: null, stopOn: null, timeoutS: 150, needs: [] };
  const re = /([a-z-]+)(?:=(?:"((?:[^"\\]|\\.)*)"|(\S+)))?/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const key = m[1]!;
    const raw = m[2] !== undefined ? m[2].replace(/\\"/g, '"') : m[3];
    const need = (): string => {
      if (raw === undefined) throw new Error(`${where}: test marker option "${key}" needs a value`);
      return raw;
    };
    switch (key) {
      case 'expect': o.expect.push(new RegExp(need())); break;
      case 'exit': o.exit = Number(need()); break;
      case 'bg': o.bg = true; break;
      case 'wait': o.wait = new RegExp(need()); break;
      case 'stop-on': o.stopOn = new RegExp(need()); break;
      case 'timeout': o.timeoutS = Number(need()); break;
      case 'needs': o.needs.push(...need().split(',')); break;
      default: throw new Error(`${where}: unknown test marker option "${key}"`);
    }
  }
  if (!Number.isInteger(o.exit)) throw new Error(`${where}: exit must be an integer`);
  if (o.wait && !o.bg) throw new Error(`${where}: wait= only makes sense with bg`);
  return o;
}

export function extractBlocks(file: string): DocBlock[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(```+)\s*([A-Za-z]*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[2]!;
    const lang = open[3]!.toLowerCase();
    let j = i + 1;
    while (j < lines.length && !lines[j]!.trimStart().startsWith(fence)) j++;
    const code = lines.slice(i + 1, j).join('\n');
    if (SHELL_LANGS.has(lang)) {
      let k = i - 1;
      while (k >= 0 && lines[k]!.trim() === '') k--;
      const prev = k >= 0 ? lines[k]!.trim() : '';
      const where = `${file}:${i + 1}`;
      const test = /^<!--\s*test(?::\s*(.*?))?\s*-->$/.exec(prev);
      const notTested = /^<!--\s*not tested:\s*(.+?)\s*-->$/.exec(prev);
      blocks.push({
        file,
        line: i + 1,
        lang,
        code,
        options: test ? parseMarkerOptions(test[1] ?? '', where) : null,
        notTestedReason: notTested ? notTested[1]! : null,
        unmarked: !test && !notTested,
      });
    }
    i = j;
  }
  return blocks;
}
