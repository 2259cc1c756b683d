/**
 * The s2r viewer page. Loads a recording (JSON meta + one binary blob of columnar series) or joins a live
 * stream, renders the robot at the playback time, and keeps timeline and plots in sync.
 * `window.__s2r` is a small hook for the browser tests and the benchmark.
 */
import * as THREE from 'three';
import { Track, type TrackMeta } from './track.ts';
import { RobotView, meshStats } from './robot-view.ts';
import { World } from './world.ts';
import { setIcon } from './icons.ts';
import { EpisodeInfo } from './episode-info.ts';
import { paintTimeline } from './timeline.ts';
import { fetchBuf, followLoad, getJson, type LoadState } from './progressive-load.ts';
import { seriesDigest } from '../data/series.ts';
import type { Plots } from './plots.ts';
import type { SceneMsg } from '@s2r/recording/topics.ts';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

interface Hook {
  ready: boolean;
  /** Progressive load of the main recording (progressive-load.ts): loaded = every slice is in. */
  load: LoadState;
  /** Series (fingerprints), events and span the main track holds now: to compare with a whole-file load. */
  digest(): unknown;
  error: string | null;
  firstFrameMs: number | null;
  meshesLoadedMs: number | null;
  /** Page-load milestones (ms since navigation start): script, data. */
  marks: Record<string, number>;
  frames: number;
  time: number;
  start: number;
  end: number;
  playing: boolean;
  speed: number;
  notes: string[];
  plots: number;
  liveMessages: number;
  setTime(t: number): void;
  play(): void;
  pause(): void;
  setSpeed(s: number): void;
  step(dir: 1 | -1): void;
  linkWorldPose(name: string, ghost?: boolean): number[] | null;
  recordedPose(name: string, t: number): number[] | null;
  renderedAt(): number;
  /** True when the last rendered frame shows the current time and nothing is waiting to be drawn. */
  settled(): boolean;
  meshStats: typeof meshStats;
  /** Cumulative JS time (ms) spent updating the scene and issuing the render, per rendered frame count n. */
  prof: { update: number; render: number; n: number };
  renderInfo(): Record<string, number>;
  /** One synchronous render (gl.finish): the renderer's real cost per frame, ms. */
  finishMs(): number;
  renderOnly(): void;
  renderScale(): number;
  /** Episode boundaries drawn on the timeline. */
  timelineMarks: { t: number; event: string; index: number }[];
  /** Camera position and orbit target (x y z, x y z). */
  camera(): number[];
  /** Move the camera (position, orbit target; m, world frame). */
  setCamera(position: number[], target: number[]): void;
  readonly scene: THREE.Scene;
}

const hook: Hook = {
  ready: false,
  load: { loaded: false, loadedMs: null, slices: 0, loadError: null },
  digest: () => main && { series: seriesDigest(main.series), events: main.events, start: main.start, end: main.end, complete: main.meta.complete },
  error: null,
  firstFrameMs: null,
  meshesLoadedMs: null,
  marks: {},
  frames: 0,
  time: 0,
  start: 0,
  end: 0,
  playing: false,
  speed: 1,
  notes: [],
  plots: 0,
  liveMessages: 0,
  setTime: (t) => setTime(t),
  play: () => setPlaying(true),
  pause: () => setPlaying(false),
  setSpeed: (s) => {
    hook.speed = s;
    $<HTMLSelectElement>('speed').value = String(s);
  },
  step: (d) => step(d),
  linkWorldPose(name, ghost = false) {
    const view = ghost ? ghostView : mainView;
    const g = view?.links.get(name);
    if (!g) return null;
    const p = new THREE.Vector3();
    const q = new THREE.Quaternion();
    const s = new THREE.Vector3();
    g.matrixWorld.decompose(p, q, s);
    return [p.x, p.y, p.z, q.x, q.y, q.z, q.w];
  },
  recordedPose(name, t) {
    const p = main?.recordedPose(name, t);
    return p ? Array.from(p) : null;
  },
  renderedAt: () => renderedTime,
  settled: () => !dirty && !needsRender && renderedTime === t,
  meshStats,
  prof: { update: 0, render: 0, n: 0 },
  timelineMarks: [],
  camera: () => [...world.camera.position.toArray(), ...world.controls.target.toArray()],
  setCamera: (p, tg) => {
    world.camera.position.set(p[0]!, p[1]!, p[2]!);
    world.controls.target.set(tg[0]!, tg[1]!, tg[2]!);
    world.controls.update();
    redraw();
  },
  renderScale: () => world.renderScale,
  renderInfo: () => ({ ...world.renderer.info.render, programs: world.renderer.info.programs?.length ?? 0, geometries: world.renderer.info.memory.geometries, pixelRatio: world.renderer.getPixelRatio() }),
  renderOnly: () => world.render(),
  get scene() {
    return world.scene;
  },
  finishMs: () => {
    const gl = world.renderer.getContext();
    const t0 = performance.now();
    world.render();
    gl.finish();
    return performance.now() - t0;
  },
};
(window as unknown as { __s2r: Hook }).__s2r = hook;

