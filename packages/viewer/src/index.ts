/** @s2r/viewer public surface: MCAP recording (used by eval, train and deploy) and the viewer server. */
export * from './recording/index.ts';
export { serveViewer, findRecordings } from './server/serve.ts';
export type { ServeViewerOptions, ViewerServer } from './server/serve.ts';
export { buildKinTree, forwardKinematics } from './kinematics.ts';
export type { KinTree, KinNode } from './kinematics.ts';
