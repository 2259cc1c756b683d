/**
 * uPlot panels beside the 3D view, on one shared time axis (s since recording start), with a cursor line
 * that follows playback. Series are resampled onto a common grid of at most MAX_POINTS (sample-and-hold,
 * or the bucket maximum for loop lateness so spikes stay visible), which keeps drawing cheap and lets a
 * compared recording share the axis. Clicking a plot seeks there.
 */
import uPlot from 'uplot';
import type { Track } from './track.ts';

const MAX_POINTS = 3000;
const PALETTE = ['#4cc9f0', '#f72585', '#ffd166', '#06d6a0', '#ef476f', '#118ab2', '#f4a261', '#a8dadc', '#e76f51', '#8ecae6', '#b5179e', '#90be6d'];

type Mode = 'hold' | 'max';

function resample(track: Track, series: string, field: string, grid: Float64Array, mode: Mode): (number | null)[] {
  const s = track.series.get(series);
  const out: (number | null)[] = new Array(grid.length).fill(null);
  if (!s || s.n === 0 || !s.cols.has(field)) return out;
  const c = s.cols.get(field)!;
  const t = s.t;
  let i = 0;
  for (let g = 0; g < grid.length; g++) {
    const tg = grid[g]!;
    if (mode === 'max') {
      const lo = g === 0 ? -Infinity : grid[g - 1]!;
      let m = -Infinity;
      while (i < s.n && t[i]! <= tg) {
        if (t[i]! > lo && c[i]! > m) m = c[i]!;
        i++;
      }
      out[g] = Number.isFinite(m) ? m : null;
    } else {
      while (i < s.n - 1 && t[i + 1]! <= tg) i++;
      if (t[i]! > tg || tg > s.t[s.n - 1]! + 1e-9) continue;
      const v = c[i]!;
      out[g] = Number.isFinite(v) ? v : null;
    }
  }
  return out;
}

interface PanelDef {
  title: string;
  build(grid: Float64Array): { series: uPlot.Series[]; data: (number | null)[][] } | null;
  controls?: HTMLElement;
}

interface Panel {
  def: PanelDef;
  el: HTMLElement;
  u: uPlot | null;
  cursor: HTMLElement;
  empty: HTMLElement;
  /** Last cursor pixel written: skip DOM writes (and repaints) while the cursor stays on the same pixel. */
  lastX: number;
  /** The plot area's left edge in the panel, px, read once per uPlot instance (the panel's width is fixed). */
  left: number;
}

export class Plots {
  #root: HTMLElement;
  #panels: Panel[] = [];
  #tracks: Track[] = [];
  #onSeek: (t: number) => void;
  #grid = new Float64Array(0);
  #joint = '*';

  constructor(root: HTMLElement, onSeek: (t: number) => void) {
    this.#root = root;
    this.#onSeek = onSeek;
  }

  /** (Re)build every panel for these tracks: [primary, compare?]. */
  setTracks(tracks: Track[]): void {
    this.#tracks = tracks;
    this.#root.textContent = '';
    this.#panels = [];
    const [main, ghost] = tracks;
    if (!main) return;
    const jointSel = document.createElement('select');
    jointSel.id = 'jointsel';
    const jointNames = this.#jointNames(main);
    for (const n of ['*', ...jointNames]) {
      const o = document.createElement('option');
      o.value = n;
      o.textContent = n === '*' ? 'all joints' : n;
      jointSel.appendChild(o);
    }
    jointSel.value = this.#joint;
    jointSel.onchange = () => {
      this.#joint = jointSel.value;
      this.refresh(true);
    };
    const lineOf = (label: string, color: string, dash?: number[], width = 1): uPlot.Series => ({ label, stroke: color, width, dash, points: { show: false }, spanGaps: true });
    const withGhost = (series: string, fields: string[], labels: (f: string) => string, mode: Mode = 'hold') => (grid: Float64Array) => {
      const s: uPlot.Series[] = [];
      const d: (number | null)[][] = [];
      fields.forEach((f, i) => {
        s.push(lineOf(labels(f), PALETTE[i % PALETTE.length]!));
        d.push(resample(main, series, f, grid, mode));
        if (ghost) {
          s.push(lineOf(`${labels(f)} (cmp)`, PALETTE[i % PALETTE.length]!, [4, 4]));
          d.push(resample(ghost, series, f, grid, mode));
        }
      });
      return s.length ? { series: s, data: d } : null;
    };
    const fieldsOf = (series: string): string[] => {
      const set = new Set<string>();
      for (const tr of tracks) for (const f of tr.series.get(series)?.cols.keys() ?? []) set.add(f);
      return [...set];
    };
    const defs: PanelDef[] = [
      {
        title: 'joint position (rad) — solid: measured, dashed: target',
        controls: jointSel,
        build: (grid) => {
          const joints = this.#joint === '*' ? jointNames : [this.#joint];
          const s: uPlot.Series[] = [];
          const d: (number | null)[][] = [];
          joints.forEach((j, i) => {
            const c = PALETTE[i % PALETTE.length]!;
            s.push(lineOf(j, c));
            d.push(resample(main, 'joint_pos', j, grid, 'hold'));
            if (main.series.has('cmd_pos')) {
              s.push(lineOf(`${j} target`, c, [6, 3]));
              d.push(resample(main, 'cmd_pos', j, grid, 'hold'));
            }
            if (ghost) {
              s.push(lineOf(`${j} (cmp)`, c, [2, 3], 2));
              d.push(resample(ghost, 'joint_pos', j, grid, 'hold'));
            }
          });
          return s.length && main.series.has('joint_pos') ? { series: s, data: d } : null;
        },
      },
      { title: 'policy action', build: (grid) => withGhost('action', fieldsOf('action'), (f) => f)(grid) },
      { title: 'reward terms', build: (grid) => withGhost('reward', fieldsOf('reward'), (f) => f)(grid) },
      { title: 'loop timing (µs, max per pixel)', build: (grid) => withGhost('timing', ['lateness_us', 'exec_us'], (f) => f.replace('_us', ''), 'max')(grid) },
      {
        title: 'safety interventions',
        build: (grid) => {
          const kinds = [...new Set(tracks.flatMap((tr) => tr.events.safety.map((e) => String(e.kind))))];
          if (!kinds.length) return null;
          const s: uPlot.Series[] = [];
          const d: (number | null)[][] = [];
          tracks.forEach((tr, ti) => {
            kinds.forEach((k, ki) => {
              const col: (number | null)[] = new Array(grid.length).fill(null);
              for (const e of tr.events.safety) {
                if (e.kind !== k) continue;
                let g = lowerBound(grid, e.t);
                if (g >= grid.length) g = grid.length - 1;
                col[g] = ki + 1 + (ti ? 0.2 : 0);
              }
              s.push({ label: ti ? `${k} (cmp)` : k, stroke: PALETTE[ki % PALETTE.length]!, width: 0, paths: () => null, points: { show: true, size: ti ? 5 : 7, fill: PALETTE[ki % PALETTE.length]! } });
              d.push(col);
            });
          });
          return { series: s, data: d };
        },
      },
    ];
    for (const def of defs) {
      const el = document.createElement('div');
      el.className = 'plot';
      const h = document.createElement('h4');
      h.textContent = def.title;
      if (def.controls) h.appendChild(def.controls);
      el.appendChild(h);
      const cursor = document.createElement('div');
      cursor.className = 'cursor';
      const empty = document.createElement('div');
      empty.className = 'empty';
      empty.textContent = 'not recorded';
      el.append(cursor, empty);
      this.#root.appendChild(el);
      this.#panels.push({ def, el, u: null, cursor, empty, lastX: Number.NaN, left: 0 });
    }
    this.refresh(true);
  }

