export type * from './model.ts';
export { parseUrdf, UrdfError, type ParseUrdfOptions } from './urdf.ts';
export { loadUrdf } from './load.ts';
export { mergeFixedJoints, combineInertials, totalMass } from './merge.ts';
export { resolveUri, descriptionRoot, joinPath, type ResolveOptions, type Resolved } from './paths.ts';
export { parseXml, XmlError, type XmlElement } from './xml.ts';
export { parseRobotConfig, resolveRobotConfig, RobotConfigError, type RobotConfig, type ResolvedRobotConfig } from './robot-config.ts';
export { findRobotConfig, readRobotConfig, loadRobotConfig } from './load-config.ts';
export * from './transform.ts';
