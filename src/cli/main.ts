// The `optmsm` command. Every command parses its flags here (commander), calls the library, and prints; errors a
// user can cause print as one readable block and exit 1, with the stack only under --debug.
import { Command, CommanderError } from 'commander';
import { OptmsmError } from '../errors.js';
import { registerCommands } from './commands/index.js';

const program = new Command('optmsm')
  .description('Multi-scenario CTR prediction: OptMSM and baselines, from raw logs to a served model')
  .option('--debug', 'show stack traces of errors')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });
registerCommands(program);

// `optmsm models | head`: the reader has gone, so what is left to print has nobody to read it. Stop quietly, as
// Unix tools do, instead of an unhandled EPIPE with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

function report(error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) {
    // commander already printed its message (usage errors, --help, --version).
    return error.exitCode;
  }
  if (error instanceof OptmsmError) {
    process.stderr.write(`${error.pretty()}\n`);
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`✖ unexpected error: ${message}\n  (run with --debug for the stack; this is a bug in optmsm, please report it)\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return 2;
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = report(error, process.argv.includes('--debug'));
}
