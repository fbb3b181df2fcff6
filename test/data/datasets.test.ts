// The example dataset configs on the real data in ../shared/data (skipped when the files are absent: they are
// licensed and never copied into the repository).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDatasetConfig, prepareDataset } from '../../src/data/index.js';
import { repoRoot, sharedData } from './helpers.js';

const ml100k = join(sharedData, 'ml-100k/ml100k_ctr.csv');
const aliccp = join(sharedData, 'swr-samples/ali-ccp/ali_ccp_train_sample.csv');

function perScenario(scenario: Int32Array, label: Uint8Array, s: number): [number, number] {
  let n = 0;
  let y = 0;
  for (let i = 0; i < scenario.length; i++) {
    if (scenario[i] !== s) continue;
    n++;
    y += label[i]!;
  }
  return [n, y];
}

describe.skipIf(!existsSync(ml100k))('ML-100k (configs/datasets/ml100k.yaml)', () => {
  it('loads 80k/10k/10k rows in 3 scenarios with the documented counts', async () => {
    const config = loadDatasetConfig(join(repoRoot, 'configs/datasets/ml100k.yaml'));
    expect(config.files).toEqual([ml100k]);
    expect(config.features.map((f) => f.column)).not.toContain('rating');
    const p = await prepareDataset(config, { cache: false });
    expect([p.train.rows, p.validation.rows, p.test.rows]).toEqual([80_000, 10_000, 10_000]);
    expect(p.scenarios).toEqual({ column: 'domain', values: ['0', '1', '2'] });
    expect([0, 1, 2].map((s) => perScenario(p.train.scenario, p.train.label, s)[0])).toEqual([21_106, 28_503, 30_391]);
    expect([0, 1, 2].map((s) => perScenario(p.test.scenario, p.test.label, s)[0])).toEqual([2_755, 3_475, 3_770]);
    const byName = Object.fromEntries(p.fields.map((f) => [f.name, f]));
    expect(byName.gender).toMatchObject({ kind: 'categorical', vocabSize: 4, embeddingDim: 16 });
    expect(byName.occupation!.vocabSize).toBe(23);
    expect(byName.genres).toMatchObject({ kind: 'multi', vocabSize: 21, maxLen: 6, pooling: 'mean' });
    expect(byName.age).toMatchObject({ kind: 'numeric' });
    expect(byName.release_year).toMatchObject({ kind: 'categorical' });
    expect(byName.domain).toMatchObject({ kind: 'categorical', scope: 'specific', vocabSize: 5 });
    const positives = [p.train, p.validation, p.test].reduce((s, c) => s + c.label.reduce((a, b) => a + b, 0), 0);
    expect(positives).toBe(55_375);
  });
});

describe.skipIf(!existsSync(aliccp))('Ali-CCP sample (configs/datasets/ali-ccp.yaml)', () => {
  it('loads the three split files; scenario 3 has no positives in train', async () => {
    const p = await prepareDataset(loadDatasetConfig(join(repoRoot, 'configs/datasets/ali-ccp.yaml')), { cache: false });
    expect([p.train.rows, p.validation.rows, p.test.rows]).toEqual([100, 50, 50]);
    expect(p.scenarios).toEqual({ column: '301', values: ['1', '2', '3'] });
    expect([0, 1, 2].map((s) => perScenario(p.train.scenario, p.train.label, s))).toEqual([[69, 6], [19, 1], [12, 0]]);
    expect([0, 1, 2].map((s) => perScenario(p.test.scenario, p.test.label, s))).toEqual([[39, 3], [6, 2], [5, 1]]);
    expect(Object.keys(p.train.numeric)).toEqual(['D109_14', 'D110_14', 'D127_14', 'D150_14', 'D508', 'D509', 'D702', 'D853']);
    expect(p.fields.filter((f) => f.kind === 'categorical')).toHaveLength(23);
  });
});
