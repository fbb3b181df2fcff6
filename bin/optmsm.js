#!/usr/bin/env node
// The `optmsm` command: the compiled CLI in dist/. Commands that train re-execute Node with the malloc settings
// (launch.js); every other command runs in this process, so `optmsm --help`, predict and serve start without
// paying for a second Node (bench/README.md, "CLI startup").
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hasMallocSettings, launch } from './launch.js';

const dist = new URL('../dist/cli/', import.meta.url);
const main = new URL('main.js', dist);
if (!existsSync(main)) {
  // A source checkout installed with --ignore-scripts never ran `prepare`.
  process.stderr.write(`optmsm: the compiled CLI ${fileURLToPath(main)} is missing; run \`npm run build\` first\n`);
  process.exit(1);
}
const { TRAINING_COMMANDS } = await import(new URL('training-commands.js', dist).href);
const args = process.argv.slice(2);
const command = args.find((arg) => !arg.startsWith('-'));
if (TRAINING_COMMANDS.includes(command) && !hasMallocSettings()) launch(fileURLToPath(main), args);
else await import(main.href);
