import { spawnWorker } from '@s2r/core/worker.ts';
const t0 = performance.now();
const w = spawnWorker(new URL('./_w.ts', import.meta.url), {});
w.on('message', (m) => { console.log(JSON.stringify(m), (performance.now() - t0).toFixed(0)); if (m.done) w.terminate(); });
