/** @s2r/viewer public surface: MCAP recording (used by eval, train and deploy) and the viewer server. */
export * from './recording/index.ts';
