/** The timeline strip under the 3D view: episode spans and boundaries, safety events. */
import type { Track } from './track.ts';

/** Paint the timeline for `main` (and the compared track's span); returns the episode marks drawn. */
export function paintTimeline(c: HTMLCanvasElement, main: Track | null, ghost: Track | null): { t: number; event: string; index: number }[] {
  const w = c.clientWidth;
  if (c.width !== w) c.width = w;
  const g = c.getContext('2d')!;
  g.clearRect(0, 0, c.width, c.height);
  if (!main) return [];
  const s = main.start;
  const e = Math.max(main.end, ghost?.end ?? 0, s + 1e-6);
  const x = (tt: number): number => ((tt - s) / (e - s)) * (w - 1);
  g.fillStyle = '#2a2f38';
  g.fillRect(0, 0, w, c.height);
  // episode spans (episodes.ts), alternating shades, with start/end boundaries; one without a recorded end runs
  // to the next episode's start, or to the end of the recording
  const eps = main.events.episode;
  const spans = main.episodes;
  spans.forEach((sp, i) => {
    const to = sp.end ?? spans[i + 1]?.start ?? e;
    g.fillStyle = i % 2 ? '#33404f' : '#2d3846';
    g.fillRect(x(sp.start), 0, Math.max(1, x(to) - x(sp.start)), c.height);
  });
  const marks = eps.map((ev) => ({ t: ev.t, event: String(ev.event), index: Number(ev.index) }));
  for (const ev of eps) {
    g.fillStyle = ev.event === 'start' ? '#7fd0ff' : '#ff9f6b';
    g.fillRect(Math.round(x(ev.t)), 0, 2, c.height);
    if (ev.event === 'start') {
      g.fillStyle = '#cde';
      g.font = '10px sans-serif';
      g.fillText(`ep ${String(ev.index)}`, x(ev.t) + 4, 10);
    }
  }
  g.fillStyle = '#ff4d4d';
  for (const ev of main.events.safety) g.fillRect(Math.round(x(ev.t)), c.height - 8, 1, 8);
  return marks;
}
