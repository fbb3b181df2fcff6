// A run config names a dataset config, the training options and per-model options (FuxiCTR's "experiments have
// names"). `optmsm train --config FILE` also accepts a bare dataset config, which then trains with defaults.
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { type DatasetConfig, loadDatasetConfig, parseDatasetConfig, readConfigFile } from '../data/index.js';
import { fromZodError, OptmsmError } from '../errors.js';
import { type TrainConfig, trainConfigSchema } from './train-config.js';

const modelOptions = z.record(z.string(), z.unknown());

const variantSchema = z.strictObject({
  model: z.string().describe('registered model name'),
  config: modelOptions.default({}).describe('options merged over models.<model>'),
});

export const runConfigSchema = z.strictObject({
  extends: z.string().min(1).optional()
    .describe('a run config (relative to this file) whose keys this one inherits; models and variants merge by name'),
  name: z.string().min(1).optional().describe('experiment name; default: the dataset name'),
  dataset: z
    .union([z.string().min(1), z.record(z.string(), z.unknown())])
    .describe('path of the dataset config (relative to this file), or the dataset config itself'),
  model: z.string().default('optmsm').describe('model trained by `optmsm train` without --model'),
  models: z.record(z.string(), modelOptions).default({}).describe('options per model name'),
  variants: z.record(z.string(), variantSchema).default({}).describe('named variants for `optmsm bench`'),
  train: z.unknown().optional().describe('training options (validated by the train schema: docs/config.md, "train:")'),
  seeds: z.array(z.number().int().nonnegative()).min(1).default([2022, 2023, 2024])
    .describe('seeds of `optmsm bench`; `optmsm train` uses the first'),
});

export interface RunConfig {
  file: string;
  name: string;
  dataset: DatasetConfig;
  datasetFile: string;
  model: string;
  models: Record<string, Record<string, unknown>>;
  variants: Record<string, { model: string; config: Record<string, unknown> }>;
  train: TrainConfig;
  /** The training options as written (snake_case), saved with every run. */
  trainRaw: unknown;
  seeds: number[];
}

export function parseTrainConfig(raw: unknown, file: string): TrainConfig {
  const parsed = trainConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) throw fromZodError(parsed.error, { file, prefix: 'train', input: raw ?? {} });
  return parsed.data;
}

/** What a bare dataset config trains with (default: the trainer's and the models' defaults). */
export interface BareConfigDefaults {
  /** Training options as written (snake_case). */
  train?: unknown;
  models?: Record<string, Record<string, unknown>>;
}

/** Reads a run config file (or a bare dataset config file, trained with `bare`, by default the defaults). */
export function loadRunConfig(path: string, bare: BareConfigDefaults = {}): RunConfig {
  const file = resolve(path);
  return resolveRunConfig(readConfigFile(file), file, dirname(file), bare);
}

/**
 * A run config with `extends` resolved: the base's keys, overridden by this file's; `models` and `variants` merged
 * by name (a model's block replaced whole); the base's dataset path made absolute against the base's directory.
 */
function inherit(raw: Record<string, unknown>, source: string, baseDir: string, seen: readonly string[] = []): Record<string, unknown> {
  if (typeof raw.extends !== 'string') return raw;
  const file = resolve(baseDir, raw.extends);
  if (seen.includes(file)) {
    throw new OptmsmError('E_CONFIG_INVALID', `${source}: extends forms a cycle`, { location: `${source}: extends`, found: [...seen, file].join(' -> ') });
  }
  const base = readConfigFile(file);
  if (typeof base !== 'object' || base === null || !('dataset' in base)) {
    throw new OptmsmError('E_CONFIG_INVALID', `${source}: extends names ${file}, which is not a run config`, {
      location: `${source}: extends`, expected: 'a run config (with `dataset:`)',
    });
  }
  const parent = inherit(base as Record<string, unknown>, file, dirname(file), [...seen, file]);
  const { extends: _extends, ...own } = raw;
  const dataset = typeof parent.dataset === 'string' && !isAbsolute(parent.dataset) ? resolve(dirname(file), parent.dataset) : parent.dataset;
  const merged = (key: string) => ({ ...(parent[key] as object | undefined), ...(own[key] as object | undefined) });
  return { ...parent, dataset, ...own, models: merged('models'), variants: merged('variants') };
}

/**
 * Validates a parsed run config (or bare dataset config); `source` names it in errors and `baseDir` anchors the
 * relative paths in it (the dataset config file, data files).
 */
export function resolveRunConfig(raw: unknown, source: string, baseDir: string, bare: BareConfigDefaults = {}): RunConfig {
  const isRunConfig = typeof raw === 'object' && raw !== null && 'dataset' in raw;
  if (!isRunConfig) {
    const dataset = parseDatasetConfig(raw, source, baseDir);
    return {
      file: source, name: dataset.name, dataset, datasetFile: source, model: 'optmsm', models: bare.models ?? {}, variants: {},
      train: parseTrainConfig(bare.train ?? {}, source), trainRaw: bare.train ?? {}, seeds: [2022, 2023, 2024],
    };
  }
  const parsed = runConfigSchema.safeParse(inherit(raw as Record<string, unknown>, source, baseDir));
  if (!parsed.success) throw fromZodError(parsed.error, { file: source, knownKeys: Object.keys(runConfigSchema.shape).join(', '), input: raw });
  const run = parsed.data;
  const datasetFile = typeof run.dataset !== 'string' ? source : isAbsolute(run.dataset) ? run.dataset : resolve(baseDir, run.dataset);
  const dataset = typeof run.dataset === 'string'
    ? loadDatasetConfig(datasetFile)
    : parseDatasetConfig(run.dataset, `${source}: dataset`, baseDir);
  return {
    file: source,
    name: run.name ?? dataset.name ?? basename(source, extname(source)),
    dataset,
    datasetFile,
    model: run.model,
    models: run.models,
    variants: run.variants,
    train: parseTrainConfig(run.train, source),
    trainRaw: run.train ?? {},
    seeds: run.seeds,
  };
}
