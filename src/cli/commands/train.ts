import type { Command } from 'commander';
import { logLine, nonNegativeInt, positiveInt } from './options.js';

interface TrainFlags { config: string; model?: string; seed?: number; out?: string; epochs?: number; resume?: boolean; overwrite?: boolean; json?: boolean }

/** A word as a POSIX shell reads it back. */
const shellWord = (w: string): string => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", "'\\''")}'`);

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train one model on a dataset and write a run directory')
    .requiredOption('--config <file>', 'run config (configs/experiments/*.yaml) or dataset config (configs/datasets/*.yaml)')
    .option('--model <name>', 'model to train (default: the config\'s `model`, else optmsm)')
    .option('--seed <n>', 'random seed (default: the config\'s first seed)', nonNegativeInt)
    .option('--out <dir>', 'run directory (default: runs/<dataset>.<model>/seed-<n>)')
    .option('--epochs <n>', 'epoch limit (overrides train.epochs)', positiveInt)
    .option('--resume', 'continue from the last checkpoint in --out (the config, seed, data and code must be the same)')
    .option('--overwrite', 'replace a finished or unfinished run in --out')
    .option('--json', 'print metrics.json instead of the table')
    .action(async (flags: TrainFlags) => {
      const { defaultRunDir, loadRunConfig, renderScenarioTable, runTraining } = await import('../../train/index.js');
      const config = loadRunConfig(flags.config);
      const model = flags.model ?? config.model;
      const seed = flags.seed ?? config.seeds[0];
      const out = flags.out ?? defaultRunDir(config, model, seed);
      const resumeCommand = ['optmsm', 'train', '--config', flags.config, '--model', model, '--seed', String(seed), '--out', out,
        ...(flags.epochs ? ['--epochs', String(flags.epochs)] : []), '--resume'].map(shellWord).join(' ');
      const { metrics, dir } = await runTraining({
        config, model, seed, out, epochs: flags.epochs, resume: flags.resume, overwrite: flags.overwrite, resumeCommand, log: logLine,
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(metrics, null, 2)}\n`);
        return;
      }
      process.stdout.write(`\n${model} on ${config.name}, seed ${seed}: best epoch ${metrics.best_epoch}\n`);
      process.stdout.write(`${renderScenarioTable(metrics.test, { format: 'text', overallLabel: 'all (test)' })}\n`);
      process.stdout.write(`\nrun written to ${dir}\n`);
    });
}