  /** Rebuild data (e.g. live data grew, joint selection changed). */
  refresh(rebuild = false): void {
    const tracks = this.#tracks;
    if (!tracks.length) return;
    const start = Math.min(...tracks.map((t) => t.start));
    const end = Math.max(...tracks.map((t) => t.end), start + 1e-3);
    const n = Math.max(2, Math.min(MAX_POINTS, Math.ceil((end - start) * 500) + 1));
    const grid = new Float64Array(n);
    for (let i = 0; i < n; i++) grid[i] = start + ((end - start) * i) / (n - 1);
    this.#grid = grid;
    const width = Math.max(200, this.#root.clientWidth - 12);
    for (const p of this.#panels) {
      const built = p.def.build(grid);
      p.empty.style.display = built ? 'none' : '';
      if (!built) {
        p.u?.destroy();
        p.u = null;
        continue;
      }
      const data = [Array.from(grid), ...built.data] as uPlot.AlignedData;
      if (p.u && !rebuild && p.u.series.length === built.series.length + 1) {
        p.u.setData(data);
        continue;
      }
      p.u?.destroy();
      p.lastX = Number.NaN;
      p.u = new uPlot(
        {
          width,
          height: 150,
          scales: { x: { time: false } },
          legend: { show: built.series.length <= 8, live: true },
          cursor: { sync: { key: 's2r' }, drag: { x: false, y: false } },
          axes: [{ stroke: '#9ab', grid: { stroke: '#2a2f38' } }, { stroke: '#9ab', grid: { stroke: '#2a2f38' }, size: 50 }],
          series: [{ label: 't (s)' }, ...built.series],
        },
        data,
        p.el,
      );
      const u = p.u;
      u.over.addEventListener('click', (e) => this.#onSeek(u.posToVal((e as MouseEvent).offsetX, 'x')));
    }
  }

  /** Move the cursor lines to time t. Cheap: positions one div per panel. */
  setCursor(t: number): void {
    for (const p of this.#panels) {
      const u = p.u;
      if (!u) {
        p.cursor.style.display = 'none';
        p.lastX = Number.NaN;
        continue;
      }
      const x = Math.round(u.valToPos(t, 'x'));
      if (x === p.lastX) continue;
      const first = Number.isNaN(p.lastX);
      p.lastX = x;
      if (first) {
        // Layout is read only here: a read after the clock's or another cursor's write would force a style and
        // layout pass in the middle of the frame.
        const over = u.over;
        p.left = over.offsetLeft;
        p.cursor.style.display = '';
        p.cursor.style.top = `${over.offsetTop}px`;
        p.cursor.style.height = `${over.clientHeight}px`;
      }
      // A transform on its own compositor layer (style.css: will-change): moving it repaints nothing.
      p.cursor.style.transform = `translateX(${p.left + x}px)`;
    }
  }

  get count(): number {
    return this.#panels.filter((p) => p.u).length;
  }

  #jointNames(track: Track): string[] {
    const s = track.series.get('joint_pos');
    return s ? [...s.cols.keys()] : [];
  }
}

function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (a[m]! < x) lo = m + 1;
    else hi = m;
  }
  return lo;
}
