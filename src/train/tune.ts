// `optmsm tune`: seeded random search over a model's own search space (declared in its file, the same size for
// every model) and the training options (learning rate, weight decay, embedding L2, batch size), with the same
// budget for every model: N trials, trial 0 the defaults, every trial trained with the config's epoch limit and
// early stopping. The best trial is chosen on validation AUC only and written as a run config (best.yaml) that
// train, bench and the suite accept. Every trial is a run directory, so a killed tune resumes.
//
// Why random search: on two cores with many models × worlds a trial costs a full early-stopped training run, and
// random search (Bergstra & Bengio, JMLR 2012) is as good as a grid with a fraction of the points, needs no model of
// the objective (TPE would need a library or careful code), and treats every model alike. Successive halving on
// epochs would stop the trials that are slow to leave the early plateau of these datasets (docs/results.md: models
// sit near one validation AUC for a few epochs before the scenario-specific effects are learned), which would
// favour fast starters over good models. A trial is a deterministic function of (seed, index), so --trials 12
// after --trials 8 adds four trials and keeps the first eight.
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import { mulberry32, readConfigFile } from '../data/index.js';
import { fromZodError, OptmsmError } from '../errors.js';
import type { RunMetrics } from '../metrics/index.js';
import { getModel, resolveModelConfig, type SearchSpace } from '../models/index.js';
import { type BenchEntry, entryLabel, trainEntries } from './bench.js';
import { writeJsonAtomicSync } from './checkpoint-io.js';
import { parseTrainConfig, type RunConfig, runConfigSchema } from './experiment.js';
import { renderTable } from './report.js';
import { loadData } from './run.js';

/** The training options every model's trials draw from (the same sequence for every model: see trialPlan). */
export const TRAINING_SPACE = {
  lr: [3e-4, 1e-3, 3e-3],
  weight_decay: [0, 1e-5, 1e-4],
  embedding_l2: [0, 1e-5, 1e-4],
  batch_size: [1024, 2048, 4096],
} as const;

type TrainingPoint = { [K in keyof typeof TRAINING_SPACE]: (typeof TRAINING_SPACE)[K][number] };

export interface Trial {
  index: number;
  /** Model options over the config's block; empty for trial 0 (the defaults). */
  model: Record<string, unknown>;
  /** Training options over the config's; null for trial 0. */
  train: TrainingPoint | null;
}

const isRunConfigFile = (file: string): boolean => {
  const raw = readConfigFile(file);
  return typeof raw === 'object' && raw !== null && 'dataset' in raw;
};

const pick = <T>(choices: readonly T[], rand: () => number): T => choices[Math.floor(rand() * choices.length)]!;

/**
 * The first `trials` trials of a model's search: trial 0 is the defaults; trial k ≥ 1 draws the training options
 * from one stream (so every model gets the same training-option sequence) and the model options from another,
 * redrawing a point that an earlier trial already had.
 */
export function trialPlan(space: SearchSpace, trials: number, seed: number): Trial[] {
  const trainRand = mulberry32((Math.imul(seed, 0x9e3779b1) + 1) >>> 0);
  const modelRand = mulberry32((Math.imul(seed, 0x9e3779b1) + 2) >>> 0);
  const plan: Trial[] = [{ index: 0, model: {}, train: null }];
  const seen = new Set<string>();
  while (plan.length < trials) {
    const train = Object.fromEntries(Object.entries(TRAINING_SPACE).map(([k, v]) => [k, pick(v, trainRand)])) as TrainingPoint;
    const model = Object.fromEntries(Object.entries(space).map(([k, v]) => [k, pick(v as readonly unknown[], modelRand)]));
    const key = JSON.stringify([train, model]);
    if (seen.has(key)) continue;
    seen.add(key);
    plan.push({ index: plan.length, model, train });
  }
  return plan;
}

type TrainRaw = Record<string, unknown> & { optimizer?: Record<string, unknown>; sparse_optimizer?: Record<string, unknown> };

/** The config's training options (as written) with a trial's values in place. */
export function trialTrain(base: unknown, point: TrainingPoint): TrainRaw {
  const raw = (base ?? {}) as TrainRaw;
  return {
    ...raw,
    batch_size: point.batch_size,
    optimizer: { ...raw.optimizer, lr: point.lr, weight_decay: point.weight_decay },
    sparse_optimizer: { ...raw.sparse_optimizer, l2: point.embedding_l2 },
  };
}

export const trialLabel = (index: number): string => `trial-${String(index).padStart(2, '0')}`;

/** Where a tune of one model writes its best configuration. */
export const bestConfigFile = (tuneDir: string): string => join(tuneDir, 'best.yaml');

/** A tuned entry per model: the model and training options of `<tunedDir>/<model>/best.yaml` (what tune writes). */
export function tunedEntries(tunedDir: string, models: string[]): BenchEntry[] {
  return models.map((model) => {
    const file = bestConfigFile(join(tunedDir, model));
    if (!existsSync(file)) {
      throw new OptmsmError('E_RUN_NOT_FOUND', `no tuned configuration of ${model}: ${file} is missing`, {
        location: file, hint: 'every model of a tuned table needs its tune (`optmsm tune`), with the same budget',
      });
    }
    // Only the model and training options are taken: the dataset is the world's own (best.yaml names it too, so that
    // `optmsm train --config best.yaml` works, but a tune directory stays usable when that path has moved).
    const parsed = runConfigSchema.safeParse(readConfigFile(file));
    if (!parsed.success) throw fromZodError(parsed.error, { file, knownKeys: Object.keys(runConfigSchema.shape).join(', ') });
    parseTrainConfig(parsed.data.train, file);
    return { model, variant: 'tuned', overrides: parsed.data.models[model] ?? {}, train: parsed.data.train ?? {} };
  });
}

