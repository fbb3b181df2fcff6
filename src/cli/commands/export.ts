import type { Command } from 'commander';
import { logLine, positiveInt } from './options.js';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write a trained run for another server: --triton DIR makes a Triton model repository (docs/serving.md)')
    .requiredOption('--run <dir>', 'run directory written by `optmsm train`')
    .requiredOption('--triton <dir>', 'Triton model repository to write into: <dir>/<name>/config.pbtxt, <dir>/<name>/1/model.onnx')
    .option('--name <name>', "the model's name in the repository (default: the run's model name)")
    .option('--max-batch-size <n>', "Triton's max_batch_size", positiveInt, 1024)
    .option('--max-queue-delay-us <us>', 'how long Triton may hold a request to batch it, in microseconds', positiveInt, 1000)
    .action(async (flags: { run: string; triton: string; name?: string; maxBatchSize: number; maxQueueDelayUs: number }) => {
      const { exportTriton } = await import('../../serve/index.js');
      const dir = await exportTriton({
        run: flags.run, dir: flags.triton, name: flags.name, maxBatchSize: flags.maxBatchSize, maxQueueDelayMicroseconds: flags.maxQueueDelayUs,
      });
      logLine(`Triton model written to ${dir} (config.pbtxt, 1/model.onnx, encoder.json for the client)`);
    });
}
