/**
 * SimHardware with a task scene (issue 15): for z1-push the simulator builds the task's table, block and goal around
 * the arm, drawn from the seed exactly as the training env's reset draws them, and reports the external inputs
 * (blockPose, goal) with every state. A robot that is not the task's is refused, naming the joints. (That the
 * reported block is the one the arm pushes is shown by the z1-push deploy in docs/deploy-z1-push.md.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/helpers/wait.ts';
import { fileURLToPath } from 'node:url';
import { load } from '@s2r/sim/tasks/registry.ts';
import type { Z1PushEnv } from '@s2r/sim/tasks/z1-push.ts';
import { SimHardware } from '../src/hardware/sim.ts';
import type { RobotState } from '../src/types.ts';

const ARM = fileURLToPath(new URL('../../../hardware/robots/s2r-arm/s2r-arm.urdf', import.meta.url));
const GO1 = fileURLToPath(new URL('../../../hardware/robots/s2r-go1/s2r-go1.urdf', import.meta.url));
let hw: SimHardware | null = null;
afterEach(async () => {
  await hw?.deactivate();
  hw = null;
});

async function nextState(h: SimHardware, cond: (s: RobotState) => boolean = () => true, maxMs = 20_000): Promise<RobotState> {
  let got: RobotState | null = null;
  await waitFor(() => {
    const s = h.read(0, 0.002);
    if (s && cond(s)) got = s;
    return got;
  }, 'a fresh state that meets the condition', { timeoutMs: maxMs, stepMs: 1 });
  return got!;
}

describe('SimHardware with a task scene', () => {
  it('reports z1-push blockPose and goal as the env draws them for the seed, and the block stays put untouched', async () => {
    const env = (await load('z1-push', undefined, { print: false })) as unknown as Z1PushEnv;
    env.reset(7);
    const block0 = Array.from(env.blockPose);
    const goal0 = Array.from(env.goal);
    const q0 = Array.from(env.geom.q0);
    env.close();

    hw = new SimHardware({ urdf: ARM, fixedBase: true, baseHeight: 0, scene: 'z1-push', seed: 7, warmupSteps: 50 });
    await hw.configure();
    expect(hw.inputs).toEqual(['blockPose', 'goal']);
    await hw.activate();
    const s = await nextState(hw);
    const stamp0 = s.stamp; // the state object is reused by the next read
    const b = Array.from(s.inputs!.blockPose!);
    expect(Array.from(s.inputs!.goal!)).toEqual(goal0);
    b.slice(0, 3).forEach((v, i) => expect(v).toBeCloseTo(block0[i]!, 2)); // settled on the table within a few mm
    Array.from(s.jointPos).forEach((v, i) => expect(Math.abs(v - q0[i]!)).toBeLessThan(0.05)); // the task's spawn pose
    expect(hw.stats().task_success).toBe(0);

    // Untouched, the reported block stays where it lies while the simulation runs on (≥ 0.5 s of simulated time).
    const later = await nextState(hw, (st) => st.stamp >= stamp0 + 0.5);
    const drift = Math.hypot(later.inputs!.blockPose![0]! - b[0]!, later.inputs!.blockPose![1]! - b[1]!);
    expect(drift).toBeLessThan(1e-3);
    expect(Array.from(later.inputs!.goal!)).toEqual(goal0);
  });

  it('refuses a robot that is not the scene task\'s, naming the joints', async () => {
    hw = new SimHardware({ urdf: GO1, baseHeight: 0.3, scene: 'z1-push', seed: 0, warmupSteps: 0 });
    await expect(hw.configure()).rejects.toThrow(/scene "z1-push" simulates a robot with joints \[joint1, .*\], not .*s2r-go1.urdf's \[/);
  });
});
