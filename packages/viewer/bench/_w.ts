import { parentPort } from 'node:worker_threads';
import { readRecording } from '@s2r/recording/reader.ts';
import { Ingest } from '../src/data/ingest.ts';
parentPort!.postMessage({ booted: performance.now() });
const ing = new Ingest();
let n = 0;
const f = '/tmp/s2r-bench-viewer/go1-60s-500hz-v3-x10.mcap';
readRecording(f, { onMessage: (m) => { n++; ing.add(m.topic, m.t, m.data); if (n === 1000) parentPort!.postMessage({ first: performance.now() }); } });
parentPort!.postMessage({ done: performance.now(), n });
