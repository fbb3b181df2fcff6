import type { Command } from 'commander';
import { encodeFile } from '../../data/index.js';
import { evaluateByScenario } from '../../metrics/index.js';
import { loadRun, renderScenarioTable, scoreColumns } from '../../train/index.js';

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('score a labelled data file with a trained run and print AUC/LogLoss overall and per scenario')
    .requiredOption('--run <dir>', 'run directory written by `optmsm train`')
    .requiredOption('--data <file>', 'CSV/Parquet/JSONL file (or directory/glob) with the label column')
    .option('--json', 'print the metrics as JSON')
    .action(async (flags: { run: string; data: string; json?: boolean }) => {
      const run = await loadRun(flags.run);
      const columns = await encodeFile(run.encoder, flags.data, { requireLabel: true });
      const probability = await scoreColumns(run, columns);
      const metrics = evaluateByScenario(probability, columns.label, columns.scenario, run.config.scenarios.values);
      if (flags.json) process.stdout.write(`${JSON.stringify(metrics, null, 2)}\n`);
      else process.stdout.write(`${renderScenarioTable(metrics, { format: 'text', overallLabel: 'all' })}\n`);
    });
}
