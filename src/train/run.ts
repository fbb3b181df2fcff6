// One training run from a run config to a finished run directory: the resolved config, the feature encoder, the
// best weights, the self-contained inference model.onnx, the epoch log and metrics.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { datasetFingerprint, type PreparedDataset, prepareDataset } from '../data/index.js';
import { exportModel } from '../engine/index.js';
import { getModel, resolveModelConfig } from '../models/index.js';
import type { RunMetrics } from '../metrics/index.js';
import { writeFileAtomicSync, writeJsonAtomicSync } from './checkpoint-io.js';
import { codeVersion } from './code-version.js';
import { embeddingFields } from './engine-batch.js';
import type { RunConfig } from './experiment.js';
import { writeManifest } from './manifest.js';
import { oracleOf } from './oracle.js';
import { writeRunReport } from './report-html.js';
import { checkResumable, claimRunDir, type RunIdentity } from './run-record.js';
import { RUN_FILES, writeRunMetrics, writeTestScores } from './saved-run.js';
import type { TrainConfig } from './train-config.js';
import { hasCheckpoint, saveAtomic, scoreSplit, type TrainResult, trainModel } from './trainer.js';

/** Bins of the test split's reliability curve in metrics.json (and the run report's reliability diagram). */
const RELIABILITY_BINS = 10;

export interface RunOptions {
  config: RunConfig;
  model?: string;
  /** Options merged over config.models[model] (e.g. an ablation variant). */
  modelOverrides?: Record<string, unknown>;
  variant?: string;
  seed?: number;
  out: string;
  epochs?: number;
  /** Continue from the last checkpoint in `out`; anything that differs from the run's record is an error. */
  resume?: boolean;
  /** Replace a finished or unfinished run in `out` (without it, training into one is an error). */
  overwrite?: boolean;
  /** The command that resumes the run, printed when SIGINT or SIGTERM stops it. */
  resumeCommand?: string;
  /** An already prepared dataset (bench reuses one for every run). */
  data?: PreparedDataset;
  log?: (line: string) => void;
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface RunOutcome {
  dir: string;
  metrics: RunMetrics;
  data: PreparedDataset;
  result: TrainResult;
  /** report.html in the run directory. */
  report: string;
}

/** Where `optmsm train` puts a run without --out: runs/<experiment>.<model>/seed-<seed>. */
export function defaultRunDir(config: RunConfig, model: string, seed: number): string {
  return join('runs', `${config.name}.${model}`, `seed-${seed}`);
}

export async function loadData(config: RunConfig, log?: (line: string) => void): Promise<PreparedDataset> {
  return prepareDataset(config.dataset, { log });
}

export async function runTraining(options: RunOptions): Promise<RunOutcome> {
  const { config } = options;
  const log = options.log ?? (() => {});
  const model = options.model ?? config.model;
  const seed = options.seed ?? config.seeds[0];
  const train: TrainConfig = options.epochs ? { ...config.train, epochs: options.epochs } : config.train;
  const dir = resolve(options.out);
  mkdirSync(dir, { recursive: true });
  claimRunDir(dir, { resume: options.resume === true, overwrite: options.overwrite === true });

  const modelConfig = { ...(config.models[model] ?? {}), ...(options.modelOverrides ?? {}) };
  // A bad model name or option fails before the data is read.
  const resolvedModelConfig = resolveModelConfig(getModel(model), modelConfig);
  const data = options.data ?? (await loadData(config, log));
  const version = codeVersion();
  const { source: _source, files: _files, ...dataset } = config.dataset;
  const identity: RunIdentity = {
    model, variant: options.variant, seed, model_config: resolvedModelConfig, train_resolved: train, dataset,
    data_fingerprint: datasetFingerprint(data), code_version: version,
  };
  const resume = options.resume === true && hasCheckpoint(dir);
  if (resume) checkResumable(dir, identity);
  else {
    writeJsonAtomicSync(join(dir, RUN_FILES.config), {
      ...identity, train: config.trainRaw, dataset_file: config.datasetFile, files: config.dataset.files, fields: data.fields, scenarios: data.scenarios,
    });
  }
  const result = await trainModel({
    data, model, modelConfig, train, seed, dir, resume, resumeCommand: options.resumeCommand, log, progress: options.progress,
  });
  const { metrics: test, probability: testScores } = await scoreSplit(result.engine, data, data.test, train, { reliabilityBins: RELIABILITY_BINS });
  const oracle = oracleOf(data, config.dataset.oracleColumn, data.test);

  const { engine, compiled } = result;
  data.encoder.save(join(dir, RUN_FILES.encoder));
  saveAtomic(engine, join(dir, RUN_FILES.weights));
  const onnx = exportModel(
    compiled,
    { theta: engine.theta, buffers: engine.buffers },
    {
      fields: embeddingFields(data.fields).map((f) => ({ ...f, table: engine.store.table(f.table).data })),
    },
  );
  writeFileAtomicSync(join(dir, RUN_FILES.model), onnx);
  writeManifest(dir, version);
  const metrics: RunMetrics & { epochs_run: number; skipped_batches: number; best_epoch_defined: boolean } = {
    model,
    ...(options.variant ? { variant: options.variant } : {}),
    seed,
    best_epoch: result.bestEpoch ?? result.epochsRun,
    test,
    validation: result.validation,
    train: { seconds: result.seconds, samples_per_second: result.samplesPerSecond },
    parameters: result.parameters,
    ...(oracle ? { oracle } : {}),
    epochs_run: result.epochsRun,
    skipped_batches: result.skippedBatches,
    best_epoch_defined: result.bestEpoch !== null,
  };
  writeTestScores(dir, testScores);
  writeRunMetrics(dir, metrics);
  writeFileSync(join(dir, 'README.txt'), runReadme(model, seed));
  await engine.dispose();
  const report = await writeRunReport(dir);
  return { dir, metrics, data, result, report };
}

const runReadme = (model: string, seed: number) =>
  `optmsm run: model ${model}, seed ${seed}.
config.json   resolved configuration (dataset, model options, training options, code version)
encoder.json  the fitted feature encoder (vocabularies, statistics, scenario map)
weights.bin   the best weights and optimizer state (engine state file)
model.onnx    self-contained inference model: inputs ids/<field> int32 [B, maxLen], numeric, scenario; output out/probability
manifest.json sha256 of model.onnx, encoder.json and config.json, checked whenever the run is loaded
log.jsonl     one JSON line per epoch
metrics.json  validation and test metrics, overall and per scenario (the same bits on every run of the seed)
test-scores.f32  the click probability of every test row, float32 little-endian in the split's order (paired tests on rows)
timing.json   training seconds and samples/s (wall clock)
report.html   learning curves, per-scenario AUC, reliability diagrams, config (opens in any browser, offline)
`;
