import type { Command } from 'commander';
import { logLine, nameList, positiveInt, worldRole } from './options.js';

interface SuiteFlags {
  suite: string; models?: string[]; seeds?: number; out: string; variants?: string; tuned?: string; worlds: 'tuning' | 'test' | 'all'; epochs?: number;
}

export function registerSuite(program: Command): void {
  program
    .command('suite')
    .description('train models x worlds x seeds (a bench per world, resumable); write suite.json and suite.md with ranks across worlds')
    .requiredOption('--suite <file>', 'suite file (configs/suite/suite.yaml): worlds with their role, seeds, training options')
    .option('--models <list>', 'comma-separated models (default: every model `optmsm models` lists)', nameList)
    .option('--seeds <n>', 'number of seeds (the suite\'s seeds, then the next integers)', positiveInt)
    .requiredOption('--out <dir>', 'suite directory: one bench directory per world, suite.json, suite.md')
    .option('--variants <file>', 'named variants to add as rows (a file with a `variants:` block, as in run configs)')
    .option('--tuned <dir>', 'also a tuned row per model from <dir>/<world>/<model>/best.yaml (`optmsm tune --suite`), in a table of its own')
    .option('--worlds <role>', 'which worlds run: tuning, test or all', worldRole, 'all')
    .option('--epochs <n>', 'epoch limit for every run', positiveInt)
    .action(async (flags: SuiteFlags) => {
      const [{ modelNames }, { benchSeeds, loadSuite, loadVariants, runSuite }] = await Promise.all([
        import('../../models/index.js'), import('../../train/index.js'),
      ]);
      const suite = loadSuite(flags.suite);
      const seeds = benchSeeds(suite, flags.seeds ?? suite.seeds.length);
      const outcome = await runSuite({
        suite, models: flags.models ?? modelNames(), seeds, out: flags.out, worlds: flags.worlds,
        variants: flags.variants ? loadVariants(flags.variants) : [], tunedDir: flags.tuned, epochs: flags.epochs,
        command: `optmsm ${process.argv.slice(2).join(' ')}`, log: logLine,
      });
      process.stdout.write(`${outcome.markdown}\nwritten: ${outcome.files.json}, ${outcome.files.markdown}, ${outcome.files.html}\n`);
    });
}
