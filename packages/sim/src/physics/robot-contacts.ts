/**
 * RapierRobot, part 2 of 5: contacts. The world's contact-force events are drained into one force magnitude per
 * contact link (the URDF link that declared the collision shape, so a foot merged into its calf still reports
 * apart); the robot drains lazily, when a caller asks after a step.
 */
import type { LinkContact } from './types.ts';
import { RobotBase } from './robot-base.ts';

export abstract class RobotContacts extends RobotBase {
  /** Contact force magnitude per contact link (N) from the last step. Owned by the robot; copy to keep. */
  contactForces(): Float32Array {
    if (!this.contactsFresh) {
      this.hooks.drainContacts();
    }
    return this.contactForce;
  }

  /** Mark contact arrays as up to date (called by the world after draining its event queue). */
  markContactsFresh(): void {
    this.contactsFresh = true;
  }

  contacts(): LinkContact[] {
    const f = this.contactForces();
    return this.contactLinkNames.map((link, i) => ({ link, inContact: f[i]! > 0, force: f[i]! }));
  }

  /** Index of a link in contactLinkNames, or −1. Use with contactForces() in hot loops. */
  contactIndex(link: string): number {
    return this.contactLinkNames.indexOf(link);
  }
}
