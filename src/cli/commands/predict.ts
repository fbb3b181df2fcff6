import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { encodeFile } from '../../data/index.js';
import { loadRun, scoreColumns } from '../../train/index.js';
import { logLine } from './options.js';

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('write the click probability of every row of a raw data file (CSV: row, scenario, probability)')
    .requiredOption('--run <dir>', 'run directory written by `optmsm train`')
    .requiredOption('--data <file>', 'CSV/Parquet/JSONL file (or directory/glob); the label column is not needed')
    .requiredOption('--out <file>', 'output CSV')
    .action(async (flags: { run: string; data: string; out: string }) => {
      const run = await loadRun(flags.run);
      const columns = await encodeFile(run.encoder, flags.data);
      const probability = await scoreColumns(run, columns);
      const scenarios = run.config.scenarios.values;
      const out = createWriteStream(flags.out);
      out.write('row,scenario,probability\n');
      for (let i = 0; i < columns.rows; i++) {
        if (!out.write(`${i},${scenarios[columns.scenario[i]]},${probability[i]}\n`)) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
      logLine(`${columns.rows} predictions written to ${flags.out}`);
    });
}
