#!/usr/bin/env node
// Runs a TypeScript script of this repository (benchmarks, scripts) with tsx and the CLI's malloc settings: a
// development tool, not part of the package (tsx is a devDependency).
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './launch.js';

const [script, ...args] = process.argv.slice(2);
if (!script) {
  process.stderr.write('usage: node bin/run.js SCRIPT.ts [ARGS...]\n');
  process.exitCode = 2;
} else {
  launch(resolve(script), args, ['--import', fileURLToPath(import.meta.resolve('tsx'))]);
}
