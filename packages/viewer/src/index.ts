/** @s2r/viewer public surface: the viewer server (a leaf: only the CLI imports it; recording is @s2r/recording). */
export { serveViewer, findRecordings } from './server/serve.ts';
export type { ServeViewerOptions, ViewerServer } from './server/serve.ts';
export { buildKinTree, forwardKinematics } from './kinematics.ts';
export type { KinTree, KinNode } from './kinematics.ts';
