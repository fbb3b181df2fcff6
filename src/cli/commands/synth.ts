import type { Command } from 'commander';
import { logLine, nonNegativeInt, nonNegativeNumber, positiveInt } from './options.js';

interface SynthFlags {
  out?: string; rows: number; scenarios: number; seed: number; users: number; items: number; latentDim: number; noise: number;
  format?: 'csv' | 'parquet'; config?: string; world?: string;
}

interface ScenarioLine { scenario: string; rows: number; ctr: number; oracleAuc: number | null; sharedOnlyAuc: number | null }

function printSummary(file: string, rows: number, seconds: number, scenarios: ScenarioLine[], overall: number | null): void {
  process.stdout.write(`${rows} rows written to ${file} in ${seconds.toFixed(1)} s\n`);
  process.stdout.write('scenario  rows        CTR     oracle AUC  shared-only AUC\n');
  for (const s of scenarios) {
    process.stdout.write(`${s.scenario.padEnd(9)} ${String(s.rows).padEnd(11)} ${s.ctr.toFixed(4)}  ${(s.oracleAuc?.toFixed(4) ?? 'n/a').padEnd(11)} ${s.sharedOnlyAuc?.toFixed(4) ?? 'n/a'}\n`);
  }
  process.stdout.write(`all       ${String(rows).padEnd(11)}         ${overall?.toFixed(4) ?? 'n/a'}\n`);
}

export function registerSynth(program: Command): void {
  program
    .command('synth')
    .description('write a synthetic multi-scenario CTR dataset (with true click probabilities) and report its oracle AUC')
    .option('--out <file>', 'output .csv or .parquet (required unless --world names a dataset config)')
    .option('--world <file>', 'a world spec (YAML/JSON), or a dataset config with synthetic.world: generate that world')
    .option('--rows <n>', 'rows (built-in generator)', positiveInt, 1_000_000)
    .option('--scenarios <n>', 'scenarios (built-in generator)', positiveInt, 4)
    .option('--seed <n>', 'seed (built-in generator)', nonNegativeInt, 42)
    .option('--users <n>', 'users (built-in generator)', positiveInt, 5000)
    .option('--items <n>', 'items (built-in generator)', positiveInt, 2000)
    .option('--latent-dim <n>', 'size of the latent user/item vectors (built-in generator)', positiveInt, 8)
    .option('--noise <std>', 'std of the unobserved logit noise (built-in generator)', nonNegativeNumber, 1)
    .option('--format <format>', 'csv or parquet (default: from the file name)')
    .option('--config <file>', 'also write a dataset config for the file')
    .action(async (flags: SynthFlags) => {
      const [{ generateSynthetic, generateWorld, loadWorldSpec, writeWorldConfig }, { OptmsmError }] = await Promise.all([
        import('../../data/index.js'), import('../../errors.js'),
      ]);
      const progress = (n: number) => logLine(`${n.toLocaleString('en-US')} rows written`);
      if (flags.world) {
        const world = loadWorldSpec(flags.world);
        const out = flags.out ?? world.dataFile;
        if (!out) throw new OptmsmError('E_CLI_USAGE', 'synth --world with a world spec file needs --out', { expected: '--out FILE.csv' });
        const result = await generateWorld(world.spec, out, progress);
        printSummary(result.file, result.rows, result.seconds, result.scenarios, result.overallOracleAuc);
        process.stdout.write(`ids: ${result.users.distinct} users (${(100 * result.users.rareRowShare).toFixed(1)}% of rows from users seen ≤ 5 times), `
          + `${result.items.distinct} items (${(100 * result.items.rareRowShare).toFixed(1)}%)\n`);
        if (flags.config) process.stdout.write(`dataset config: ${writeWorldConfig(flags.config, result.file, world)}\n`);
        return;
      }
      if (!flags.out) throw new OptmsmError('E_CLI_USAGE', 'synth needs --out (or --world)', { expected: '--out FILE.csv' });
      const result = await generateSynthetic({
        output: flags.out, rows: flags.rows, scenarios: flags.scenarios, seed: flags.seed, format: flags.format,
        users: flags.users, items: flags.items, latentDim: flags.latentDim, noise: flags.noise,
        configFile: flags.config, onProgress: progress,
      });
      printSummary(result.file, result.rows, result.seconds, result.scenarios, result.overallOracleAuc);
      if (result.configFile) process.stdout.write(`dataset config: ${result.configFile}\n`);
    });
}
