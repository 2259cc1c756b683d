/**
 * The page's side of a progressive load (server/progressive.ts): after the first snapshot is shown, fetch the
 * server's later slices one by one and append them to the track, so the timeline grows and the plots fill in
 * while the robot is already on screen. A slice request waits on the server until that slice is read.
 */
import type { SliceHeader } from '../server/progressive.ts';
import type { Track } from './track.ts';

export interface LoadState {
  /** Every slice is in (or the load stopped at an error): the track holds all the page will get. */
  loaded: boolean;
  loadedMs: number | null;
  /** Slices held (the first snapshot counts as its `slices`). */
  slices: number;
  loadError: string | null;
}

export interface FollowHooks {
  /** A slice was appended (redraw; refresh plots now and then). */
  onSlice(h: SliceHeader): void;
  /** All in: rebuild what depends on the set of series (plot panels). */
  onDone(): void;
  /** The server reordered rows at the end (a file not in time order): load the full snapshot instead. */
  onReload(): Promise<void>;
  onError(message: string): void;
}

export async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

export async function fetchBuf(url: string): Promise<ArrayBuffer> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.arrayBuffer();
}

/** Split a slice response: [u32 LE header length][JSON header][packed rows, 8-byte aligned]. */
export function parseSlice(buf: ArrayBuffer): { h: SliceHeader; body: ArrayBuffer } {
  const len = new DataView(buf).getUint32(0, true);
  const h = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, len))) as SliceHeader;
  return { h, body: buf.slice(4 + len) };
}

/** Fetch and append slices from track.meta.slices on, until the server says done. Updates `state` as it goes. */
export async function followLoad(track: Track, state: LoadState, hooks: FollowHooks): Promise<void> {
  const id = track.meta.id;
  state.slices = track.meta.slices ?? 1;
  if (!track.meta.loading) {
    // Loaded before the page asked (the full snapshot): an error that stopped the read is in its meta.
    state.loadError = track.meta.error ?? null;
    return finish(state);
  }
  try {
    // The first snapshot's other series must be in before rows are appended to them.
    await track.complete;
    for (let k = state.slices; ; k++) {
      const r = await fetch(`/api/rec/${id}/slice/${k}`);
      if (!r.ok) throw new Error(`/api/rec/${id}/slice/${k}: HTTP ${r.status} ${await r.text()}`);
      const { h, body } = parseSlice(await r.arrayBuffer());
      if (h.reload) {
        await hooks.onReload();
        return finish(state);
      }
      track.appendSlice(h, body);
      state.slices = k + 1;
      hooks.onSlice(h);
      if (h.error) {
        state.loadError = h.error;
        hooks.onError(h.error);
      }
      if (h.done) break;
    }
    track.meta.loading = false;
    hooks.onDone();
  } catch (e) {
    state.loadError = (e as Error).message;
    hooks.onError(state.loadError);
  }
  finish(state);
}

function finish(state: LoadState): void {
  state.loaded = true;
  state.loadedMs = performance.now();
}
