/**
 * The info box over the 3D view: the episode at the playback time (index, seed, return, end reason) and its
 * domain-randomization values. The text is the same for a whole episode, so it is rebuilt only when the episode or
 * DR event in force changes (or live events arrive), not every frame: no strings built, no DOM touched per frame.
 */
import type { Track } from './track.ts';

type Ev = Record<string, unknown>;

/** Index of the last event at or before time t matching `ok`, or -1. */
function lastEventAt(evs: readonly Ev[], time: number, ok: (e: Ev) => boolean): number {
  let k = -1;
  for (let i = 0; i < evs.length; i++) {
    const e = evs[i]!;
    if ((e.t as number) <= time + 1e-9 && ok(e)) k = i;
  }
  return k;
}

const isStart = (e: Ev): boolean => e.event === 'start';
const always = (): boolean => true;

export class EpisodeInfo {
  #el: HTMLElement;
  #text = '';
  /** What the text was built from: track, episode-start and DR event indices, event counts (live tracks grow). */
  #from = { track: null as Track | null, ep: -2, dr: -2, nEp: -1, nDr: -1 };

  constructor(el: HTMLElement) {
    this.#el = el;
  }

  update(track: Track, t: number): void {
    const evs = track.events;
    const epI = lastEventAt(evs.episode, t, isStart);
    const drI = lastEventAt(evs.dr, t, always);
    const f = this.#from;
    if (f.track === track && f.ep === epI && f.dr === drI && f.nEp === evs.episode.length && f.nDr === evs.dr.length) return;
    Object.assign(f, { track, ep: epI, dr: drI, nEp: evs.episode.length, nDr: evs.dr.length });
    const ep: Ev | null = epI >= 0 ? evs.episode[epI]! : null;
    const dr: Ev | null = drI >= 0 ? evs.dr[drI]! : null;
    const end = ep ? evs.episode.find((e) => e.event === 'end' && e.index === ep.index) : undefined;
    const lines: string[] = [];
    if (ep) lines.push(`episode ${String(ep.index)}${ep.seed !== undefined ? ` · seed ${String(ep.seed)}` : ''}${end && typeof end.return === 'number' ? ` · return ${end.return.toFixed(3)}` : ''}${end?.reason ? ` · ${String(end.reason)}` : ''}`);
    if (dr && dr.values && typeof dr.values === 'object')
      for (const [k, v] of Object.entries(dr.values as Record<string, unknown>)) lines.push(`${k}: ${typeof v === 'number' ? Number(v.toPrecision(4)) : JSON.stringify(v)}`);
    const text = lines.join('\n');
    if (text !== this.#text) this.#el.textContent = this.#text = text;
  }
}
