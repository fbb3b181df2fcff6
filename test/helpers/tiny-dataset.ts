// A tiny synthetic multi-scenario CSV and its dataset config, written to a temp folder, for trainer and CLI tests.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TinyDataset {
  dir: string;
  csv: string;
  config: string;
  /** The same rows without the label column, for predict. */
  unlabelled: string;
}

/** Deterministic rows: 3 scenarios, users/items with latent effects, a numeric feature, and a split column. */
export function writeTinyDataset(rows = 1200, options: { oneClassScenario?: string } = {}): TinyDataset {
  const dir = mkdtempSync(join(tmpdir(), 'optmsm-tiny-'));
  let state = 12345;
  const rand = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const userEffect = Array.from({ length: 40 }, () => rand() * 2 - 1);
  const itemEffect = Array.from({ length: 30 }, () => rand() * 2 - 1);
  const lines = ['user,item,price,page,label,split'];
  const unlabelled = ['user,item,price,page'];
  for (let i = 0; i < rows; i++) {
    const user = Math.floor(rand() * 40);
    const item = Math.floor(rand() * 30);
    const page = ['home', 'search', 'detail'][i % 3];
    const price = (rand() * 100).toFixed(2);
    const logit = 2 * userEffect[user] + (page === 'search' ? 2 : -1) * itemEffect[item];
    let label = rand() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    const split = i % 10 < 8 ? 'train' : i % 10 === 8 ? 'val' : 'test';
    if (options.oneClassScenario === page && split !== 'train') label = 0;
    lines.push(`u${user},i${item},${price},${page},${label},${split}`);
    unlabelled.push(`u${user},i${item},${price},${page}`);
  }
  const csv = join(dir, 'tiny.csv');
  writeFileSync(csv, `${lines.join('\n')}\n`);
  const unlabelledCsv = join(dir, 'tiny-unlabelled.csv');
  writeFileSync(unlabelledCsv, `${unlabelled.join('\n')}\n`);
  const config = join(dir, 'tiny.yaml');
  writeFileSync(
    config,
    [
      'name: tiny',
      'files: tiny.csv',
      'label: label',
      'scenario: page',
      'split: { kind: column, column: split }',
      'embedding_dim: 4',
      'features:',
      '  - { name: user, kind: categorical }',
      '  - { name: item, kind: categorical }',
      '  - { name: price, kind: numeric, normalize: standard }',
      '',
    ].join('\n'),
  );
  return { dir, csv, config, unlabelled: unlabelledCsv };
}

/** A run config over the tiny dataset with small models and a fast training setup. */
export function writeTinyRunConfig(dataset: TinyDataset, train: Record<string, unknown> = {}): string {
  const file = join(dataset.dir, 'run.yaml');
  const trainLines = Object.entries({ epochs: 3, batch_size: 128, ...train }).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`);
  writeFileSync(
    file,
    [
      'dataset: tiny.yaml',
      'model: shared-bottom',
      'seeds: [7]',
      'models:',
      '  optmsm: { repr_dim: 8, tower_hidden: [8, 4], hyper_dim: 4, hyper_rank: 4 }',
      '  shared-bottom: { bottom_hidden: [16], tower_hidden: [4] }',
      'train:',
      ...trainLines,
      '',
    ].join('\n'),
  );
  return file;
}
