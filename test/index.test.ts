// The library API as a TypeScript user calls it: an inline config object (typed by the Zod schemas' input types),
// train, load the run, evaluate and predict, with the same numbers the run directory records.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { evaluate, type ExperimentConfigInput, loadRun, models, OptmsmError, predict, resolveConfig, train } from '../src/index.js';
import { writeTinyDataset } from './helpers/tiny-dataset.js';

describe('library API', () => {
  const dataset = writeTinyDataset();
  const config: ExperimentConfigInput = {
    dataset: {
      name: 'tiny', files: dataset.csv, label: 'label', scenario: 'page', split: { kind: 'column', column: 'split' },
      embedding_dim: 4, features: [{ name: 'user', kind: 'categorical' }, { name: 'item', kind: 'categorical' }],
    },
    seeds: [3],
    models: { 'shared-bottom': { bottom_hidden: [8], tower_hidden: [4] } },
    train: { epochs: 2, batch_size: 128 },
  };
  const out = join(dataset.dir, 'api-run');

  it('trains from a config object and writes the run directory', async () => {
    const lines: string[] = [];
    const { dir, metrics } = await train({ config, model: 'shared-bottom', out, log: (l) => lines.push(l), progress: new Writable({ write: (_c, _e, done) => done() }) });
    expect(dir).toBe(out);
    expect(metrics).toMatchObject({ model: 'shared-bottom', seed: 3 });
    expect(JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')).test.auc).toBe(metrics.test.auc);
    expect(lines.some((l) => l.startsWith('epoch 1:'))).toBe(true);
  });

  it('evaluates and predicts from the run directory as evaluation at the end of training did', async () => {
    const run = await loadRun(out);
    const testRows = join(dataset.dir, 'test-only.csv');
    const lines = readFileSync(dataset.csv, 'utf8').trim().split('\n');
    writeFileSync(testRows, [lines[0], ...lines.slice(1).filter((l) => l.endsWith(',test'))].join('\n'));
    const metrics = await evaluate({ run, data: testRows });
    expect(metrics.auc).toBeCloseTo(run.metrics?.test.auc as number, 5);
    const predictions = await predict({ run: out, data: dataset.unlabelled });
    expect(predictions.probability).toHaveLength(1200);
    expect(predictions.scenarios[predictions.scenario[1]]).toBe('search');
  });

  it('reports a bad config key as an OptmsmError naming it', () => {
    const bad = { ...config, train: { epochz: 2 } } as unknown as ExperimentConfigInput;
    expect(() => resolveConfig(bad)).toThrow(OptmsmError);
    expect(() => resolveConfig(bad)).toThrow(/epochz/);
  });

  it('lists every model with its defaults', () => {
    const optmsm = models().find((m) => m.name === 'optmsm');
    expect(optmsm?.defaults).toHaveProperty('lambda_orth');
  });
});
