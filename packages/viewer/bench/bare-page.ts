/**
 * The bare three.js reference page for `bench:viewer`'s fps_ratio (browser code, bundled by bench/fps.ts).
 * It draws what the viewer draws of the robot and nothing else: the same recording's robot, its meshes loaded
 * the same way (RobotView: same loaders, same level-of-detail simplification), the same renderer settings,
 * background, lights and camera framing (createStage, CAMERA_HOME), at the canvas size the viewer's 3D view has
 * (?w=&h=, CSS px) and pixel ratio 1 (the viewer runs with ?scale=1 for the comparison). No UI, no plots, no floor.
 * The robot is posed once at the recording's start; while `running`, every animation frame renders the scene.
 */
import * as THREE from 'three';
import { CAMERA_HOME, createStage } from '../src/app/world.ts';
import { RobotView } from '../src/app/robot-view.ts';
import { Track, type TrackMeta } from '../src/app/track.ts';

interface BareHook {
  ready: boolean;
  error: string | null;
  frames: number;
  running: boolean;
  triangles: number;
  calls: number;
  /** Start or stop drawing. Stopped, the page schedules no animation frames at all (like the paused viewer). */
  run(on: boolean): void;
}
const hook: BareHook = { ready: false, error: null, frames: 0, running: false, triangles: 0, calls: 0, run: (on) => run(on) };
(window as unknown as { __bare: BareHook }).__bare = hook;

const q = new URLSearchParams(location.search);
const w = Number(q.get('w'));
const h = Number(q.get('h'));
const rec = q.get('rec') ?? '0';
const { renderer, scene, camera } = createStage();

async function boot(): Promise<void> {
  if (!(w > 0 && h > 0)) throw new Error(`bare page: ?w= and ?h= must be the canvas size in px, got w=${q.get('w')} h=${q.get('h')}`);
  document.body.style.margin = '0';
  renderer.domElement.style.display = 'block';
  renderer.domElement.style.width = `${w}px`;
  renderer.domElement.style.height = `${h}px`;
  renderer.setSize(w, h, false);
  document.body.appendChild(renderer.domElement);
  camera.aspect = w / h;
  camera.updateProjectionMatrix();
  const meta = (await (await fetch(`/api/rec/${rec}/meta`)).json()) as TrackMeta;
  const data = await (await fetch(`/api/rec/${rec}/data`)).arrayBuffer();
  const track = Track.fromBinary(meta, data);
  if (!meta.robot || !track.kin) throw new Error(`bare page: recording ${rec} has no robot`);
  const view = new RobotView(meta.robot);
  scene.add(view.root);
  await view.ready;
  const poses = track.computePoses(track.start);
  view.setPoses(track.kin, poses);
  // Frame the base as the viewer's follow mode does: camera at base + (home position − home target).
  const base = new THREE.Vector3(poses[0], poses[1], poses[2]);
  camera.position.set(...CAMERA_HOME.position).sub(new THREE.Vector3(...CAMERA_HOME.target)).add(base);
  camera.lookAt(base);
  renderer.render(scene, camera);
  hook.triangles = renderer.info.render.triangles;
  hook.calls = renderer.info.render.calls;
  hook.ready = true;
}

let pending = false;

function frame(): void {
  pending = false;
  if (!hook.running) return;
  pending = true;
  requestAnimationFrame(frame);
  renderer.render(scene, camera);
  hook.frames++;
}

function run(on: boolean): void {
  hook.running = on;
  if (on && !pending) {
    pending = true;
    requestAnimationFrame(frame);
  }
}

boot().catch((e: Error) => {
  hook.error = e.message;
});
