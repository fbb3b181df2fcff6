// optmsm tune: chosen on validation only (a fixture whose test split would choose another trial), the same budget
// and training-option sequence for every model, search spaces of the same size for every model, a best.yaml that
// trains, and a tune that resumes from its finished trials.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODELS, resolveModelConfig, SEARCH_CHOICES, SEARCH_DIMENSIONS } from '../../src/models/index.js';
import { loadRunConfig, TRAINING_SPACE, trialPlan, tuneModel, type TuneOutcome } from '../../src/train/index.js';

const progress = { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/**
 * 3 scenarios, user and item effects; the test split's labels are the opposite of the pattern that train and
 * validation share, so a trial that fits the pattern better scores better on validation and worse on test.
 */
function writeInvertedTestDataset(rows = 2400): string {
  const dir = mkdtempSync(join(tmpdir(), 'optmsm-tune-'));
  dirs.push(dir);
  let state = 7;
  const rand = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const user = Array.from({ length: 60 }, () => rand() * 4 - 2);
  const item = Array.from({ length: 40 }, () => rand() * 4 - 2);
  const lines = ['user,item,page,label,split'];
  for (let i = 0; i < rows; i++) {
    const u = Math.floor(rand() * 60);
    const it = Math.floor(rand() * 40);
    const page = ['home', 'search', 'detail'][i % 3]!;
    const y = rand() < 1 / (1 + Math.exp(-(user[u]! + (page === 'search' ? -1 : 1) * item[it]!))) ? 1 : 0;
    const split = i % 10 < 7 ? 'train' : i % 10 < 9 ? 'val' : 'test';
    lines.push(`u${u},i${it},${page},${split === 'test' ? 1 - y : y},${split}`);
  }
  writeFileSync(join(dir, 'data.csv'), `${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'data.yaml'), [
    'name: inverted', 'files: data.csv', 'label: label', 'scenario: page', 'split: { kind: column, column: split }', 'embedding_dim: 4',
    'features:', '  - { name: user, kind: categorical }', '  - { name: item, kind: categorical }', '',
  ].join('\n'));
  writeFileSync(join(dir, 'run.yaml'), [
    'dataset: data.yaml', 'seeds: [3]', 'train: { epochs: 3, batch_size: 256, early_stopping: { patience: 1 } }',
    'models:', '  shared-bottom: { bottom_hidden: [8], tower_hidden: [4] }', '  mmoe: { expert_hidden: [4], tower_hidden: [4] }', '',
  ].join('\n'));
  return dir;
}

const testAuc = (outcome: TuneOutcome, dir: string, trial: number) => {
  const metrics = JSON.parse(readFileSync(join(dir, 'trials', `inverted.${outcome.model}.trial-0${trial}`, 'seed-3', 'metrics.json'), 'utf8'));
  return metrics.test.auc as number;
};

describe('tune', () => {
  const dir = writeInvertedTestDataset();
  const config = loadRunConfig(join(dir, 'run.yaml'));
  const lines: string[] = [];
  const options = { config, trials: 4, progress, log: (l: string) => lines.push(l) };
  let outcome: TuneOutcome;

  it('chooses the trial with the best validation AUC, where the test split would choose another', async () => {
    outcome = await tuneModel({ ...options, model: 'shared-bottom', out: join(dir, 'sb') });
    const validation = outcome.trials.map((t) => t.validation_auc!);
    expect(new Set(validation).size).toBe(4);
    expect(outcome.best).toBe(validation.indexOf(Math.max(...validation)));
    const test = outcome.trials.map((t) => testAuc(outcome, join(dir, 'sb'), t.trial));
    expect(test.indexOf(Math.max(...test))).not.toBe(outcome.best);
    // The table shows validation only.
    const table = readFileSync(outcome.files.markdown, 'utf8');
    expect(table).toContain('validation AUC');
    expect(table).not.toMatch(/test AUC/);
  });

  it('writes best.yaml as a run config with the chosen model and training options', () => {
    const best = loadRunConfig(outcome.files.best);
    const chosen = outcome.trials[outcome.best]!;
    expect(best.name).toBe('inverted');
    expect(best.datasetFile).toBe(config.datasetFile);
    expect(best.models['shared-bottom']).toEqual(resolveModelConfig(MODELS.get('shared-bottom')!, { bottom_hidden: [8], tower_hidden: [4], ...chosen.model_options }));
    if (chosen.train_options) {
      expect(best.train).toMatchObject({ batchSize: chosen.train_options.batch_size, optimizer: { lr: chosen.train_options.lr, weightDecay: chosen.train_options.weight_decay } });
      expect(best.train.sparseOptimizer.l2).toBe(chosen.train_options.embedding_l2);
      expect(best.train.epochs).toBe(3);
    } else {
      expect(best.trainRaw).toEqual(config.trainRaw);
    }
  });

  it('resumes: finished trials are read back, and more trials keep the first ones', async () => {
    lines.length = 0;
    const again = await tuneModel({ ...options, model: 'shared-bottom', out: join(dir, 'sb') });
    expect(lines.filter((l) => l.includes('done before'))).toHaveLength(4);
    expect(again.trials).toEqual(outcome.trials);
    lines.length = 0;
    const more = await tuneModel({ ...options, trials: 5, model: 'shared-bottom', out: join(dir, 'sb') });
    expect(lines.filter((l) => l.includes('done before'))).toHaveLength(4);
    expect(lines.filter((l) => l.endsWith(': training'))).toEqual(['shared-bottom: shared-bottom.trial-04 seed 3: training']);
    expect(more.trials.slice(0, 4)).toEqual(outcome.trials);
  });

  it('gives every model the same budget: trials, epoch limit, early stopping and training-option sequence', async () => {
    const mmoe = await tuneModel({ ...options, model: 'mmoe', out: join(dir, 'mmoe') });
    expect(mmoe.trials).toHaveLength(outcome.trials.length);
    expect(mmoe.trials.map((t) => t.train_options)).toEqual(outcome.trials.map((t) => t.train_options));
    for (const [model, out] of [['shared-bottom', 'sb'], ['mmoe', 'mmoe']] as const) {
      for (let k = 0; k < 4; k++) {
        const run = JSON.parse(readFileSync(join(dir, out, 'trials', `inverted.${model}.trial-0${k}`, 'seed-3', 'config.json'), 'utf8'));
        expect(run.train_resolved).toMatchObject({ epochs: 3, earlyStopping: { patience: 1, minDelta: 0 } });
      }
    }
    expect(existsSync(mmoe.files.best)).toBe(true);
  });
});

describe('search spaces', () => {
  it('every model declares one of the same size, and every point of it is a valid configuration', () => {
    for (const [name, definition] of MODELS) {
      const dims = Object.entries(definition.search);
      expect(dims.length, name).toBe(SEARCH_DIMENSIONS);
      for (const [key, choices] of dims) {
        expect(Object.keys(definition.config.shape), `${name}.${key}`).toContain(key);
        expect(new Set(choices!.map((c) => JSON.stringify(c))).size, `${name}.${key}`).toBe(SEARCH_CHOICES);
      }
      // Every combination parses: 3^4 points.
      const points = dims.reduce<Record<string, unknown>[]>((acc, [key, choices]) => acc.flatMap((p) => choices!.map((c) => ({ ...p, [key]: c }))), [{}]);
      expect(points).toHaveLength(SEARCH_CHOICES ** SEARCH_DIMENSIONS);
      for (const point of points) expect(() => resolveModelConfig(definition, point), `${name} ${JSON.stringify(point)}`).not.toThrow();
    }
  });

  it('plans trials deterministically: the defaults first, then distinct points, the same training options for every model', () => {
    const a = trialPlan(MODELS.get('star')!.search, 12, 5);
    const b = trialPlan(MODELS.get('optmsm')!.search, 12, 5);
    expect(a[0]).toEqual({ index: 0, model: {}, train: null });
    expect(a.map((t) => t.train)).toEqual(b.map((t) => t.train));
    expect(new Set(a.map((t) => JSON.stringify([t.train, t.model]))).size).toBe(12);
    expect(trialPlan(MODELS.get('star')!.search, 12, 5)).toEqual(a);
    expect(trialPlan(MODELS.get('star')!.search, 6, 5)).toEqual(a.slice(0, 6));
    for (const t of a.slice(1)) for (const [k, v] of Object.entries(t.train!)) expect(TRAINING_SPACE[k as keyof typeof TRAINING_SPACE]).toContain(v);
  });
});