let world: World;
let main: Track | null = null;
let ghost: Track | null = null;
let mainView: RobotView | null = null;
let ghostView: RobotView | null = null;
let plots: Plots | null = null;
let resolvePlots!: (p: Plots) => void;
/** uPlot and the panels load after the first frame. */
const plotsReady: Promise<Plots> = new Promise((resolve) => (resolvePlots = resolve));
let t = 0;
let renderedTime = Number.NaN;
let lastWall = 0;
let dirty = true;
let needsRender = true;
let lastRenderWall = 0;
let lastSceneT = Number.NaN;
let liveMode = false;
let framePending = false;

/**
 * Ask for an animation frame (at most one pending). The loop runs only while something is to be drawn: an idle,
 * paused viewer schedules no frames at all, so it costs nothing beside other pages (and, with uncapped frames,
 * does not spin).
 */
function wake(): void {
  if (framePending) return;
  framePending = true;
  requestAnimationFrame(frame);
}

/** The scene must be recomputed at the current time (data, time or display options changed). */
function invalidate(): void {
  dirty = true;
  wake();
}

/** Only the picture must be redrawn (camera moved, canvas resized). */
function redraw(): void {
  needsRender = true;
  wake();
}

function note(msg: string, error = false): void {
  if (hook.notes.includes(msg)) return;
  hook.notes.push(msg);
  const d = document.createElement('div');
  d.className = error ? 'note error' : 'note';
  d.textContent = msg;
  $('notes').appendChild(d);
}

const early = new Map<string, Promise<Track>>();

async function loadTrack(id: string): Promise<Track> {
  const pre = early.get(id);
  if (pre) return pre;
  // The first window's blob is fetched beside the meta; if the server finished loading meanwhile, the meta is the
  // full snapshot's and its blob follows (?v= keeps meta and blobs of one snapshot).
  const [meta, first] = await Promise.all([getJson<TrackMeta>(`/api/rec/${id}/meta`), fetchBuf(`/api/rec/${id}/data?v=first`)]);
  const buf = meta.v === 'full' ? await fetchBuf(`/api/rec/${id}/data?v=full`) : first;
  hook.marks[`data:${id}`] ??= performance.now();
  const track = Track.fromBinary(meta, buf);
  track.complete = fetchBuf(`/api/rec/${id}/rest?v=${meta.v ?? 'full'}`)
    .then((b) => {
      track.addRest(b);
      invalidate();
    })
    .catch((e: Error) => note(`${meta.name}: plots incomplete — ${e.message}`, true));
  return track;
}

