/**
 * Training progress: a two-line live bar on a TTY (redrawn in place), plain one-line records otherwise
 * (CI logs, pipes), at most one per `minIntervalMs` unless forced.
 */
export interface ProgressInfo {
  iteration: number;
  envSteps: number;
  stepsPerS: number;
  meanReturn: number | null;
  meanLength: number | null;
  terms: Record<string, number>;
  /** 0..1 of the budget, or null when unbounded. */
  fraction: number | null;
  /** Seconds left, or null. */
  etaS: number | null;
  extra?: string;
}

function fmtNum(x: number | null, digits = 2): string {
  if (x === null || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(a >= 100 ? 1 : digits);
}

export function fmtDuration(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '–';
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(ss).padStart(2, '0')}` : `${m}:${String(ss).padStart(2, '0')}`;
}

export class Progress {
  private drawn = false;
  private last = 0;
  constructor(
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly minIntervalMs = 2000,
    private readonly tty = Boolean(out.isTTY) && !process.env.CI,
  ) {}

  lines(p: ProgressInfo): [string, string] {
    const width = 24;
    const bar = p.fraction === null ? '' : `[${'#'.repeat(Math.round(Math.min(1, p.fraction) * width)).padEnd(width, '-')}] `;
    const head =
      `${bar}it ${p.iteration} | ${fmtNum(p.envSteps)} steps | ${fmtNum(p.stepsPerS, 0)} steps/s | return ${fmtNum(p.meanReturn)} | ` +
      `ep len ${fmtNum(p.meanLength, 1)} | left ${fmtDuration(p.etaS)}${p.extra ? ` | ${p.extra}` : ''}`;
    const terms = Object.entries(p.terms)
      .map(([k, v]) => `${k} ${fmtNum(v, 3)}`)
      .join('  ');
    return [head, terms ? `  terms: ${terms}` : '  terms: –'];
  }

  update(p: ProgressInfo, force = false): void {
    const now = Date.now();
    if (this.tty) {
      const cols = this.out.columns ?? 120;
      const [a, b] = this.lines(p).map((l) => (l.length > cols - 1 ? `${l.slice(0, cols - 2)}…` : l));
      this.out.write(`${this.drawn ? '\x1b[1A\r\x1b[2K' : ''}${a}\n\x1b[2K${b}\r`);
      this.drawn = true;
      return;
    }
    if (!force && now - this.last < this.minIntervalMs) return;
    this.last = now;
    const [a, b] = this.lines(p);
    this.out.write(`${a}${b ? ` |${b.slice(1)}` : ''}\n`);
  }

  /** Leave the bar in place and move below it. */
  done(): void {
    if (this.tty && this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
