import { describe, expect, it } from 'vitest';
import { waitFor } from './helpers/wait.ts';

describe('waitFor (the one condition wait of the tests)', () => {
  it('resolves once a sync or async condition holds, polling until then', async () => {
    let n = 0;
    await waitFor(() => ++n >= 3, 'three polls', { stepMs: 1 });
    expect(n).toBe(3);
    let m = 0;
    await waitFor(async () => ++m >= 2, 'two async polls', { stepMs: 1 });
    expect(m).toBe(2);
  });

  it('fails after the timeout with a message naming what was awaited', async () => {
    await expect(waitFor(() => false, 'the moon to turn blue', { timeoutMs: 20 })).rejects.toThrow('timed out after 20 ms waiting for the moon to turn blue');
    await expect(waitFor(async () => 0, 'an async zero', { timeoutMs: 20 })).rejects.toThrow(/waiting for an async zero$/);
  });
});
