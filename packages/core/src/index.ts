/**
 * @s2r/core public surface: the concepts sim, policies, bridge, recording and viewer share, each defined once.
 * This package imports nothing of ours (and no Rapier, three.js or tfjs).
 * Browser code (the viewer's page) imports the pure modules by path (`@s2r/core/robot/kinematics.ts`): this
 * index also carries the file loaders and worker boot, which need node:*.
 */
export { Rng, type SplitKey } from './rng.ts';
export { parseArgs, parseSets, UsageError, type Command, type ParsedArgs } from './cli.ts';
export { spawnWorker } from './worker.ts';
export { pidAlive } from './pid.ts';
export * from './robot/index.ts';
export * from './action/index.ts';
export * from './contract/index.ts';