/** Fetch the rest of a progressively loaded recording into `track` (the main one reports in hook.load). */
function follow(track: Track, isMain: boolean): void {
  const state: LoadState = isMain ? hook.load : { loaded: false, loadedMs: null, slices: 0, loadError: null };
  let lastRefresh = 0;
  let refreshMs = 0;
  void followLoad(track, state, {
    onSlice: () => {
      if (main) hook.end = spanEnd(main);
      // Plots resample every series: on a long file that costs, so refresh at most every 10× its cost (≥ 0.5 s).
      const now = performance.now();
      if (plots && now - lastRefresh > Math.max(500, 10 * refreshMs)) {
        plots.refresh();
        lastRefresh = performance.now();
        refreshMs = lastRefresh - now;
      }
      if (track.meta.fileEnd) $('loadstate').textContent = `loading ${Math.round((100 * (track.end - track.start)) / Math.max(1e-9, track.meta.fileEnd - track.start))} %`;
      invalidate();
    },
    onDone: () => {
      $('loadstate').textContent = '';
      if (plots && (track === main || track === ghost)) plots.setTracks(ghost ? [main!, ghost] : [main!]);
      invalidate();
    },
    onReload: async () => {
      early.delete(track.meta.id);
      const full = await loadTrack(track.meta.id);
      await full.complete;
      if (track === main) setTracks(full, ghost);
      else if (track === ghost && main) setTracks(main, full);
    },
    onError: (m) => {
      $('loadstate').textContent = '';
      note(`${track.meta.name}: ${m} — showing what was read before it`, true);
    },
  });
}

function attachRobot(track: Track, isGhost: boolean): RobotView | null {
  const robot = track.meta.robot;
  if (!robot) {
    note(`${track.meta.name}: no robot shown — ${track.meta.robotError ?? 'no URDF in the recording'}`, true);
    return null;
  }
  const view = new RobotView(robot, {
    ghost: isGhost,
    onNote: (m) => {
      if (!isGhost) note(m);
    },
  });
  world.scene.add(view.root);
  view.ready.then(() => {
    if (!isGhost && hook.meshesLoadedMs === null) hook.meshesLoadedMs = performance.now();
    invalidate();
  });
  return view;
}

function sceneAt(track: Track, time: number): SceneMsg | null {
  let last: SceneMsg | null = null;
  for (const e of track.events.scene) {
    if (e.t <= time || last === null) last = e as unknown as SceneMsg;
    else break;
  }
  return last;
}

/** End of what is shown: the main recording's, or the compared one's where it runs longer. */
const spanEnd = (m: Track): number => Math.max(m.end, ghost?.end ?? -Infinity);

function setTime(nt: number): void {
  if (!main) return;
  t = Math.min(Math.max(nt, main.start), spanEnd(main));
  hook.time = t;
  invalidate();
}

function setPlaying(p: boolean): void {
  hook.playing = p;
  setIcon($('play'), p ? 'pause' : 'play', p ? 'pause' : 'play');
  if (p && main && t >= main.end - 1e-9 && !liveMode) setTime(main.start);
  lastWall = performance.now();
  if (p) wake();
  else invalidate(); // one more frame brings the clock, slider and cursors (10 Hz while playing) up to date
}

function step(dir: 1 | -1): void {
  if (!main) return;
  setPlaying(false);
  const ft = main.frameTimes();
  if (!ft.length) return;
  let lo = 0;
  let hi = ft.length - 1;
  // nearest index with time > t (forward) or < t (back)
  if (dir > 0) {
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (ft[m]! > t + 1e-12) hi = m;
      else lo = m + 1;
    }
    setTime(ft[lo]!);
  } else {
    while (lo < hi) {
      const m = (lo + hi + 1) >> 1;
      if (ft[m]! < t - 1e-12) lo = m;
      else hi = m - 1;
    }
    setTime(ft[lo]!);
  }
}

const _base = new THREE.Vector3();

function drawTimeline(): void {
  hook.timelineMarks = paintTimeline($<HTMLCanvasElement>('timeline'), main, ghost);
}

