import type { Command } from 'commander';
import { logLine, nonNegativeInt, nonNegativeNumber, positiveInt } from './options.js';

interface SynthFlags {
  out: string; rows: number; scenarios: number; seed: number; users: number; items: number; latentDim: number; noise: number;
  format?: 'csv' | 'parquet'; config?: string;
}

export function registerSynth(program: Command): void {
  program
    .command('synth')
    .description('write a synthetic multi-scenario CTR dataset (with true click probabilities) and report its oracle AUC')
    .requiredOption('--out <file>', 'output .csv or .parquet')
    .option('--rows <n>', 'rows', positiveInt, 1_000_000)
    .option('--scenarios <n>', 'scenarios', positiveInt, 4)
    .option('--seed <n>', 'seed', nonNegativeInt, 42)
    .option('--users <n>', 'users', positiveInt, 5000)
    .option('--items <n>', 'items', positiveInt, 2000)
    .option('--latent-dim <n>', 'size of the latent user/item vectors', positiveInt, 8)
    .option('--noise <std>', 'std of the unobserved logit noise', nonNegativeNumber, 1)
    .option('--format <format>', 'csv or parquet (default: from the file name)')
    .option('--config <file>', 'also write a dataset config for the file')
    .action(async (flags: SynthFlags) => {
      const { generateSynthetic } = await import('../../data/index.js');
      const result = await generateSynthetic({
        output: flags.out, rows: flags.rows, scenarios: flags.scenarios, seed: flags.seed, format: flags.format,
        users: flags.users, items: flags.items, latentDim: flags.latentDim, noise: flags.noise,
        configFile: flags.config, onProgress: (n) => logLine(`${n.toLocaleString('en-US')} rows written`),
      });
      process.stdout.write(`${result.rows} rows written to ${result.file} in ${result.seconds.toFixed(1)} s\n`);
      process.stdout.write('scenario  rows        CTR     oracle AUC\n');
      for (const s of result.scenarios) {
        process.stdout.write(`${s.scenario.padEnd(9)} ${String(s.rows).padEnd(11)} ${s.ctr.toFixed(4)}  ${s.oracleAuc?.toFixed(4) ?? 'n/a'}\n`);
      }
      process.stdout.write(`all       ${String(result.rows).padEnd(11)}         ${result.overallOracleAuc?.toFixed(4) ?? 'n/a'}\n`);
      if (result.configFile) process.stdout.write(`dataset config: ${result.configFile}\n`);
    });
}
