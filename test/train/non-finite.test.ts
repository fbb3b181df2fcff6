import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunConfig, runTraining } from '../../src/train/index.js';
import { writeTinyDataset, writeTinyRunConfig } from '../helpers/tiny-dataset.js';

const quiet = { log: () => {}, progress: { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream };
// A learning rate this large overflows the weights within a few steps: the loss becomes Inf/NaN.
const explode = { optimizer: { name: 'sgd', lr: 1e30, momentum: 0 }, sparse_optimizer: { name: 'adagrad', lr: 1e30 } };

describe('non-finite loss', () => {
  const dataset = writeTinyDataset(600);

  it('stops with a message naming the step, epoch and batch', async () => {
    const config = loadRunConfig(writeTinyRunConfig(dataset, { epochs: 2, ...explode }));
    await expect(runTraining({ config, out: join(dataset.dir, 'stop'), ...quiet })).rejects.toMatchObject({
      code: 'E_TRAIN_NON_FINITE',
      message: expect.stringMatching(/training step \d+.*\(epoch 1, batch \d+\)/),
    });
  });

  it('skips such batches when asked, and still never reports a metric from diverged weights', async () => {
    const config = loadRunConfig(writeTinyRunConfig(dataset, { epochs: 1, on_non_finite: 'skip', ...explode }));
    await expect(runTraining({ config, out: join(dataset.dir, 'skip'), ...quiet })).rejects.toMatchObject({
      code: 'E_TRAIN_NON_FINITE',
      found: expect.stringMatching(/^[1-9]\d* training batches skipped/),
    });
  });
});
