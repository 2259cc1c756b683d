/**
 * A host that opens the link late: the firmware emulator (12 Go1 joints, 500 Hz states ≈ 97 kB/s) streams into a
 * socat pty pair for 2 s before anyone reads it — a bridge process still starting, or a board that was already
 * streaming when the host connected. Real parts: socat ptys + the C firmware core (hardware/firmware).
 *
 * The firmware must keep only a few stale states queued (cfg.stream_backlog_states), so the CONFIG it sends in
 * reply to the host's CONFIG_REQUEST is never refused by a TX queue full of states. Before that cap, the 64 KB
 * ring filled with states and dropped the reply: the host then only had the boot-time CONFIG still sitting in the
 * pty buffers, or nothing at all (configure() timed out in test/serial-e2e.test.ts under load).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SerialHardware } from '../src/hardware/serial.ts';
import type { ConfigMsg, Message } from '../src/protocol/index.ts';
import { buildFirmware, Emulator, ensureSocat, GO1_JOINTS, PtyPair } from './serial-rig.ts';
import { waitFor } from '../../../test/helpers/wait.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

beforeAll(() => {
  ensureSocat();
  buildFirmware();
});

/** Wire bytes of one 12-joint STATE frame: 8 header + 38 + 12·12 body + 2 CRC, one COBS code byte, the 0x00. */
const STATE_WIRE_12 = 8 + 38 + 12 * 12 + 2 + 1 + 1;

describe('SerialHardware opening a link the firmware has streamed into for 2 s', () => {
  it('the CONFIG reply still gets through; only a few stale states were queued, the rest skipped and counted', async () => {
    const pair = await PtyPair.start();
    cleanups.push(() => pair.cleanup());
    const emu = Emulator.start(['--tty', pair.dev]); // defaults: Go1 joints, 1 kHz PD, 500 Hz states
    cleanups.push(() => emu.stop());
    await emu.waitEvent((e) => e.event === 'link_up', 5000, 'emulator link_up');
    // Nobody reads for 2 s: ~195 kB of states at 500 Hz, three times the emulator's 64 KB TX ring plus the ~18 kB
    // the ptys and socat buffer. (A scenario length, not a timing assertion.)
    await new Promise((r) => setTimeout(r, 2000));

    // Ask for 250 Hz: the device's reply is the only CONFIG that can say 250 (the boot CONFIG, which may still sit
    // in the pty buffers, says 500), so it proves the reply itself arrived.
    const hw = new SerialHardware({ path: pair.host, jointNames: GO1_JOINTS, stateRateHz: 250, configTimeoutMs: 2000 });
    cleanups.push(() => hw.deactivate());
    const configs: ConfigMsg[] = [];
    hw.onDeviceMessage((m: Message) => m.type === 'config' && configs.push(m));
    await hw.configure();
    await waitFor(() => configs.some((c) => c.stateRateHz === 250), `the CONFIG reply (250 Hz); got ${JSON.stringify(configs.map((c) => c.stateRateHz))}, ${JSON.stringify(hw.stats())}`, { timeoutMs: 2000 });
    expect(hw.device?.stateRateHz).toBe(250);

    // States stream again and the policy gets fresh ones (the stale ones arrived before the reply, while the host
    // had not confirmed the device yet — or right behind the boot CONFIG, and are superseded by newer ones).
    await waitFor(() => hw.stats().states >= 50, '50 states after configure', { timeoutMs: 5000 });
    const st = hw.stats();
    // No frame errors: the one frame the host's open may cut in half (socat may be mid-write when the port opens)
    // is skipped by the decoder's unsynced start and counted as a sync drop, not an error (PROTOCOL.md §2).
    expect(st.frameErrors).toBe(0);
    expect(st.syncDrops).toBeLessThanOrEqual(1);
    // Skipped states take no sequence number: every gap the host sees is a frame lost, and there are none.
    expect(st.seqGaps).toBe(0);

    await hw.deactivate();
    const stats = await emu.stop();
    expect(stats.emu).toBe('stats');
    expect(stats.tx_dropped).toBe(0); // nothing refused by the TX ring: no reply, and no state
    // Most of the 2 s of states were skipped while nobody read (≈1000 at 500 Hz; fewer ticks ran on a busy host).
    expect(Number(stats.states_skipped)).toBeGreaterThan(200);
    // The ring never held more than the 4-state stream cap plus a few replies (it filled all 64 KB before the cap).
    expect(Number(stats.tx_backlog_peak)).toBeGreaterThanOrEqual(3 * STATE_WIRE_12);
    expect(Number(stats.tx_backlog_peak)).toBeLessThan(4 * STATE_WIRE_12 + 1024);
  }, 30_000);
});