export interface TrialResult {
  trial: number;
  model_options: Record<string, unknown>;
  train_options: TrainingPoint | null;
  validation_auc: number | null;
  validation_logloss: number | null;
  best_epoch: number;
  seconds: number;
}

export interface TuneOutcome {
  model: string;
  trials: TrialResult[];
  /** Index of the trial with the best validation AUC (ties: the earlier trial). */
  best: number;
  files: { json: string; markdown: string; best: string };
}

export interface TuneOptions {
  config: RunConfig;
  model: string;
  trials: number;
  /** Training seed of every trial, and the seed of the search (default: the config's first seed). */
  seed?: number;
  out: string;
  epochs?: number;
  log?: (line: string) => void;
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
}

function trialsMarkdown(model: string, config: RunConfig, results: TrialResult[], best: number): string {
  const keys = [...new Set(results.flatMap((r) => Object.keys(r.model_options)))];
  const header = ['trial', 'validation AUC', 'validation LogLoss', 'best epoch', 'lr', 'weight decay', 'embedding L2', 'batch', ...keys, 'seconds'];
  const show = (v: unknown) => (v === undefined ? 'default' : JSON.stringify(v));
  const rows = results.map((r) => [
    trialLabel(r.trial) + (r.trial === 0 ? ' (defaults)' : ''), r.validation_auc?.toFixed(4) ?? 'n/a', r.validation_logloss?.toFixed(4) ?? 'n/a',
    String(r.best_epoch), ...(['lr', 'weight_decay', 'embedding_l2', 'batch_size'] as const).map((k) => show(r.train_options?.[k])),
    ...keys.map((k) => show(r.model_options[k])), r.seconds.toFixed(0),
  ]);
  const marked = results.map((r) => [r.trial === best, r.trial === best]);
  return `# Tuning ${model} on ${config.name}\n\n${results.length} trials, chosen on validation AUC (bold); `
    + `test metrics are in each trial's metrics.json and play no part.\n\n${renderTable(header, rows, 'markdown', marked)}`;
}

/** Tunes one model on one config: every trial a run under <out>/trials, then trials.json, trials.md and best.yaml. */
export async function tuneModel(options: TuneOptions): Promise<TuneOutcome> {
  const { config, model } = options;
  const log = options.log ?? (() => {});
  if (!Number.isInteger(options.trials) || options.trials < 1) {
    throw new OptmsmError('E_CLI_USAGE', 'tune needs at least one trial', { found: String(options.trials) });
  }
  const definition = getModel(model);
  const seed = options.seed ?? config.seeds[0]!;
  if (config.datasetFile === config.file && isRunConfigFile(config.file)) {
    throw new OptmsmError('E_CONFIG_INVALID', `${config.file}: tune writes best.yaml naming the dataset config file, and this run config holds its dataset inline`, {
      location: `${config.file}: dataset`, expected: 'dataset: PATH of a dataset config file',
    });
  }
  const plan = trialPlan(definition.search, options.trials, seed);
  const entries: BenchEntry[] = plan.map((t) => ({
    model, variant: trialLabel(t.index), overrides: t.model, ...(t.train ? { train: trialTrain(config.trainRaw, t.train) } : {}),
  }));
  const data = await loadData(config, log);
  const { runs } = await trainEntries({
    config, data, entries, seeds: [seed], out: join(options.out, 'trials'), epochs: options.epochs, progress: options.progress,
    log: (line) => log(`${model}: ${line}`), summary: (m) => `validation AUC ${m.validation.auc?.toFixed(4) ?? 'n/a'}`,
  });
  const byLabel = new Map(runs.map((r: RunMetrics) => [entryLabel({ model: r.model, variant: r.variant }), r]));
  const results: TrialResult[] = plan.map((t, k) => {
    const m = byLabel.get(entryLabel(entries[k]!))!;
    return {
      trial: t.index, model_options: t.model, train_options: t.train, validation_auc: m.validation.auc,
      validation_logloss: m.validation.logloss, best_epoch: m.best_epoch, seconds: m.train.seconds,
    };
  });
  // Selection sees validation only.
  const best = results.reduce((b, r) => ((r.validation_auc ?? -Infinity) > (results[b]!.validation_auc ?? -Infinity) ? r.trial : b), 0);
  const chosen = plan[best]!;
  const files = { json: join(options.out, 'trials.json'), markdown: join(options.out, 'trials.md'), best: bestConfigFile(options.out) };
  writeJsonAtomicSync(files.json, { model, config: config.file, seed, trials: results, best });
  writeFileSync(files.markdown, trialsMarkdown(model, config, results, best));
  const bestConfig = {
    name: config.name,
    dataset: relative(dirname(resolve(files.best)), config.datasetFile) || config.datasetFile,
    model,
    seeds: config.seeds,
    train: chosen.train ? trialTrain(config.trainRaw, chosen.train) : config.trainRaw,
    models: { [model]: resolveModelConfig(definition, { ...(config.models[model] ?? {}), ...chosen.model }) },
  };
  writeFileSync(files.best, `# The best of ${results.length} trials of ${model} on ${config.name} by validation AUC `
    + `(${results[best]!.validation_auc?.toFixed(4) ?? 'n/a'}, ${trialLabel(best)}); written by optmsm tune.\n${stringify(bestConfig)}`);
  log(`${model}: best ${trialLabel(best)}, validation AUC ${results[best]!.validation_auc?.toFixed(4) ?? 'n/a'} → ${files.best}`);
  return { model, trials: results, best, files };
}
