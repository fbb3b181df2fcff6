#!/usr/bin/env node
// Runs a TypeScript script (benchmarks, examples) with the same launch settings as the CLI.
import { resolve } from 'node:path';
import { launch } from './launch.js';

const [script, ...args] = process.argv.slice(2);
if (!script) {
  process.stderr.write('usage: node bin/run.js SCRIPT.ts [ARGS...]\n');
  process.exitCode = 2;
} else {
  launch(resolve(script), args);
}
