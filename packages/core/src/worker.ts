import { Worker, type WorkerOptions } from 'node:worker_threads';

const BOOT = new URL('./worker-boot.mjs', import.meta.url);

/**
 * Start a worker thread on a TypeScript (or JS) module.
 * `entry` is the module URL, typically `new URL('./x-worker.ts', import.meta.url)`.
 * `data` arrives in the worker as `workerData` (with an extra `__entry` key).
 */
export function spawnWorker(entry: URL, data: Record<string, unknown> = {}, options: Omit<WorkerOptions, 'workerData'> = {}): Worker {
  return new Worker(BOOT, { ...options, workerData: { ...data, __entry: entry.href } });
}
