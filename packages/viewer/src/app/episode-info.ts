/**
 * The info box over the 3D view: the episode at the playback time (index, seed, return, end reason) and its
 * domain-randomization values. The text is the same for a whole episode, so it is rebuilt only when the episode or
 * DR event in force changes (a live end event makes a new episode span), not every frame: no strings built, no DOM
 * touched per frame.
 */
import type { Track } from './track.ts';
import { lastAt, type EpisodeSpan } from './episodes.ts';

type Ev = Record<string, unknown>;

export class EpisodeInfo {
  #el: HTMLElement;
  #text = '';
  /**
   * What the text was built from: the episode (from Track.episodes, whose spans are new objects whenever episode
   * events were added, so an end that arrives live rebuilds it) and the DR event in force.
   */
  #from = { ep: undefined as EpisodeSpan | null | undefined, dr: undefined as Ev | null | undefined };

  constructor(el: HTMLElement) {
    this.#el = el;
  }

  update(track: Track, t: number): void {
    const span = lastAt(track.episodes, t, (e) => e.start);
    const dr: Ev | null = lastAt(track.events.dr, t, (e) => e.t);
    const f = this.#from;
    if (f.ep === span && f.dr === dr) return;
    Object.assign(f, { ep: span, dr });
    const ep: Ev | null = span?.startEvent ?? null;
    const end = span?.endEvent ?? undefined;
    const lines: string[] = [];
    if (ep) lines.push(`episode ${String(ep.index)}${ep.seed !== undefined ? ` · seed ${String(ep.seed)}` : ''}${end && typeof end.return === 'number' ? ` · return ${end.return.toFixed(3)}` : ''}${end?.reason ? ` · ${String(end.reason)}` : ''}`);
    if (dr && dr.values && typeof dr.values === 'object')
      for (const [k, v] of Object.entries(dr.values as Record<string, unknown>)) lines.push(`${k}: ${typeof v === 'number' ? Number(v.toPrecision(4)) : JSON.stringify(v)}`);
    const text = lines.join('\n');
    if (text !== this.#text) this.#el.textContent = this.#text = text;
  }
}
