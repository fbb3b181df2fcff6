import type { Command } from 'commander';
import { logLine, positiveInt } from './options.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve a trained run over HTTP: POST /predict {"rows": [...]}, GET /model, GET /health')
    .requiredOption('--run <dir>', 'run directory written by `optmsm train`')
    .option('--port <n>', 'port', positiveInt, 8080)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--threads <n>', 'onnxruntime intra-op threads', positiveInt, 2)
    .action(async (flags: { run: string; port: number; host: string; threads: number }) => {
      const { buildApp } = await import('../../serve/index.js');
      const app = await buildApp({ run: flags.run, threads: flags.threads });
      const address = await app.listen({ port: flags.port, host: flags.host });
      logLine(`serving ${flags.run} at ${address} (POST /predict, GET /model, GET /health); Ctrl-C stops`);
      const stop = () => void app.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
