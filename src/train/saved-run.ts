// A finished run directory, loaded for prediction: the saved feature encoder plus the exported, self-contained
// model.onnx (embeddings and weights baked in), each checked against the run's manifest, and the graph checked to
// take what the encoder produces. eval, predict and the HTTP server all score through here, so they give the same
// probabilities as the evaluation at the end of training.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { batchIterator, type EncodedColumns, encodeFile, FeatureEncoder, type FieldInfo } from '../data/index.js';
import { type Feed, type GraphValue, Session } from '../engine/index.js';
import { OptmsmError } from '../errors.js';
import { evaluateByScenario, runMetricsSchema, runTimingSchema, type RunMetrics, type SplitMetrics } from '../metrics/index.js';
import { parseJsonText, readJsonFileSync, writeFileAtomicSync, writeJsonAtomicSync } from './checkpoint-io.js';
import { type Manifest, MANIFEST_FILE, readVerifiedFiles } from './manifest.js';

export const RUN_FILES = {
  config: 'config.json',
  encoder: 'encoder.json',
  weights: 'weights.bin',
  model: 'model.onnx',
  metrics: 'metrics.json',
  /** Wall-clock figures of the training (seconds, samples/s), apart so that metrics.json is the same on every run of a seed. */
  timing: 'timing.json',
  log: 'log.jsonl',
  /** The test rows' click probabilities, float32 little-endian in the split's order: paired tests on rows (DeLong). */
  testScores: 'test-scores.f32',
  manifest: MANIFEST_FILE,
} as const;

export const savedRunConfigSchema = z.looseObject({
  model: z.string(),
  seed: z.number(),
  fields: z.array(
    z.strictObject({
      name: z.string(),
      kind: z.enum(['categorical', 'multi', 'numeric', 'sequence']),
      scope: z.enum(['shared', 'specific']),
      vocabSize: z.number(),
      embeddingDim: z.number(),
      maxLen: z.number(),
      pooling: z.enum(['mean', 'sum', 'attention']),
      vocabulary: z.string().optional(),
    }),
  ),
  scenarios: z.strictObject({ column: z.string(), values: z.array(z.string()) }),
});
export type SavedRunConfig = z.infer<typeof savedRunConfigSchema>;

/** A run directory's files, verified against its manifest, before any ONNX Runtime session exists. */
export interface RunFiles {
  dir: string;
  config: SavedRunConfig;
  encoder: FeatureEncoder;
  metrics: RunMetrics | null;
  /** The sha256 of each file the run was loaded from, as checked against manifest.json. */
  manifest: Manifest;
  /** model.onnx, the bytes the manifest check was made on. */
  model: Uint8Array;
}

