// `npm start`: the main job on the built-in synthetic data. Generates the dataset once, trains OptMSM and the
// baselines with one seed (reusing finished runs), and prints the per-scenario table beside the oracle AUC.
import type { Command } from 'commander';
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
      const train = await import('../../train/index.js');
      const loaded = train.loadRunConfig(START_CONFIG);
      // Under the working directory, not beside the shipped config (inside node_modules for an installed package);
      // the dataset config's `synthetic:` block regenerates the file when it is missing.
      const dataFile = resolve(flags.data);
      const config = { ...loaded, dataset: { ...loaded.dataset, files: [dataFile] } };
      const seeds = [config.seeds[0]];
      const outcome = await train.runBench({ config, models: START_MODELS, seeds, ablations: false, out: flags.out, log: logLine });
      const optmsm = outcome.runs.find((r) => r.model === 'optmsm' && !r.variant);
      const oracle = outcome.summary.oracle;
      const sections = [];
      if (optmsm) {
        const oracleByScenario = oracle ? { ...oracle.scenarios, all: oracle.auc } : undefined;
        const table = train.renderScenarioTable(optmsm.test, { format: 'text', oracle: oracleByScenario, overallLabel: 'all' });
        process.stdout.write(`\nOptMSM, test split, per scenario (oracle = AUC of the true click probability):\n${table}\n`);
        sections.push(await train.scenarioSection({ ...optmsm, oracle: optmsm.oracle ?? oracle }, 'OptMSM: test AUC per scenario'));
      }
      process.stdout.write(`\nAll models (test AUC, 1 seed; LogLoss and the rest in the report):\n${outcome.text}\n`);
      const input = { name: config.name, summary: outcome.summary, seeds, runs: outcome.reports };
      sections.push(...(await train.benchReportSections(input)));
      const report = train.writeReport(
        join(flags.out, train.REPORT_FILES.run),
        train.reportPage(`optmsm start: ${config.name}`, `npm start on ${dataFile}; ${train.benchSubtitle(input)}`, sections),
      );
      process.stdout.write(`\nreport: ${report}; runs: ${flags.out}\n`);
    });
}