/**
 * While playing, the clock, slider, plot cursors and info box refresh at most every UI_PERIOD_MS: each change is a
 * style, layout, paint and composite of part of the page, which on a software-composited page cost more than the
 * numbers are worth at 60 fps (nobody reads a clock at 60 Hz). Paused, seeking or stepping, they follow at once.
 */
const UI_PERIOD_MS = 100;
let lastUiWall = -Infinity;

function drawCursor(now: number): void {
  if (!main) return;
  if (hook.playing && now - lastUiWall < UI_PERIOD_MS) return;
  lastUiWall = now;
  const s = main.start;
  const e = Math.max(spanEnd(main), s + 1e-6);
  // Touch the DOM only when what it shows changes: every write is a repaint, and software compositing is slow.
  const v = Math.round(((t - s) / (e - s)) * 2000) * 50;
  if (!scrubbing && v !== lastScrub) els.scrub.value = String((lastScrub = v));
  const tc = Math.round(t * 100);
  const ec = Math.round(e * 100);
  if (tc !== lastClockT || ec !== lastClockE) {
    lastClockT = tc;
    lastClockE = ec;
    els.clock.textContent = `${t.toFixed(2)} s / ${e.toFixed(2)} s`;
  }
  plots?.setCursor(t);
  info.update(main, t);
}

let scrubbing = false;
let lastScrub = Number.NaN;
let lastClockT = Number.NaN;
let lastClockE = Number.NaN;
/** What the timeline was drawn for (event counts, end time); ep = -1 forces a redraw. */
const timelineFor = { ep: -1, safety: -1, end: Number.NaN };

/** The elements the frame loop reads or writes, looked up once (the module runs after the page is parsed). */
const els = {
  scrub: $<HTMLInputElement>('scrub'),
  loop: $<HTMLInputElement>('loop'),
  livefollow: $<HTMLInputElement>('livefollow'),
  contacts: $<HTMLInputElement>('contacts'),
  forces: $<HTMLInputElement>('forces'),
  follow: $<HTMLInputElement>('follow'),
  clock: $('clock'),
  info: $('info'),
};

const info = new EpisodeInfo(els.info);

/** The main robot's rendered link position (for contact markers); false when the link is not shown. */
function mainLinkPos(link: string, out: THREE.Vector3): boolean {
  const g = mainView?.links.get(link);
  if (!g) return false;
  out.copy(g.position);
  return true;
}

function frame(now: number): void {
  framePending = false;
  const dtWall = (now - lastWall) / 1000;
  lastWall = now;
  if (main && hook.playing && !liveMode) {
    const end = spanEnd(main);
    let nt = t + dtWall * hook.speed;
    if (nt > end) nt = els.loop.checked ? main.start + (nt - end) : end;
    if (nt >= end && !els.loop.checked) setPlaying(false);
    setTime(nt);
  }
  if (main && liveMode && els.livefollow.checked && t !== main.end) setTime(main.end);
  const p0 = performance.now();
  if (main && dirty) {
    if (mainView && main.kin) {
      mainView.setPoses(main.kin, main.computePoses(t));
      const bi = main.kin.index.get(main.kin.nodes[0]!.link)!;
      _base.set(main.poses[bi * 7]!, main.poses[bi * 7 + 1]!, main.poses[bi * 7 + 2]!);
    }
    if (ghostView && ghost?.kin) ghostView.setPoses(ghost.kin, ghost.computePoses(t));
    const sc = sceneAt(main, t);
    const sceneKey = sc ? (sc as unknown as { t: number }).t : Number.NaN;
    if (!Object.is(sceneKey, lastSceneT)) {
      lastSceneT = sceneKey;
      world.setScene(sc);
    }
    world.updateBodies(main, t);
    world.updateContacts(main, mainLinkPos, t, els.contacts.checked, els.forces.checked);
    world.follow(mainView ? _base : null, els.follow.checked);
    const ev = main.events;
    // The timeline is scaled to the span's end, which a compared recording still loading can move too.
    const end = spanEnd(main);
    if (ev.episode.length !== timelineFor.ep || ev.safety.length !== timelineFor.safety || end !== timelineFor.end) {
      Object.assign(timelineFor, { ep: ev.episode.length, safety: ev.safety.length, end });
      drawTimeline();
    }
    drawCursor(now);
    dirty = false;
    needsRender = true;
  }
  // Render on demand: an idle, paused viewer costs nothing (software renderers share the CPU with everything).
  const p1 = performance.now();
  if (needsRender) {
    needsRender = false;
    if (hook.playing && lastRenderWall > 0) world.adapt(now - lastRenderWall);
    lastRenderWall = now;
    if (main && hook.firstFrameMs === null) hook.marks.render = performance.now();
    world.render();
    hook.prof.update += p1 - p0;
    hook.prof.render += performance.now() - p1;
    hook.prof.n++;
    renderedTime = t;
    hook.frames++;
    if (main && hook.firstFrameMs === null) {
      hook.firstFrameMs = performance.now();
      hook.ready = true;
    }
  }
  if (hook.playing) wake(); // (live mode moves time only when following; the rest was asked for by invalidate/redraw)
}

