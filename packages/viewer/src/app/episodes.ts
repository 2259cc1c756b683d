/**
 * Episodes of a recording, from its /episode events: the one rule the timeline (its shaded spans) and the info box
 * (the episode at the playback time, with its return and end reason) both use.
 *
 * Events are taken in recorded order. A start opens an episode of its index; the first later end of that index
 * closes it. A start of an index that is still open leaves the open one without an end (its end was not
 * recorded). So indices may repeat — a recording made of several runs, each counting from episode 0, or
 * bench/long-file's 10× copy — and each start still pairs with its own end, never with an end of an earlier run.
 * An end that closes nothing is ignored.
 */
import type { EventRec } from '../data/ingest.ts';

export interface EpisodeSpan {
  /** The episode's start event and its time. */
  startEvent: EventRec;
  start: number;
  /** Its end event and time, or null when none was recorded. */
  endEvent: EventRec | null;
  end: number | null;
}

export function episodeSpans(events: readonly EventRec[]): EpisodeSpan[] {
  const spans: EpisodeSpan[] = [];
  const open = new Map<unknown, EpisodeSpan>();
  for (const ev of events) {
    if (ev.event === 'start') {
      const span: EpisodeSpan = { startEvent: ev, start: ev.t, endEvent: null, end: null };
      spans.push(span);
      open.set(ev.index, span); // an open span of this index stays without an end
    } else if (ev.event === 'end') {
      const span = open.get(ev.index);
      if (!span || ev.t < span.start) continue;
      span.endEvent = ev;
      span.end = ev.t;
      open.delete(ev.index);
    }
  }
  return spans;
}

/** The last of `items` (in recorded order) whose time, `timeOf`, is at or before t; null when none is. */
export function lastAt<T>(items: readonly T[], t: number, timeOf: (item: T) => number): T | null {
  let found: T | null = null;
  for (const x of items) if (timeOf(x) <= t + 1e-9) found = x;
  return found;
}
