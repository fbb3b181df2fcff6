import type { Command } from 'commander';
import { join } from 'node:path';
import { logLine, nameList, nonNegativeInt, positiveInt, worldRole } from './options.js';

interface TuneFlags {
  config?: string; model?: string; suite?: string; models?: string[]; worlds: 'tuning' | 'test' | 'all';
  trials: number; epochs?: number; seed?: number; out?: string;
}

export function registerTune(program: Command): void {
  program
    .command('tune')
    .description('random search over a model\'s options and the training options, same budget for every model, chosen on validation AUC; writes every trial, trials.md and best.yaml')
    .option('--config <file>', 'run config or dataset config to tune on (with --model)')
    .option('--model <name>', 'the model to tune (with --config)')
    .option('--suite <file>', 'tune every model of --models on every world of a suite file instead (with --models)')
    .option('--models <list>', 'comma-separated models (with --suite)', nameList)
    .option('--worlds <role>', 'with --suite: which worlds, tuning, test or all', worldRole, 'all')
    .requiredOption('--trials <n>', 'trials per model (trial 0 is the defaults); the same for every model', positiveInt)
    .option('--epochs <n>', 'epoch limit of every trial (default: the config\'s)', positiveInt)
    .option('--seed <n>', 'training seed of every trial and seed of the search (default: the first seed)', nonNegativeInt)
    .option('--out <dir>', 'tune directory (default: runs/tune/<experiment>/<model>; with --suite required: <dir>/<world>/<model>)')
    .action(async (flags: TuneFlags) => {
      const [{ OptmsmError }, train] = await Promise.all([import('../../errors.js'), import('../../train/index.js')]);
      if (flags.suite) {
        if (!flags.models || !flags.out) {
          throw new OptmsmError('E_CLI_USAGE', 'tune --suite needs --models and --out', { expected: 'tune --suite FILE --models a,b --trials N --out DIR' });
        }
        await train.tuneSuite({
          suite: train.loadSuite(flags.suite), models: flags.models, trials: flags.trials, out: flags.out, worlds: flags.worlds,
          seed: flags.seed, epochs: flags.epochs, log: logLine,
        });
        process.stdout.write(`tuned ${flags.models.join(', ')}; best configurations: ${join(flags.out, '<world>', '<model>', 'best.yaml')}\n`);
        return;
      }
      if (!flags.config || !flags.model) {
        throw new OptmsmError('E_CLI_USAGE', 'tune needs --config and --model (or --suite and --models)', { expected: 'tune --config FILE --model NAME --trials N' });
      }
      const config = train.loadRunConfig(flags.config);
      const out = flags.out ?? join('runs', 'tune', config.name, flags.model);
      const outcome = await train.tuneModel({ config, model: flags.model, trials: flags.trials, seed: flags.seed, epochs: flags.epochs, out, log: logLine });
      const best = outcome.trials[outcome.best]!;
      process.stdout.write(`${flags.model}: best of ${outcome.trials.length} trials is trial ${outcome.best} (validation AUC ${best.validation_auc?.toFixed(4) ?? 'n/a'})\n`);
      process.stdout.write(`written: ${outcome.files.markdown}, ${outcome.files.json}, ${outcome.files.best}\n`);
    });
}
