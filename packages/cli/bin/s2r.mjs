#!/usr/bin/env node
// Entry point of `npx s2r`: registers tsx so the TypeScript sources run as-is, then dispatches.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/index.ts');
const code = await main(process.argv.slice(2));
if (typeof code === 'number') process.exitCode = code;
