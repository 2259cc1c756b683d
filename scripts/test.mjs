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

const out = join(mkdtempSync(join(tmpdir(), 's2r-test-')), 'vitest.json');
console.log('== vitest');
const v = spawnSync('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...extra], { stdio: 'inherit' });
if (existsSync(out)) {
  const j = JSON.parse(readFileSync(out, 'utf8'));
  passed += j.numPassedTests;
  failed += j.numFailedTests;
  if (j.numTotalTestSuites > 0 && j.testResults.some((s) => s.status === 'failed' && s.assertionResults.length === 0)) failed += 1;
} else {
  failed += 1;
}
if (v.status !== 0 && failed === 0) failed = 1;
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 || v.status !== 0 ? 1 : 0);
