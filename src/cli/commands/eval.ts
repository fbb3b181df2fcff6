import type { Command } from 'commander';

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('score a labelled data file with a trained run and print AUC/LogLoss overall and per scenario')
    .requiredOption('--run <dir>', 'run directory written by `optmsm train`')
    .requiredOption('--data <file>', 'CSV/Parquet/JSONL file (or directory/glob) with the label column')
    .option('--json', 'print the metrics as JSON')
    .action(async (flags: { run: string; data: string; json?: boolean }) => {
      const { evaluateFile, loadRun, renderScenarioTable } = await import('../../train/index.js');
      const metrics = await evaluateFile(await loadRun(flags.run), flags.data);
      if (flags.json) process.stdout.write(`${JSON.stringify(metrics, null, 2)}\n`);
      else process.stdout.write(`${renderScenarioTable(metrics, { format: 'text', overallLabel: 'all' })}\n`);
    });
}
