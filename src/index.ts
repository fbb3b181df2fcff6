// optmsm as a library: the same operations as the `optmsm` command, with typed options and results. Configs are
// given as a file path or as the object the file would hold; their types are inferred from the Zod schemas that
// validate them (docs/config.md lists every key), so a typo is a compile error here and a clear E_CONFIG_* error
// for untyped callers. A new operation is one more function here, a new model one more registry entry.
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import type { DatasetConfigInput } from './data/index.js';
import { modelNames, MODELS } from './models/index.js';
import type { RunMetrics, SplitMetrics } from './metrics/index.js';
import { type ListenOptions, type ServeOptionsInput, startServer } from './serve/index.js';
import {
  benchSeeds, type BenchOutcome, defaultBenchDir, defaultRunDir, evaluateFile, type FilePredictions, loadRun as loadSavedRun,
  loadRunConfig, loadSuite, loadVariants, predictFile, resolveRunConfig, type RunConfig, type runConfigSchema, runBench,
  runSuite, runTraining, type SavedRun, type SuiteOutcome, type TrainConfigInput, tuneModel, type TuneOutcome,
} from './train/index.js';

export { OptmsmError, type ErrorCode } from './errors.js';
export { generateSynthetic, type SyntheticOptions, type SyntheticResult, type DatasetConfigInput } from './data/index.js';
export type { RunMetrics, SplitMetrics, ScenarioMetrics } from './metrics/index.js';
export type {
  BenchOutcome, BenchRow, BenchSummary, FilePredictions, RunConfig, SavedRun, SuiteOutcome, TrainConfigInput, TuneOutcome,
} from './train/index.js';
// The report renderers, for composing a report of your own from the same sections (one self-contained HTML file).
export {
  benchReportSections, renderBenchReport, renderRunReport, reportPage, runReportSections, writeReport,
  type BenchReportInput, type ReportSection, type RunReportInput,
} from './train/index.js';

/** An experiment config (configs/experiments/*.yaml) as an object: the dataset by path or inline. */
export type ExperimentConfigInput = Omit<z.input<typeof runConfigSchema>, 'dataset' | 'train'> & {
  dataset: string | DatasetConfigInput;
  train?: TrainConfigInput;
};

/** A config file (experiment or dataset config, YAML or JSON), or the object such a file holds. */
export type ConfigInput = string | ExperimentConfigInput | DatasetConfigInput;

/** Resolves a config as `optmsm train --config` does; relative paths in an object resolve against `baseDir`. */
export function resolveConfig(config: ConfigInput, baseDir = process.cwd()): RunConfig {
  if (typeof config === 'string') return loadRunConfig(config);
  return resolveRunConfig(config, '<config object>', resolve(baseDir));
}

interface Logging {
  /** Progress lines (epochs, cache hits); default: none. */
  log?: (line: string) => void;
  /** Where the per-epoch progress bar (a terminal) or progress lines go; default process.stderr. */
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface TrainOptions extends Logging {
  config: ConfigInput;
  /** Default: the config's `model`. */
  model?: string;
  /** Default: the config's first seed. */
  seed?: number;
  /** Run directory; default runs/<experiment>.<model>/seed-<seed>. */
  out?: string;
  /** Options merged over the config's `models.<model>`. */
  modelConfig?: Record<string, unknown>;
  /** Epoch limit, overriding train.epochs. */
  epochs?: number;
  /** Continue from the last checkpoint in `out`. */
  resume?: boolean;
}

export interface TrainResult {
  /** The run directory (config.json, encoder.json, model.onnx, metrics.json, log.jsonl, report.html). */
  dir: string;
  metrics: RunMetrics;
}

/** Trains one model and writes a finished run directory; the same as `optmsm train`. */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const config = resolveConfig(options.config);
  const model = options.model ?? config.model;
  const seed = options.seed ?? config.seeds[0];
  const { dir, metrics } = await runTraining({
    config, model, seed, out: options.out ?? defaultRunDir(config, model, seed), modelOverrides: options.modelConfig,
    epochs: options.epochs, resume: options.resume, log: options.log, progress: options.progress,
  });
  return { dir, metrics };
}

/** A finished run, ready to score: its resolved config, encoder, exported model and metrics. */
export type Run = SavedRun;

/** Loads a run directory written by `train` (or `optmsm train`). */
export async function loadRun(dir: string, options: { threads?: number } = {}): Promise<Run> {
  return loadSavedRun(dir, options);
}

const runOf = async (run: string | Run): Promise<Run> => (typeof run === 'string' ? loadRun(run) : run);