async function showTracks(mainId: string, cmpId: string): Promise<void> {
  const tracks = await Promise.all([loadTrack(mainId), cmpId ? loadTrack(cmpId) : Promise.resolve(null)]);
  setTracks(tracks[0], tracks[1]);
  follow(tracks[0], true);
  if (tracks[1]) follow(tracks[1], false);
}

function setTracks(m: Track, g: Track | null): void {
  hook.marks.tracks ??= performance.now();
  mainView?.dispose();
  ghostView?.dispose();
  main = m;
  ghost = g;
  hook.notes = [];
  $('notes').textContent = '';
  if (m.meta.error) note(`${m.meta.name}: ${m.meta.error}`, true);
  if (!m.meta.complete && !liveMode) note(`${m.meta.name} has no footer (still being recorded, or the writer was killed): showing everything up to its last complete chunk.`);
  mainView = attachRobot(m, false);
  ghostView = g ? attachRobot(g, true) : null;
  hook.start = m.start;
  hook.end = Math.max(m.end, g?.end ?? -Infinity);
  lastSceneT = Number.NaN;
  timelineFor.ep = -1;
  setTime(m.start);
  $('legend').textContent = g ? `ghost (blue): ${g.meta.name}` : '';
  $('status').textContent = `${m.meta.robot?.name ?? ''} · ${(m.end - m.start).toFixed(2)} s${m.meta.meta.task ? ` · ${m.meta.meta.task}` : ''}${m.meta.meta.policy ? ` · ${m.meta.meta.policy}` : ''}`;
  // Plots after the first frame: the robot shows first, then uPlot builds its paths.
  void Promise.all([plotsReady, m.complete, g?.complete]).then(([pl]) =>
    setTimeout(() => {
      pl.setTracks(g ? [m, g] : [m]);
      hook.plots = pl.count;
      invalidate();
    }, 0),
  );
}

function startLive(): void {
  liveMode = true;
  $('livewrap').hidden = false;
  $('status').textContent = 'live: waiting for a stream…';
  const ws = new WebSocket(`ws://${location.host}/live?role=viewer`);
  let lastRefresh = 0;
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data as string);
    if (msg.op === 'robot') {
      const meta: TrackMeta = {
        id: 'live',
        name: 'live',
        start: 0,
        end: 0,
        complete: true,
        meta: msg.meta ?? {},
        robot: msg.robot,
        robotError: msg.robotError,
        jointNames: msg.jointNames ?? [],
        layout: [],
        events: { safety: [], episode: [], dr: [], scene: [] },
      };
      setTracks(Track.live(meta), null);
      $('status').textContent = `live: ${msg.robot?.name ?? 'no robot'}`;
    } else if (msg.op === 'batch' && main?.ingest) {
      for (const m of msg.msgs) main.ingest.add(m.topic, m.t, m.data);
      hook.liveMessages += msg.msgs.length;
      hook.end = main.end;
      invalidate();
      const now = performance.now();
      if (now - lastRefresh > 500 && plots) {
        lastRefresh = now;
        plots.refresh();
        hook.plots = plots.count;
        timelineFor.ep = -1;
      }
    }
  };
  ws.onclose = () => note('live stream closed');
}

