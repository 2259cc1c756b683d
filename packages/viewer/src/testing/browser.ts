/**
 * Real headless Chromium (Debian's), driven by playwright-core, with the flags from the team brief. Shared by the
 * viewer's tests and bench and by cross-package tests (e.g. `npm start` end to end): open a viewer URL, wait for
 * `window.__s2r.ready`, then use the hook (setTime, play, linkWorldPose, settled, ...; see src/app/main.ts).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.S2R_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumArgs(): string[] {
  return [
    '--no-sandbox',
    '--disable-gpu',
    '--enable-unsafe-swiftshader',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    `--user-data-dir=${mkdtempSync(join(tmpdir(), 's2r-chromium-'))}`,
  ];
}

/**
 * Uncapped frames (`bench:viewer`'s fps_ratio): animation frames are no longer tied to a 60 Hz vsync, so a page
 * draws as fast as it can and its frame time is its own cost, not the display's period.
 */
export const UNCAPPED_FRAME_ARGS = ['--disable-gpu-vsync', '--disable-frame-rate-limit'];

export async function launchBrowser(opts: { uncapped?: boolean } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)`);
  // playwright refuses --user-data-dir in launch(); it gives each launch a fresh profile itself.
  const args = chromiumArgs().filter((a) => !a.startsWith('--user-data-dir'));
  if (opts.uncapped) args.push(...UNCAPPED_FRAME_ARGS);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

export async function openViewer(browser: Browser, url: string, size = { width: 960, height: 600 }): Promise<Page> {
  const page = await browser.newPage({ viewport: size });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  (page as unknown as { s2rErrors: string[] }).s2rErrors = errors;
  await page.goto(url);
  await page.waitForFunction(() => (window as any).__s2r?.ready === true || (window as any).__s2r?.error, null, { timeout: 60_000 });
  const err = await page.evaluate(() => (window as any).__s2r.error);
  if (err) throw new Error(`viewer failed: ${err}`);
  return page;
}

/** Wait until the page has drawn the current time (render-on-demand: no frame is drawn when nothing changed). */
export async function nextFrame(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as any).__s2r.settled(), null, { timeout: 30_000 });
}