/** AUC, LogLoss and calibration, overall and per scenario, of a run on a labelled data file (`optmsm eval`). */
export async function evaluate(options: { run: string | Run; data: string }): Promise<SplitMetrics> {
  return evaluateFile(await runOf(options.run), options.data);
}

/** The click probability of every row of a raw data file, in file order (`optmsm predict`). */
export async function predict(options: { run: string | Run; data: string }): Promise<FilePredictions> {
  return predictFile(await runOf(options.run), options.data);
}

export interface BenchOptions extends Logging {
  config: ConfigInput;
  /** Default: every registered model. */
  models?: string[];
  /** Number of seeds: the config's seeds, then the next integers; default the config's seeds. */
  seeds?: number;
  /** Add the OptMSM ablation variants (the config's `variants`, or the built-in list). */
  ablations?: boolean;
  /** Default runs/bench/<experiment>. */
  out?: string;
  epochs?: number;
}

/** Trains models x seeds on one split and summarises them (bench.json, bench.md, bench.html); `optmsm bench`. */
export async function bench(options: BenchOptions): Promise<BenchOutcome> {
  const config = resolveConfig(options.config);
  return runBench({
    config, models: options.models ?? modelNames(), seeds: benchSeeds(config, options.seeds ?? config.seeds.length),
    ablations: options.ablations ?? false, out: options.out ?? defaultBenchDir(config), epochs: options.epochs,
    log: options.log, progress: options.progress,
  });
}

export interface TuneOptions extends Logging {
  config: ConfigInput;
  model: string;
  /** Trials of the random search (trial 0 is the defaults); the same budget for every model. */
  trials: number;
  /** Training seed of every trial and seed of the search; default the config's first seed. */
  seed?: number;
  /** Default runs/tune/<experiment>/<model>. */
  out?: string;
  epochs?: number;
}

/** Random search over a model's and the training options, chosen on validation AUC (`optmsm tune`). */
export async function tune(options: TuneOptions): Promise<TuneOutcome> {
  const config = resolveConfig(options.config);
  return tuneModel({
    config, model: options.model, trials: options.trials, seed: options.seed, epochs: options.epochs,
    out: options.out ?? join('runs', 'tune', config.name, options.model), log: options.log, progress: options.progress,
  });
}

export interface SuiteOptions extends Logging {
  /** A suite file (configs/suite/*.yaml): worlds with their role, seeds, training options. */
  suite: string;
  out: string;
  /** Default: every registered model. */
  models?: string[];
  /** Number of seeds: the suite's, then the next integers. */
  seeds?: number;
  /** Which worlds run; default all. */
  worlds?: 'tuning' | 'test' | 'all';
  /** A file with a `variants:` block: extra rows. */
  variants?: string;
  /** A suite tune directory (`tune` per world): adds a tuned row per model. */
  tuned?: string;
  epochs?: number;
}

/** A bench per synthetic world of a suite, summarised across worlds (`optmsm suite`). */
export async function suite(options: SuiteOptions): Promise<SuiteOutcome> {
  const loaded = loadSuite(options.suite);
  return runSuite({
    suite: loaded, models: options.models ?? modelNames(), seeds: benchSeeds(loaded, options.seeds ?? loaded.seeds.length),
    out: options.out, worlds: options.worlds ?? 'all', variants: options.variants ? loadVariants(options.variants) : [],
    tunedDir: options.tuned, epochs: options.epochs, log: options.log, progress: options.progress,
  });
}

/** The run, where to listen, and any server option of docs/serving.md (workers, limits, timeouts, --strict...). */
export type ServeOptions = ServeOptionsInput & ListenOptions;

export interface Server {
  /** e.g. http://127.0.0.1:8080 */
  address: string;
  /** Stops accepting, finishes the requests in flight, and stops the scoring workers. */
  close(): Promise<void>;
}

/** Serves a run over HTTP (POST /predict, GET /model, /health/live, /health/ready, /metrics, /docs/json) once its model is warm; `optmsm serve`. */
export async function serve(options: ServeOptions): Promise<Server> {
  const server = await startServer(options);
  try {
    await server.served.ready;
  } catch (error) {
    await server.drain();
    throw error;
  }
  return { address: server.address, close: server.drain };
}

export interface ModelInfo {
  name: string;
  description: string;
  /** Every option with its default. */
  defaults: Record<string, unknown>;
}

/** The registered models and their options (`optmsm models`). */
export function models(): ModelInfo[] {
  return [...MODELS.values()].map((d) => ({ name: d.name, description: d.description, defaults: d.config.parse({}) as Record<string, unknown> }));
}
