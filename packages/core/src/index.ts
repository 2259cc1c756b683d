/**
 * @s2r/core public surface: the concepts sim, policies, bridge, recording and viewer share, each defined once.
 * This package imports nothing of ours.
 */
export * from './action/index.ts';
export * from './contract/index.ts';
