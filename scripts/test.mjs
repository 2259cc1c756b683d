#!/usr/bin/env node
// `npm test`: builds and runs the firmware's C unit tests, then the TypeScript suites (vitest),
// and ends with one plain summary line: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let passed = 0;
let failed = 0;
const extra = process.argv.slice(2);

if (existsSync('hardware/firmware/Makefile') && extra.length === 0) {
  console.log('== firmware: make test');
  const r = spawnSync('make', ['-C', 'hardware/firmware', 'test'], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  process.stdout.write(r.stdout ?? '');
  // The C test runner prints "C: N passed, N failed".
  const m = /(\d+) passed, (\d+) failed/.exec(r.stdout ?? '');
  if (m) {
    passed += Number(m[1]);
    failed += Number(m[2]);
  }
  if (r.status !== 0) failed += m ? 0 : 1;
}

// Real-time tests (the end-to-end `npm start` deploy at 500 Hz) run last, alone, so the other suites' CPU load
// (2 cores) cannot make them miss deadlines; everything else runs first, two files at a time.
const REALTIME = ['test/main.test.ts'];
const phases = extra.length > 0 ? [extra] : [[...REALTIME.flatMap((f) => ['--exclude', f])], REALTIME];
let anyFailedRun = false;
for (const args of phases) {
  const out = join(mkdtempSync(join(tmpdir(), 's2r-test-')), 'vitest.json');
  console.log(`== vitest ${args.join(' ')}`);
  const v = spawnSync('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...args], { stdio: 'inherit' });
  if (existsSync(out)) {
    const j = JSON.parse(readFileSync(out, 'utf8'));
    passed += j.numPassedTests;
    failed += j.numFailedTests;
    if (j.testResults.some((s) => s.status === 'failed' && s.assertionResults.length === 0)) failed += 1;
  } else {
    failed += 1;
  }
  if (v.status !== 0) anyFailedRun = true;
}
if (anyFailedRun && failed === 0) failed = 1;
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 || anyFailedRun ? 1 : 0);
