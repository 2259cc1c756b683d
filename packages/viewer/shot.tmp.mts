import { serveViewer } from './src/server/serve.ts';
import { launchBrowser } from './test/helpers/browser.ts';
const server = await serveViewer({ paths: [process.argv[2]!], port: 0 });
const browser = await launchBrowser();
const page = await browser.newPage({ viewport: { width: 1100, height: 650 } });
await page.goto(server.url + (process.argv[3] ?? ''));
await page.waitForFunction(() => (window as any).__s2r?.meshesLoadedMs != null, null, { timeout: 120000 });
if (process.env.NOC) await page.evaluate(`for (const id of ['contacts','forces']) document.getElementById(id).checked = false`);
await page.evaluate(`window.__s2r.setTime(${process.argv[5] ?? 0.5})`);
await page.waitForFunction(() => (window as any).__s2r.settled(), null, { timeout: 120000 });
if (process.env.ONLYGROUND) { await page.evaluate(`window.__s2r.scene.getObjectByName('go1').visible = false; window.__s2r.setTime(0.6)`); await page.waitForFunction(() => (window as any).__s2r.settled()); }
if (process.env.NOLIGHT) { await page.evaluate(`window.__s2r.scene.children.filter(c => c.isLight).forEach(l => l.visible = false); window.__s2r.setTime(0.7)`); await page.waitForFunction(() => (window as any).__s2r.settled()); }
await page.screenshot({ path: process.argv[4] ?? '/tmp/vw/shot.png' });
console.log(await page.evaluate(`JSON.stringify(window.__s2r.linkWorldPose('base'))`));
await browser.close(); await server.close();