async function boot(): Promise<void> {
  hook.marks.script = performance.now();
  world = new World($('view3d'));
  hook.marks.webgl = performance.now();
  world.controls.addEventListener('change', redraw);
  new ResizeObserver(redraw).observe($('view3d'));
  void import('./plots.ts').then(({ Plots: P }) => {
    plots = new P($('plots'), (tt) => {
      setPlaying(false);
      setTime(tt);
    });
    resolvePlots(plots);
  });
  wake();
  const params = new URLSearchParams(location.search);
  // Start downloading the recording now, in parallel with the session request (first frame ≤ 1 s).
  if (params.get('live') !== '1') {
    const id = params.get('rec') ?? '0';
    const pre = loadTrack(id);
    pre.catch(() => undefined);
    early.set(id, pre);
  }
  const session = await getJson<{ recordings: { id: string; name: string }[]; live: boolean }>('/api/session');
  const recSel = $<HTMLSelectElement>('rec');
  const cmpSel = $<HTMLSelectElement>('cmp');
  for (const r of session.recordings) {
    recSel.add(new Option(r.name, r.id));
    cmpSel.add(new Option(r.name, r.id));
  }
  if (session.live) recSel.add(new Option('live stream', 'live'));
  const wantLive = params.get('live') === '1' || session.recordings.length === 0;
  const mainId = wantLive ? 'live' : (params.get('rec') ?? session.recordings[0]!.id);
  const cmpId = params.get('cmp') ?? '';
  recSel.value = mainId;
  cmpSel.value = cmpId;
  const reload = (): void => {
    const p = new URLSearchParams();
    if (recSel.value === 'live') p.set('live', '1');
    else p.set('rec', recSel.value);
    if (cmpSel.value) p.set('cmp', cmpSel.value);
    location.search = p.toString();
  };
  recSel.onchange = reload;
  cmpSel.onchange = reload;

  setIcon($('play'), 'play', 'play');
  setIcon($('back'), 'back', 'previous frame');
  setIcon($('fwd'), 'fwd', 'next frame');
  $('play').onclick = () => setPlaying(!hook.playing);
  $('back').onclick = () => step(-1);
  $('fwd').onclick = () => step(1);
  $<HTMLSelectElement>('speed').onchange = (e) => (hook.speed = Number((e.target as HTMLSelectElement).value));
  for (const id of ['contacts', 'forces', 'follow']) $(id).onchange = invalidate;
  const scrub = $<HTMLInputElement>('scrub');
  scrub.oninput = () => {
    if (!main) return;
    scrubbing = true;
    lastScrub = Number.NaN; // the user moved it: the next write must not be skipped as unchanged
    const e = spanEnd(main);
    setTime(main.start + (Number(scrub.value) / 100000) * (e - main.start));
  };
  scrub.onchange = () => (scrubbing = false);
  window.addEventListener('keydown', (e) => {
    if ((e.target as HTMLElement).tagName === 'SELECT') return;
    if (e.key === ' ') {
      e.preventDefault();
      setPlaying(!hook.playing);
    } else if (e.key === 'ArrowRight') step(1);
    else if (e.key === 'ArrowLeft') step(-1);
  });
  window.addEventListener('resize', () => {
    timelineFor.ep = -1;
    invalidate();
  });

  if (wantLive) startLive();
  else await showTracks(mainId, cmpId);
  if (params.get('play') === '1') setPlaying(true);
}

boot().catch((e: Error) => {
  hook.error = e.message;
  note(`viewer failed to start: ${e.message}`, true);
  console.error(e);
});
