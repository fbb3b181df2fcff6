import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { logLine } from './options.js';

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('write the click probability of every row of a raw data file (CSV: row, scenario, probability)')
    .requiredOption('--run <dir>', 'run directory written by `optmsm train`')
    .requiredOption('--data <file>', 'CSV/Parquet/JSONL file (or directory/glob); the label column is not needed')
    .requiredOption('--out <file>', 'output CSV')
    .action(async (flags: { run: string; data: string; out: string }) => {
      const { loadRun, predictFile } = await import('../../train/index.js');
      const { probability, scenario, scenarios } = await predictFile(await loadRun(flags.run), flags.data);
      const out = createWriteStream(flags.out);
      out.write('row,scenario,probability\n');
      for (let i = 0; i < probability.length; i++) {
        if (!out.write(`${i},${scenarios[scenario[i]]},${probability[i]}\n`)) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
      logLine(`${probability.length} predictions written to ${flags.out}`);
    });
}
