// `npm start`: the main job on the built-in synthetic data. Generates the dataset once, trains OptMSM and the
// baselines with one seed (reusing finished runs), and prints the per-scenario table beside the oracle AUC.
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logLine } from './options.js';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const START_CONFIG = join(packageRoot, 'configs/experiments/synthetic.yaml');
const START_MODELS = ['optmsm', 'shared-bottom', 'mmoe', 'star'];

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('the main job: synthetic data → OptMSM and baselines → per-scenario table and report (runs/start)')
    .option('--out <dir>', 'where runs and the report go', 'runs/start')
    .option('--data <file>', 'the generated data file (made once, when missing)', 'data/generated/synthetic.csv')
    .action(async (flags: { out: string; data: string }) => {
      const { loadRunConfig, renderScenarioTable, runBench } = await import('../../train/index.js');
      const loaded = loadRunConfig(START_CONFIG);
      // Under the working directory, not beside the shipped config (inside node_modules for an installed package);
      // the dataset config's `synthetic:` block regenerates the file when it is missing.
      const dataFile = resolve(flags.data);
      const config = { ...loaded, dataset: { ...loaded.dataset, files: [dataFile] } };
      const outcome = await runBench({ config, models: START_MODELS, seeds: [config.seeds[0]], ablations: false, out: flags.out, log: logLine });
      const optmsm = outcome.runs.find((r) => r.model === 'optmsm' && !r.variant);
      const oracle = outcome.summary.oracle;
      const sections = [`# optmsm start: ${config.name}`, '', `Command: \`npm start\` (data: ${dataFile})`, ''];
      if (optmsm) {
        const oracleByScenario = oracle ? { ...oracle.scenarios, all: oracle.auc ?? null } : undefined;
        const table = (format: 'text' | 'markdown') =>
          renderScenarioTable(optmsm.test, { format, oracle: oracleByScenario, overallLabel: 'all' });
        process.stdout.write(`\nOptMSM, test split, per scenario (oracle = AUC of the true click probability):\n${table('text')}\n`);
        sections.push('## OptMSM per scenario (test)', '', table('markdown'), '');
      }
      process.stdout.write(`\nAll models (test, 1 seed):\n${outcome.text}\n`);
      sections.push('## All models (test)', '', outcome.markdown, '');
      const report = join(flags.out, 'report.md');
      writeFileSync(report, sections.join('\n'));
      process.stdout.write(`\nreport: ${report}; runs: ${flags.out}\n`);
    });
}
