import type { Command } from 'commander';
import { nonNegativeInt, nonNegativeNumber, port, positiveInt } from './options.js';

// Flag names are the kebab-case of the server's option keys (--batch-wait-ms is batchWaitMs), so the flags go
// to serve() as commander parsed them; a flag not given is left to the option schema's default, written here
// for --help only (test/cli/serve.test.ts checks each against the schema).
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve a trained run over HTTP: POST /predict {"rows": [...]}, GET /model, /health/live, /health/ready, /metrics, /docs/json (docs/serving.md)')
    .requiredOption('--run <dir>', 'run directory written by `optmsm train`')
    .option('--port <n>', 'TCP port, 0 for any free one', port, 8080)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--workers <n>', 'scoring worker threads, each with its own ONNX Runtime session; 0 scores on the event loop (default: cores - 1, at least 1)', nonNegativeInt)
    .option('--threads <n>', 'ONNX Runtime intra-op threads per session (default: 1)', positiveInt)
    .option('--batch-rows <n>', 'most rows in one ONNX Runtime run; concurrent requests are merged up to it (default: 256)', positiveInt)
    .option('--batch-wait-ms <ms>', 'how long a batch waits for more requests before it is scored (default: 1)', nonNegativeNumber)
    .option('--max-queue <n>', 'requests waiting or being scored; past it, 503 with Retry-After (default: 256)', positiveInt)
    .option('--max-rows <n>', 'rows in one request; more is 413 (default: 10000)', positiveInt)
    .option('--body-limit <bytes>', 'bytes in one request body; more is 413 (default: 8388608)', positiveInt)
    .option('--headers-timeout-ms <ms>', 'time to receive the request headers (default: 10000)', positiveInt)
    .option('--request-timeout-ms <ms>', 'time to receive a whole request (default: 30000)', positiveInt)
    .option('--keep-alive-timeout-ms <ms>', 'how long an idle keep-alive connection stays open (default: 5000)', positiveInt)
    .option('--score-timeout-ms <ms>', 'how long a request may wait for its score before a 503 (default: 10000)', positiveInt)
    .option('--drain-timeout-ms <ms>', 'on SIGTERM or SIGINT, how long to wait for in-flight requests (default: 10000)', nonNegativeInt)
    .option('--strict', 'reject rows with keys that are no column of the model (default: ignore and report them)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (default: info)')
    .action(async (flags: Record<string, unknown> & { run: string; port: number; host: string }) => {
      const { serve } = await import('../../serve/index.js');
      await serve(flags);
    });
}
