// A finished run directory, loaded for prediction: the saved feature encoder plus the exported, self-contained
// model.onnx (embeddings and weights baked in). eval, predict and the HTTP server all score through here, so they
// give the same probabilities as the evaluation at the end of training.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { type EncodedColumns, FeatureEncoder, type FieldInfo } from '../data/index.js';
import { Session } from '../engine/index.js';
import { OptmsmError } from '../errors.js';
import { runMetricsSchema, type RunMetrics } from '../metrics/index.js';
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

/** Feeds of the exported model for rows [start, end) of `columns`: `ids/<field>`, `numeric`, `scenario`. */
function exportFeeds(fields: readonly FieldInfo[], columns: EncodedColumns, start: number, end: number) {
  const size = end - start;
  const feeds: Record<string, { data: Float32Array | Int32Array; shape: number[] }> = {
    scenario: { data: columns.scenario.subarray(start, end), shape: [size] },
  };
  const numericFields = fields.filter((f) => f.kind === 'numeric');
  if (numericFields.length > 0) {
    const numeric = new Float32Array(size * numericFields.length);
    numericFields.forEach((f, k) => {
      const source = columns.numeric[f.name];
      for (let i = 0; i < size; i++) numeric[i * numericFields.length + k] = source[start + i];
    });
    feeds.numeric = { data: numeric, shape: [size, numericFields.length] };
  }
  for (const f of fields) {
    if (f.kind === 'numeric') continue;
    feeds[`ids/${f.name}`] = { data: columns.ids[f.name].subarray(start * f.maxLen, end * f.maxLen), shape: [size, f.maxLen] };
  }
  return feeds;
}

/** Click probabilities of every row of `columns` from the run's exported model. */
export async function scoreColumns(run: SavedRun, columns: EncodedColumns, batchSize = 16384): Promise<Float32Array> {
  const probability = new Float32Array(columns.rows);
  for (let start = 0; start < columns.rows; start += batchSize) {
    const end = Math.min(start + batchSize, columns.rows);
    const out = await run.session.run(exportFeeds(run.config.fields, columns, start, end));
    probability.set(out['out/probability'].data as Float32Array, start);
  }
  return probability;
}
