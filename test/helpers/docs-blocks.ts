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

/** Every `npx s2r CMD … --flag` (and `npm start -- … --flag`, i.e. `main`) in a shell block: [command, flag, line]. */
export function cliFlags(block: DocBlock): { cmd: string; flag: string; line: number }[] {
  const out: { cmd: string; flag: string; line: number }[] = [];
  // Join backslash continuations so a command's flags on later lines count.
  const lines = block.code.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const first = i;
    let text = lines[i]!;
    while (text.endsWith('\\') && i + 1 < lines.length) text = text.slice(0, -1) + ' ' + lines[++i]!;
    // Quoted arguments ('0,0,0@0;0.3,0,0@5') may hold separators: blank them before splitting into commands.
    const unquoted = text.replace(/'[^']*'|"[^"]*"/g, (q) => q[0] + 'x'.repeat(q.length - 2) + q[0]);
    for (const seg of unquoted.split(/\s*(?:&&|\|\||;|\|)\s*/)) {
      const m = /(?:^|\s)npx s2r ([a-z]+)\b(.*)$/.exec(seg) ?? /(?:^|\s)npm start\b(.*)$/.exec(seg);
      if (!m) continue;
      const cmd = m.length === 3 ? m[1]! : 'main';
      const rest = m.length === 3 ? m[2]! : m[1]!;
      for (const f of rest.matchAll(/(?:^|\s)(--[a-z][a-z-]*)/g)) out.push({ cmd, flag: f[1]!, line: block.line + 1 + first });
    }
  }
  return out;
}

/** Relative Markdown links `[text](target)` outside code blocks: [target, 1-based line]. */
export function relativeLinks(file: string): { target: string; line: number }[] {
  const out: { target: string; line: number }[] = [];
  let fence = false;
  readFileSync(file, 'utf8').split('\n').forEach((l, i) => {
    if (/^\s*```/.test(l)) fence = !fence;
    if (fence) return;
    for (const m of l.matchAll(/\]\(([^)\s]+)\)/g)) {
      const t = m[1]!;
      if (!/^[a-z]+:/i.test(t)) out.push({ target: t, line: i + 1 });
    }
  });
  return out;
}

/** GitHub's heading anchors of a Markdown file (lower-case, punctuation dropped, spaces → '-'). */
export function headingAnchors(file: string): Set<string> {
  const set = new Set<string>();
  let fence = false;
  for (const l of readFileSync(file, 'utf8').split('\n')) {
    if (/^\s*```/.test(l)) fence = !fence;
    const m = !fence && /^#{1,6}\s+(.*)$/.exec(l);
    if (m) set.add(m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-'));
  }
  return set;
}

/** Every `--long-flag` token anywhere in a guide (prose, tables, inline code, shell blocks): [flag, 1-based line]. */
export function allFlagTokens(file: string): { flag: string; line: number }[] {
  const out: { flag: string; line: number }[] = [];
  let lang: string | null = null;
  readFileSync(file, 'utf8').split('\n').forEach((l, i) => {
    const f = /^\s*```+\s*([A-Za-z]*)/.exec(l);
    if (f) {
      lang = lang === null ? f[1]!.toLowerCase() : null;
      return;
    }
    if (lang !== null && !SHELL_LANGS.has(lang) && lang !== '') return; // yaml/json/ts: not command lines
    for (const m of l.matchAll(/(?:^|[\s`(|])(--[a-z][a-z-]+)/g)) out.push({ flag: m[1]!, line: i + 1 });
  });
  return out;
}
