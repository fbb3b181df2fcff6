// End to end on the real datasets in ../shared/data (licensed: never copied here). Skipped when absent.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRunConfig, runTraining } from '../../src/train/index.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ml100k = resolve(repo, '../shared/data/ml-100k/ml100k_ctr.csv');
const aliCcp = resolve(repo, '../shared/data/swr-samples/ali-ccp/ali_ccp_train_sample.csv');
const quiet = { log: () => {}, progress: { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream };

describe.skipIf(!existsSync(ml100k))('MovieLens-100k (fixed split)', () => {
  it('OptMSM learns all three scenarios in five epochs', async () => {
    const config = loadRunConfig(join(repo, 'configs/experiments/ml100k.yaml'));
    const out = mkdtempSync(join(tmpdir(), 'optmsm-ml100k-'));
    const { metrics } = await runTraining({ config, model: 'optmsm', seed: 2022, epochs: 5, out, ...quiet });
    expect(metrics.test.rows).toBe(10_000);
    expect(Object.keys(metrics.test.scenarios).sort()).toEqual(['0', '1', '2']);
    expect(metrics.test.scenarios['0'].rows).toBe(2755);
    // Five epochs pass the "below 0.74 means a bug" line (0.765 with seed 2022; three give 0.726, the per-scenario
    // towers start slower than SSH did); the early-stopped run reaches 0.767 (docs/results.md).
    expect(metrics.test.auc).toBeGreaterThan(0.75);
    for (const s of Object.values(metrics.test.scenarios)) expect(s.auc).toBeGreaterThan(0.72);
  });

  it('two runs of one seed write the same metrics.json and weights (2 intra-op threads, the helper on)', async () => {
    const config = loadRunConfig(join(repo, 'configs/experiments/ml100k.yaml'));
    const dirs = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'optmsm-ml100k-same-')));
    for (const out of dirs) await runTraining({ config, model: 'optmsm', seed: 2022, epochs: 1, out, ...quiet });
    for (const file of ['metrics.json', 'weights.bin', 'model.onnx']) {
      expect(readFileSync(join(dirs[0]!, file)).equals(readFileSync(join(dirs[1]!, file))), file).toBe(true);
    }
  });
});

describe.skipIf(!existsSync(aliCcp))('Ali-CCP sample (200 rows)', () => {
  it('trains and reports the scenario without positives as undefined', async () => {
    const config = loadRunConfig(join(repo, 'configs/datasets/ali-ccp.yaml'));
    const out = mkdtempSync(join(tmpdir(), 'optmsm-aliccp-'));
    const { metrics } = await runTraining({ config, model: 'optmsm', seed: 1, epochs: 2, out, ...quiet });
    const validation3 = metrics.validation.scenarios['3'];
    expect(validation3.rows).toBe(5);
    expect(validation3.positives).toBe(0);
    expect(validation3.auc).toBeNull();
    expect(validation3.auc_undefined_reason).toContain('negative');
    expect(metrics.test.rows).toBe(50);
    expect(Number.isFinite(metrics.test.logloss)).toBe(true);
  });
});
