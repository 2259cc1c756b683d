// Boots a TypeScript worker: registers tsx in this thread, then imports the
// module named in workerData.__entry. Node 20 cannot run .ts in a Worker alone.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.__entry);
