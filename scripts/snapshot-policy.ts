/**
 * Copy a finished training run's deployable pieces into hardware/policies/<name>/ (what `npm start` uses):
 * policy.json, config.json, metrics.jsonl, command.txt, and curve.png (mean return over wall-clock minutes).
 *   npx tsx scripts/snapshot-policy.ts <run-folder> <name>
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { lineChartPng } from '@s2r/policies/plot/line-chart.ts';

const [run, name] = process.argv.slice(2);
if (!run || !name) {
  console.error('usage: npx tsx scripts/snapshot-policy.ts <run-folder> <name>');
  process.exit(2);
}
const out = resolve('hardware/policies', name);
mkdirSync(out, { recursive: true });
for (const f of ['policy.json', 'config.json', 'metrics.jsonl', 'command.txt']) copyFileSync(join(run, f), join(out, f));
const xs: number[] = [];
const ys: number[] = [];
for (const line of readFileSync(join(run, 'metrics.jsonl'), 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const m = JSON.parse(line) as { wallS: number; meanReturn: number | null };
  if (m.meanReturn === null) continue;
  xs.push(m.wallS / 60);
  ys.push(m.meanReturn);
}
writeFileSync(join(out, 'curve.png'), lineChartPng([{ x: xs, y: ys }], { title: `${name}: mean episode return`, xLabel: 'wall-clock minutes', yLabel: 'return' }));
console.log(`${out}: ${xs.length} points`);
