/**
 * The info box over the 3D view: the episode at the playback time (index, seed, return, end reason) and its
 * domain-randomization values. The text is the same for a whole episode, so it is rebuilt only when the episode or
 * DR event in force changes (or live events arrive), not every frame: no strings built, no DOM touched per frame.
 */
import type { Track } from './track.ts';
import { episodeSpans, spanAt, type EpisodeSpan } from './episodes.ts';

type Ev = Record<string, unknown>;

/** Index of the last event at or before time t, or -1. */
function lastEventAt(evs: readonly Ev[], time: number): number {
  let k = -1;
  for (let i = 0; i < evs.length; i++) if ((evs[i]!.t as number) <= time + 1e-9) k = i;
  return k;
}

export class EpisodeInfo {
  #el: HTMLElement;
  #text = '';
  /** What the text was built from: track, episode span, DR event index, event counts (live tracks grow). */
  #from = { track: null as Track | null, ep: undefined as EpisodeSpan | null | undefined, dr: -2, nEp: -1, nDr: -1 };
  /** The track's episodes (episodes.ts), worked out again only when its episode events change. */
  #spans = { track: null as Track | null, n: -1, spans: [] as EpisodeSpan[] };

  constructor(el: HTMLElement) {
    this.#el = el;
  }

  update(track: Track, t: number): void {
    const evs = track.events;
    const sp = this.#spans;
    if (sp.track !== track || sp.n !== evs.episode.length) Object.assign(sp, { track, n: evs.episode.length, spans: episodeSpans(evs.episode) });
    const span = spanAt(sp.spans, t);
    const drI = lastEventAt(evs.dr, t);
    const f = this.#from;
    if (f.track === track && f.ep === span && f.dr === drI && f.nEp === evs.episode.length && f.nDr === evs.dr.length) return;
    Object.assign(f, { track, ep: span, dr: drI, nEp: evs.episode.length, nDr: evs.dr.length });
    const ep: Ev | null = span?.startEvent ?? null;
    const dr: Ev | null = drI >= 0 ? evs.dr[drI]! : null;
    const end = span?.endEvent ?? undefined;
    const lines: string[] = [];
    if (ep) lines.push(`episode ${String(ep.index)}${ep.seed !== undefined ? ` · seed ${String(ep.seed)}` : ''}${end && typeof end.return === 'number' ? ` · return ${end.return.toFixed(3)}` : ''}${end?.reason ? ` · ${String(end.reason)}` : ''}`);
    if (dr && dr.values && typeof dr.values === 'object')
      for (const [k, v] of Object.entries(dr.values as Record<string, unknown>)) lines.push(`${k}: ${typeof v === 'number' ? Number(v.toPrecision(4)) : JSON.stringify(v)}`);
    const text = lines.join('\n');
    if (text !== this.#text) this.#el.textContent = this.#text = text;
  }
}
