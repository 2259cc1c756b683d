export type { AddRobotOptions, GroundSpec, LinkContact, RapierFlavor, RobotSim, SimWorld, WorldOptions } from './types.ts';
export { createWorld, type AddRobotOptionsExt, type RapierSimWorld } from './world.ts';
export { RapierRobot } from './robot-sim.ts';
export { loadRapier, type Rapier } from './rapier.ts';
export { lowestCollisionZ, standingSpawnHeight } from './spawn.ts';