export interface SavedRun extends Omit<RunFiles, 'model'> {
  session: Session;
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

/**
 * The exported model's inputs, as the encoder's fields define them: the scenario index, one id tensor per
 * embedded field ([B, maxLen], 0-padded) and, when there are numeric fields, one [B, n] matrix of them in field
 * order. Every client of model.onnx (scoreColumns, the server, a Triton client) feeds exactly these.
 */
export function modelInputs(fields: readonly FieldInfo[]): GraphValue[] {
  const numeric = fields.filter((f) => f.kind === 'numeric').length;
  return [
    ...(numeric > 0 ? [{ name: 'numeric', type: 'float32', shape: ['B', numeric] }] : []),
    { name: 'scenario', type: 'int32', shape: ['B'] },
    ...fields.filter((f) => f.kind !== 'numeric').map((f) => ({ name: `ids/${f.name}`, type: 'int32', shape: ['B', f.maxLen] })),
  ];
}

const describeValue = (v: GraphValue) => `${v.name} ${v.type} [${v.shape.join(', ')}]`;

/**
 * The graph must take exactly the inputs the encoder produces (same names, types and widths), else
 * E_RUN_INCOMPATIBLE; only the scenario index may be absent: a model that reads the scenario through its embedding
 * alone (OptMSM's defaults) exports a graph without it, and Session.run feeds only what the graph takes.
 */
export function checkModelInputs(session: Session, fields: readonly FieldInfo[], modelFile: string): void {
  const found = new Map(session.inputs.map((v) => [v.name, v]));
  const expected = modelInputs(fields).filter((v) => v.name !== 'scenario' || found.has('scenario'));
  const same = (a: GraphValue, b: GraphValue | undefined) =>
    b !== undefined && a.type === b.type && a.shape.length === b.shape.length && a.shape.every((d, i) => d === 'B' ? typeof b.shape[i] === 'string' : d === b.shape[i]);
  const bad = expected.filter((v) => !same(v, found.get(v.name)));
  const extra = session.inputs.filter((v) => !expected.some((e) => e.name === v.name));
  if (bad.length > 0 || extra.length > 0) {
    throw new OptmsmError('E_RUN_INCOMPATIBLE', `${modelFile} does not take the inputs of this run's encoder (files from different runs?)`, {
      location: modelFile,
      expected: (bad.length > 0 ? bad : expected).map(describeValue).join('; '),
      found: [...bad.map((v) => found.get(v.name)), ...extra].map((v) => (v ? describeValue(v) : 'no such input')).join('; ') || 'no input',
      hint: 'a run directory must keep the model.onnx, encoder.json and config.json written together by `optmsm train`',
    });
  }
}

export function readRun(dir: string): RunFiles {
  for (const name of [RUN_FILES.config, RUN_FILES.encoder, RUN_FILES.model]) requireFile(dir, name);
  const { manifest, bytes } = readVerifiedFiles(dir);
  const configFile = join(dir, RUN_FILES.config);
  const config = parseJsonText(bytes['config.json'].toString('utf8'), configFile, savedRunConfigSchema, { code: 'E_RUN_NOT_FOUND', what: 'run config' });
  const encoder = FeatureEncoder.load(join(dir, RUN_FILES.encoder));
  const metrics = existsSync(join(dir, RUN_FILES.metrics)) ? readRunMetrics(dir) : null;
  return { dir, config, encoder, metrics, manifest, model: bytes['model.onnx'] };
}

/** Writes metrics.json (what the data, config, seed and code decide) and timing.json (`train`: wall-clock). */
export function writeRunMetrics(dir: string, metrics: RunMetrics): void {
  const { train, ...deterministic } = metrics;
  writeJsonAtomicSync(join(dir, RUN_FILES.timing), train);
  writeJsonAtomicSync(join(dir, RUN_FILES.metrics), deterministic);
}

export function writeTestScores(dir: string, probability: Float32Array): void {
  const bytes = Buffer.from(probability.buffer, probability.byteOffset, probability.byteLength);
  writeFileAtomicSync(join(dir, RUN_FILES.testScores), bytes); // host order: little-endian on every platform Node ships for
}

/** The run's test scores, or null for a run written before they were kept (or one whose file does not fit `rows`). */
export function readTestScores(dir: string, rows: number): Float32Array | null {
  const file = join(dir, RUN_FILES.testScores);
  if (!existsSync(file)) return null;
  const bytes = readFileSync(file);
  if (bytes.length !== rows * 4) return null;
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

/** A finished run's metrics with its timing; runs written before timing.json kept `train` in metrics.json. */
export function readRunMetrics(dir: string): RunMetrics {
  const metricsFile = join(dir, RUN_FILES.metrics);
  const timingFile = join(dir, RUN_FILES.timing);
  const metrics = readJsonFileSync(metricsFile, runMetricsSchema.extend({ train: runTimingSchema.optional() }), { code: 'E_RUN_NOT_FOUND', what: 'run metrics' });
  const train = existsSync(timingFile) || metrics.train === undefined
    ? readJsonFileSync(timingFile, runTimingSchema, { code: 'E_RUN_NOT_FOUND', what: 'run timing' })
    : metrics.train;
  return { ...metrics, train };
}

export async function loadRun(dir: string, options: { threads?: number } = {}): Promise<SavedRun> {
  const { model, ...files } = readRun(dir);
  const session = await Session.create(model, { threads: options.threads });
  checkModelInputs(session, files.config.fields, join(dir, RUN_FILES.model));
  return { ...files, session };
}

/** The feeds of model.onnx (see modelInputs) for `size` rows: numeric is the [size, n] matrix in field order. */
export function modelFeeds(
  fields: readonly FieldInfo[], size: number, scenario: Int32Array, numeric: Float32Array, ids: Readonly<Record<string, Int32Array>>,
): Record<string, Feed> {
  const feeds: Record<string, Feed> = { scenario: { data: scenario, shape: [size] } };
  const numericWidth = fields.filter((f) => f.kind === 'numeric').length;
  if (numericWidth > 0) feeds.numeric = { data: numeric, shape: [size, numericWidth] };
  for (const f of fields) if (f.kind !== 'numeric') feeds[`ids/${f.name}`] = { data: ids[f.name]!, shape: [size, f.maxLen] };
  return feeds;
}

/** Click probabilities of every row of `columns` from the run's exported model. */
export async function scoreColumns(run: SavedRun, columns: EncodedColumns, batchSize = 16384): Promise<Float32Array> {
  const fields = run.config.fields;
  const probability = new Float32Array(columns.rows);
  let start = 0;
  for (const batch of batchIterator(columns, { batchSize, shuffle: false, fields })) {
    const out = await run.session.run(modelFeeds(fields, batch.size, batch.scenario, batch.numeric, batch.idsByName));
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
