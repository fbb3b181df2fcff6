// A finished run directory, loaded for prediction: the saved feature encoder plus the exported, self-contained
// model.onnx (embeddings and weights baked in). eval, predict and the HTTP server all score through here, so they
// give the same probabilities as the evaluation at the end of training.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { batchIterator, type EncodedColumns, encodeFile, FeatureEncoder } from '../data/index.js';
import { type Feed, Session } from '../engine/index.js';
import { OptmsmError } from '../errors.js';
import { evaluateByScenario, runMetricsSchema, type RunMetrics, type SplitMetrics } from '../metrics/index.js';
import { readJsonFileSync } from './checkpoint-io.js';

export const RUN_FILES = {
  config: 'config.json',
  encoder: 'encoder.json',
  weights: 'weights.bin',
  model: 'model.onnx',
  metrics: 'metrics.json',
  log: 'log.jsonl',
} as const;

export const savedRunConfigSchema = z.looseObject({
  model: z.string(),
  seed: z.number(),
  fields: z.array(
    z.strictObject({
      name: z.string(),
      kind: z.enum(['categorical', 'multi', 'numeric']),
      scope: z.enum(['shared', 'specific']),
      vocabSize: z.number(),
      embeddingDim: z.number(),
      maxLen: z.number(),
      pooling: z.enum(['mean', 'sum']),
    }),
  ),
  scenarios: z.strictObject({ column: z.string(), values: z.array(z.string()) }),
});
export type SavedRunConfig = z.infer<typeof savedRunConfigSchema>;

export interface SavedRun {
  dir: string;
  config: SavedRunConfig;
  encoder: FeatureEncoder;
  session: Session;
  metrics: RunMetrics | null;
}

function requireFile(dir: string, name: string): string {
  const file = join(dir, name);
  if (!existsSync(file)) {
    throw new OptmsmError('E_RUN_NOT_FOUND', `${dir} is not a finished run: ${name} is missing`, {
      location: file,
      hint: 'train one with `optmsm train --config FILE --out DIR`',
    });
  }
  return file;
}

export async function loadRun(dir: string, options: { threads?: number } = {}): Promise<SavedRun> {
  const config = readJsonFileSync(requireFile(dir, RUN_FILES.config), savedRunConfigSchema, { code: 'E_RUN_NOT_FOUND', what: 'run config' });
  const encoder = FeatureEncoder.load(requireFile(dir, RUN_FILES.encoder));
  const session = await Session.create(readFileSync(requireFile(dir, RUN_FILES.model)), { threads: options.threads });
  const metricsFile = join(dir, RUN_FILES.metrics);
  const metrics = existsSync(metricsFile) ? readJsonFileSync(metricsFile, runMetricsSchema, { what: 'metrics' }) : null;
  return { dir, config, encoder, session, metrics };
}

/** Click probabilities of every row of `columns` from the run's exported model (inputs ids/<field>, numeric, scenario). */
export async function scoreColumns(run: SavedRun, columns: EncodedColumns, batchSize = 16384): Promise<Float32Array> {
  const fields = run.config.fields;
  const probability = new Float32Array(columns.rows);
  let start = 0;
  for (const batch of batchIterator(columns, { batchSize, shuffle: false, fields })) {
    const feeds: Record<string, Feed> = { scenario: { data: batch.scenario, shape: [batch.size] } };
    if (batch.numericFields.length > 0) feeds.numeric = { data: batch.numeric, shape: [batch.size, batch.numericFields.length] };
    for (const f of fields) if (f.kind !== 'numeric') feeds[`ids/${f.name}`] = { data: batch.idsByName[f.name], shape: [batch.size, f.maxLen] };
    const out = await run.session.run(feeds);
    probability.set(out['out/probability'].data as Float32Array, start);
    start += batch.size;
  }
  return probability;
}

/** Scores a labelled raw data file (CSV/Parquet/JSONL, directory or glob): AUC, LogLoss, calibration, per scenario. */
export async function evaluateFile(run: SavedRun, file: string): Promise<SplitMetrics> {
  const columns = await encodeFile(run.encoder, file, { requireLabel: true });
  const probability = await scoreColumns(run, columns);
  return evaluateByScenario(probability, columns.label, columns.scenario, run.config.scenarios.values);
}

/** The predictions for a data file, row by row in file order; `scenario[i]` indexes `scenarios`. */
export interface FilePredictions {
  probability: Float32Array;
  scenario: Int32Array;
  scenarios: readonly string[];
}

/** The click probability of every row of a raw data file (the label column is not needed). */
export async function predictFile(run: SavedRun, file: string): Promise<FilePredictions> {
  const columns = await encodeFile(run.encoder, file);
  const probability = await scoreColumns(run, columns);
  return { probability, scenario: columns.scenario, scenarios: run.config.scenarios.values };
}
