// A run config names a dataset config, the training options and per-model options (FuxiCTR's "experiments have
// names"). `optmsm train --config FILE` also accepts a bare dataset config, which then trains with defaults.
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type DatasetConfig, loadDatasetConfig } from '../data/index.js';
import { OptmsmError } from '../errors.js';
import { type TrainConfig, trainConfigSchema } from './train-config.js';

const modelOptions = z.record(z.string(), z.unknown());

const variantSchema = z.strictObject({
  model: z.string().describe('registered model name'),
  config: modelOptions.default({}).describe('options merged over models.<model>'),
});

export const runConfigSchema = z.strictObject({
  name: z.string().min(1).optional().describe('experiment name; default: the dataset name'),
  dataset: z.string().min(1).describe('path of the dataset config, relative to this file'),
  model: z.string().default('optmsm').describe('model trained by `optmsm train` without --model'),
  models: z.record(z.string(), modelOptions).default({}).describe('options per model name'),
  variants: z.record(z.string(), variantSchema).default({}).describe('named variants for `optmsm bench`'),
  train: z.unknown().optional(),
  seeds: z.array(z.number().int().nonnegative()).min(1).default([2022, 2023, 2024]),
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

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new OptmsmError('E_CONFIG_NOT_FOUND', `cannot read config file ${file}`, { location: file });
  }
  try {
    return extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new OptmsmError('E_CONFIG_INVALID', `${file} is not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}`, {
      location: file,
      found: (error as Error).message.split('\n')[0],
    });
  }
}

/** Zod issue → OptmsmError naming the key path in `file`. */
export function configError(file: string, prefix: string, error: z.ZodError): OptmsmError {
  const issue = error.issues[0];
  const unknownKey = issue.code === 'unrecognized_keys';
  const path = [prefix, ...issue.path.map(String), ...(unknownKey ? issue.keys : [])].filter(Boolean).join('.');
  return new OptmsmError(unknownKey ? 'E_CONFIG_UNKNOWN_KEY' : 'E_CONFIG_INVALID', `${file}: ${issue.message}`, {
    location: `${file} → ${path || '(root)'}`,
  });
}

export function parseTrainConfig(raw: unknown, file: string): TrainConfig {
  const parsed = trainConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) throw configError(file, 'train', parsed.error);
  return parsed.data;
}

export function loadRunConfig(path: string): RunConfig {
  const file = resolve(path);
  const raw = readConfigFile(file);
  const isRunConfig = typeof raw === 'object' && raw !== null && 'dataset' in raw;
  if (!isRunConfig) {
    const dataset = loadDatasetConfig(file);
    return {
      file, name: dataset.name, dataset, datasetFile: file, model: 'optmsm', models: {}, variants: {},
      train: parseTrainConfig({}, file), trainRaw: {}, seeds: [2022, 2023, 2024],
    };
  }
  const parsed = runConfigSchema.safeParse(raw);
  if (!parsed.success) throw configError(file, '', parsed.error);
  const run = parsed.data;
  const datasetFile = isAbsolute(run.dataset) ? run.dataset : resolve(dirname(file), run.dataset);
  const dataset = loadDatasetConfig(datasetFile);
  return {
    file,
    name: run.name ?? dataset.name ?? basename(file, extname(file)),
    dataset,
    datasetFile,
    model: run.model,
    models: run.models,
    variants: run.variants,
    train: parseTrainConfig(run.train, file),
    trainRaw: run.train ?? {},
    seeds: run.seeds,
  };
}
