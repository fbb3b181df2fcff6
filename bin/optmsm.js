#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import { launch } from './launch.js';

const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
launch(main, process.argv.slice(2));
