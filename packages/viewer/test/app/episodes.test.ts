/**
 * Episode spans (src/app/episodes.ts), the one rule the timeline and the info box share: each start pairs with
 * the first later end of its index, so a recording whose runs each count from episode 0 (or bench/long-file's
 * 10× copy) shows each episode's own return, and a start with no recorded end stays open.
 */
import { describe, expect, it } from 'vitest';
import { episodeSpans, lastAt } from '../../src/app/episodes.ts';
import { EpisodeInfo } from '../../src/app/episode-info.ts';
import type { EventRec } from '../../src/data/ingest.ts';
import { Track, type TrackMeta } from '../../src/app/track.ts';

const start = (t: number, index: number): EventRec => ({ t, event: 'start', index, seed: 100 + t });
const end = (t: number, index: number, ret: number): EventRec => ({ t, event: 'end', index, return: ret, reason: 'truncated' });

/** Two runs of the same rollout: episodes 0 and 1, then 0 and 1 again from t = 10 (as a 2× copy of a file). */
const twoRuns = [start(0, 0), end(1, 0, 1), start(1, 1), end(2, 1, 2), start(10, 0), end(11, 0, 5), start(11, 1), end(12, 1, 6)];

describe('episodeSpans', () => {
  it('pairs each start with its own end when indices repeat', () => {
    const spans = episodeSpans(twoRuns);
    expect(spans.map((s) => [s.start, s.end, s.endEvent?.return])).toEqual([
      [0, 1, 1],
      [1, 2, 2],
      [10, 11, 5],
      [11, 12, 6],
    ]);
  });

  it('leaves a start without a recorded end open, and ignores ends that close nothing', () => {
    const spans = episodeSpans([end(0.5, 3, 9), start(1, 0), start(5, 0), end(6, 0, 4), end(7, 0, 8)]);
    expect(spans.map((s) => [s.start, s.end])).toEqual([
      [1, null],
      [5, 6],
    ]);
  });

  it('lastAt: the last episode started at or before t', () => {
    const spans = episodeSpans(twoRuns);
    const at = (t: number) => lastAt(spans, t, (s) => s.start);
    expect(at(-1)).toBeNull();
    expect(at(0)?.start).toBe(0);
    expect(at(10.5)?.start).toBe(10);
    expect(at(99)?.start).toBe(11);
  });
});

describe('EpisodeInfo', () => {
  it("shows the episode in force with its own return, not an earlier run's episode of the same index", () => {
    const el = { textContent: '' } as HTMLElement;
    const info = new EpisodeInfo(el);
    const track = new Track({ robot: null } as unknown as TrackMeta, new Map(), { episode: [...twoRuns], dr: [], safety: [], scene: [] });
    info.update(track, 0.5);
    expect(el.textContent).toBe('episode 0 · seed 100 · return 1.000 · truncated');
    info.update(track, 10.5);
    expect(el.textContent).toBe('episode 0 · seed 110 · return 5.000 · truncated');
    info.update(track, 11.5);
    expect(el.textContent).toBe('episode 1 · seed 111 · return 6.000 · truncated');
  });

  it('an end event that arrives later (live) fills in the open episode', () => {
    const el = { textContent: '' } as HTMLElement;
    const info = new EpisodeInfo(el);
    const track = new Track({ robot: null } as unknown as TrackMeta, new Map(), { episode: [start(0, 0)], dr: [], safety: [], scene: [] });
    info.update(track, 0.5);
    expect(el.textContent).toBe('episode 0 · seed 100');
    track.events.episode.push(end(1, 0, 2));
    info.update(track, 0.5);
    expect(el.textContent).toBe('episode 0 · seed 100 · return 2.000 · truncated');
  });
});
