// npm run bench:models [-- --configs configs/experiments/ml100k.yaml,configs/experiments/synthetic-1m.yaml
//                          --models optmsm,star,shared-bottom --variants FILE --rounds 5 --steps 30]
//
// Training throughput of whole models on real data, the way the trainer runs them (batches from the shuffled
// training split, the run config's batch size, optimizers and model options, EngineModel.trainStep), in
// interleaved rounds in one process: each round trains every model for --steps batches, so a burst of load
// from other processes hits all models alike. Prints samples/s per model (median and best round), the ratio
// of each model to the reference model (--against, default star) and the dense parameter counts with and
// without the embedding tables. `--variants FILE` adds rows from a `variants:` block (as `optmsm suite` takes:
// `optmsm.m32: {model: optmsm, config: {repr_dim: 32}}`). ML-100k needs ../shared/data (skipped when absent).
import { cpus, loadavg } from 'node:os';
import { Command } from 'commander';
import { batchIterator, type Batch, type PreparedDataset } from '../src/data/index.js';
import { compile, EngineModel } from '../src/engine/index.js';
import { OptmsmError } from '../src/errors.js';
import { buildCtrGraph, countParameters, getModel } from '../src/models/index.js';
import { entryLabel, loadData, loadRunConfig, type BenchEntry, type RunConfig } from '../src/train/index.js';
import { loadVariants } from '../src/train/suite.js';
import { embeddingFields, toEngineBatch } from '../src/train/engine-batch.js';

const WARMUP_STEPS = 3;

const program = new Command()
  .option('--configs <list>', 'run configs, comma-separated', 'configs/experiments/ml100k.yaml,configs/experiments/synthetic-1m.yaml')
  .option('--models <list>', 'models, comma-separated (options from each run config)', 'optmsm,star,shared-bottom')
  .option('--variants <file>', 'extra rows: a file with a `variants:` block')
  .option('--against <model>', 'the model the ratios are taken against', 'star')
  .option('--rounds <n>', 'interleaved rounds', '5')
  .option('--steps <n>', 'timed training steps per model and round', '30');
program.parse();
const opts = program.opts<{ configs: string; models: string; variants?: string; against: string; rounds: string; steps: string }>();

interface Contender {
  label: string;
  engine: EngineModel;
  batches: Generator<Batch>;
  rates: number[];
  dense: number;
  embedding: number;
}

/** An endless stream of training batches: the trainer's shuffled epochs, one after another. */
function* epochs(data: PreparedDataset, batchSize: number, seed: number): Generator<Batch> {
  for (let epoch = 0; ; epoch++) yield* batchIterator(data.train, { batchSize, seed, epoch, fields: data.fields });
}

async function contender(config: RunConfig, data: PreparedDataset, entry: BenchEntry): Promise<Contender> {
  const ctx = { fields: data.fields, numScenarios: data.scenarios.values.length, scenarioField: data.scenarios.column };
  const options = { ...(config.models[entry.model] ?? {}), ...entry.overrides };
  const compiled = compile(buildCtrGraph(getModel(entry.model), options, ctx));
  const { train } = config;
  const engine = await EngineModel.create({
    compiled, fields: embeddingFields(data.fields), optimizer: train.optimizer, sparseOptimizer: train.sparseOptimizer,
    seed: config.seeds[0], threads: train.threads, clipNorm: train.clipNorm,
  });
  const batches = epochs(data, train.batchSize, config.seeds[0]);
  const counts = countParameters(compiled, data.fields);
  return { label: entryLabel(entry), engine, batches, rates: [], dense: counts.dense, embedding: counts.embedding };
}

async function timedSteps(c: Contender, steps: number): Promise<number> {
  let samples = 0;
  const started = performance.now();
  for (let i = 0; i < steps; i++) {
    const batch = c.batches.next().value as Batch;
    await c.engine.trainStep(toEngineBatch(batch));
    samples += batch.size;
  }
  return samples / ((performance.now() - started) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const entries: BenchEntry[] = [
  ...opts.models.split(',').map((model) => ({ model, overrides: {} })),
  ...(opts.variants ? loadVariants(opts.variants) : []),
];
const rounds = Number(opts.rounds);
const steps = Number(opts.steps);
console.log(`bench:models: ${entries.map(entryLabel).join(', ')}; ${rounds} interleaved rounds of ${steps} steps (after ${WARMUP_STEPS} warm-up steps)`);
console.log(`started ${new Date().toISOString()} on ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const table: string[][] = [['dataset', 'model', 'samples/s (median round)', 'best round', `ratio to ${opts.against} (median)`, 'dense params', 'embedding params']];
for (const file of opts.configs.split(',')) {
  const config = loadRunConfig(file);
  let data: PreparedDataset;
  try {
    data = await loadData(config);
  } catch (error) {
    if (!(error instanceof OptmsmError && error.code === 'E_DATA_NOT_FOUND')) throw error;
    console.log(`${config.name}: ${error.message}, skipped`);
    continue;
  }
  const contenders: Contender[] = [];
  for (const entry of entries) contenders.push(await contender(config, data, entry));
  for (const c of contenders) await timedSteps(c, WARMUP_STEPS);
  for (let r = 0; r < rounds; r++) {
    // Alternate the order so that no model always runs first after the previous dataset's or round's work.
    const order = r % 2 === 0 ? contenders : [...contenders].reverse();
    for (const c of order) c.rates.push(await timedSteps(c, steps));
    console.log(`  ${config.name} round ${r + 1}: ${contenders.map((c) => `${c.label} ${fmt(c.rates[r])}`).join(', ')} samples/s`);
  }
  const reference = contenders.find((c) => c.label === opts.against);
  for (const c of contenders) {
    const ratio = reference ? `${(median(c.rates) / median(reference.rates)).toFixed(2)}x` : '-';
    table.push([config.name, c.label, fmt(median(c.rates)), fmt(Math.max(...c.rates)), ratio, fmt(c.dense), fmt(c.embedding)]);
    await c.engine.dispose();
  }
}
const widths = table[0].map((_, col) => Math.max(...table.map((row) => row[col].length)));
for (const row of table) console.log(row.map((cell, col) => (col < 2 ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))).join('  '));
console.log(`finished ${new Date().toISOString()}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
