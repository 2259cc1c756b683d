/**
 * Velocity-command schedule for locomotion policies: `'vx,vy,wz@t;...'` — each entry holds from time t (s, since
 * the policy first took over; a watchdog or e-stop pause does not restart it) until the next. Units: m/s, m/s,
 * rad/s. `'0.5,0,0'` (no @) means from t = 0.
 */
export interface CommandStep {
  t: number;
  cmd: [number, number, number];
}

export function parseCommandSchedule(text: string): CommandStep[] {
  const steps: CommandStep[] = [];
  for (const [i, raw] of text.split(';').entries()) {
    const s = raw.trim();
    if (!s) continue;
    const [vals, at] = s.split('@');
    const nums = vals!.split(',').map((x) => Number(x.trim()));
    if (nums.length !== 3 || nums.some((x) => !Number.isFinite(x))) {
      throw new Error(`--commands entry ${i + 1} "${s}": expected "vx,vy,wz@t" with three numbers (m/s, m/s, rad/s)`);
    }
    const t = at === undefined ? 0 : Number(at.trim());
    if (!Number.isFinite(t) || t < 0) throw new Error(`--commands entry ${i + 1} "${s}": time after @ must be a number ≥ 0 (s)`);
    steps.push({ t, cmd: nums as [number, number, number] });
  }
  steps.sort((a, b) => a.t - b.t);
  return steps;
}

/** Command at time t (s); zeros before the first entry. Writes into `out` (no allocation). */
export function commandAt(steps: readonly CommandStep[], t: number, out: Float64Array): Float64Array {
  out[0] = out[1] = out[2] = 0;
  for (let k = 0; k < steps.length; k++) {
    const s = steps[k]!;
    if (s.t > t) break;
    out[0] = s.cmd[0];
    out[1] = s.cmd[1];
    out[2] = s.cmd[2];
  }
  return out;
}
