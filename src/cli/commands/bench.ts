import type { Command } from 'commander';
import { logLine, nameList, positiveInt } from './options.js';

interface BenchFlags { config: string; models?: string[]; seeds?: number; ablations?: boolean; out?: string; epochs?: number; tuned?: string }

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('train models x seeds on one split; write bench.json and a Markdown table (mean ± std over seeds)')
    .requiredOption('--config <file>', 'run config or dataset config')
    .option('--models <list>', 'comma-separated models (default: every model `optmsm models` lists)', nameList)
    .option('--seeds <n>', 'number of seeds (the config\'s seeds, then the next integers)', positiveInt)
    .option('--ablations', 'add the OptMSM ablation rows (the config\'s variants, or the built-in list)')
    .option('--out <dir>', 'bench directory (default: runs/bench/<dataset>)')
    .option('--epochs <n>', 'epoch limit for every run', positiveInt)
    .option('--tuned <dir>', 'also a tuned row per model from <dir>/<model>/best.yaml (`optmsm tune --out <dir>/<model>`)')
    .action(async (flags: BenchFlags) => {
      const [{ modelNames }, { benchSeeds, defaultBenchDir, loadRunConfig, runBench, tunedEntries }] = await Promise.all([
        import('../../models/index.js'), import('../../train/index.js'),
      ]);
      const config = loadRunConfig(flags.config);
      const seeds = benchSeeds(config, flags.seeds ?? config.seeds.length);
      const out = flags.out ?? defaultBenchDir(config);
      const models = flags.models ?? modelNames();
      const outcome = await runBench({
        config, models, seeds, ablations: flags.ablations ?? false, out, epochs: flags.epochs, log: logLine,
        extraEntries: flags.tuned ? tunedEntries(flags.tuned, models) : [],
      });
      process.stdout.write(`\n${outcome.text}\n`);
      process.stdout.write(`\nwritten: ${outcome.files.json}, ${outcome.files.markdown}\n`);
    });
}
