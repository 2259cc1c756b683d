/**
 * The shape every `npx s2r <command>` implements, plus a small, strict argument parser.
 * Commands live in their own package (`packages/<pkg>/src/cli/<name>.ts`) and export `command`.
 */
export interface Command {
  name: string;
  /** One line for `s2r --help`. */
  summary: string;
  /** Full usage text for `s2r <name> --help`. */
  usage: string;
  /** Returns the process exit code. */
  run(argv: string[]): Promise<number>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedArgs {
  positional: string[];
  /** `--key value` and `--key=value`; repeated keys collect into arrays via `all()`. */
  flags: Map<string, string[]>;
  has(name: string): boolean;
  str(name: string): string | undefined;
  str(name: string, fallback: string): string;
  num(name: string): number | undefined;
  num(name: string, fallback: number): number;
  all(name: string): string[];
}

/**
 * Parse argv against the declared flags. `booleans` take no value; everything else takes exactly one.
 * Unknown flags are an error that names the flag, so typos never pass silently.
 */
export function parseArgs(argv: string[], spec: { values?: string[]; booleans?: string[] }): ParsedArgs {
  const values = new Set(spec.values ?? []);
  const booleans = new Set([...(spec.booleans ?? []), 'help']);
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const key = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      let val: string;
      if (booleans.has(key)) {
        val = eq >= 0 ? a.slice(eq + 1) : 'true';
      } else if (values.has(key)) {
        if (eq >= 0) val = a.slice(eq + 1);
        else {
          const next = argv[i + 1];
          if (next === undefined) throw new UsageError(`--${key} needs a value`);
          val = next;
          i++;
        }
      } else {
        throw new UsageError(`unknown option --${key}`);
      }
      const list = flags.get(key) ?? [];
      list.push(val);
      flags.set(key, list);
    } else if (a === '-h') {
      flags.set('help', ['true']);
    } else {
      positional.push(a);
    }
  }
  const str = ((name: string, fallback?: string) => {
    const v = flags.get(name);
    return v ? v[v.length - 1] : fallback;
  }) as ParsedArgs['str'];
  const num = ((name: string, fallback?: number) => {
    const v = str(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`);
    return n;
  }) as ParsedArgs['num'];
  return {
    positional,
    flags,
    has: (name) => flags.has(name) && str(name) !== 'false',
    str,
    num,
    all: (name) => flags.get(name) ?? [],
  };
}

/**
 * The one `--set key=value` parser. Keys use dots for nesting (`envOverrides.episodeLengthS=10`); values parse
 * as JSON when they can (numbers, booleans, arrays), else stay strings. Whether a key exists is for the config it
 * is merged into to say (mergeConfig names unknown keys).
 */
export function parseSets(sets: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set "${s}": expected key=value`);
    const key = s.slice(0, eq).trim();
    const rawVal = s.slice(eq + 1).trim();
    let val: unknown = rawVal;
    try {
      val = JSON.parse(rawVal);
    } catch {
      /* a bare string */
    }
    const parts = key.split('.');
    let cur = out;
    for (let i = 0; i < parts.length - 1; i++) {
      const p = parts[i]!;
      if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
      cur = cur[p] as Record<string, unknown>;
    }
    cur[parts[parts.length - 1]!] = val;
  }
  return out;
}
