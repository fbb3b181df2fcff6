import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunConfig, runTraining } from '../../src/train/index.js';
import { writeTinyDataset, writeTinyRunConfig } from '../helpers/tiny-dataset.js';

const quiet = { log: () => {}, progress: { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream };

describe('trainer', () => {
  const dataset = writeTinyDataset();

  it('is deterministic for a seed and restores the best epoch', async () => {
    const config = loadRunConfig(writeTinyRunConfig(dataset, { early_stopping: { patience: 10 } }));
    const a = await runTraining({ config, out: join(dataset.dir, 'a'), ...quiet });
    const b = await runTraining({ config, out: join(dataset.dir, 'b'), ...quiet });
    expect(a.metrics.test).toEqual(b.metrics.test);
    expect(a.metrics.validation).toEqual(b.metrics.validation);
    const epochs = readFileSync(join(a.dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(epochs).toHaveLength(3);
    const best = epochs.reduce((x, y) => (y.validation_auc > x.validation_auc ? y : x));
    expect(a.metrics.best_epoch).toBe(best.epoch);
    expect(a.metrics.validation.auc).toBeCloseTo(best.validation_auc, 6);
  });

  it('reports a one-class scenario with auc null and a reason, never a fake value', async () => {
    const oneClass = writeTinyDataset(900, { oneClassScenario: 'detail' });
    const config = loadRunConfig(writeTinyRunConfig(oneClass, { epochs: 1 }));
    const { metrics } = await runTraining({ config, out: join(oneClass.dir, 'run'), ...quiet });
    const detail = metrics.test.scenarios.detail;
    expect(detail.auc).toBeNull();
    expect(detail.auc_undefined_reason).toMatch(/negative/);
    expect(detail.rows).toBeGreaterThan(0);
    expect(metrics.test.scenarios.search.auc).toBeTypeOf('number');
  });
});
