// The reference model trained for 20 steps here and by ../shared/bench/torch_reference.py (Adam + SparseAdam,
// same initial weights, same batches) gives the same loss at every step, to float32 accumulation.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createReferenceEngine, makeReferenceData, writeTorchData } from '../../../bench/lib/reference-data.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../../../shared/bench/torch_reference.py', import.meta.url));
const hasTorch = existsSync(SCRIPT) && existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const STEPS = 20;

describe.skipIf(!hasTorch)('reference model vs PyTorch', () => {
  it(`matches torch's loss over ${STEPS} training steps`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'optmsm-torch-loss-'));
    try {
      const data = makeReferenceData(5000, 4, 3);
      writeTorchData(dir, data);
      const torch = spawnSync(PYTHON, [SCRIPT, dir, 'grad', String(STEPS)], { encoding: 'utf8' });
      expect(torch.status, torch.stderr).toBe(0);
      const expected = (JSON.parse(torch.stdout.trim().split('\n').pop()!) as { losses: number[] }).losses;
      const model = await createReferenceEngine(data);
      const losses: number[] = [];
      for (let i = 0; i < STEPS; i++) losses.push((await model.trainStep(data.batches[i % data.batches.length])).loss);
      await model.dispose();
      expect(losses.length).toBe(expected.length);
      for (let i = 0; i < STEPS; i++) expect(Math.abs(losses[i] - expected[i]), `step ${i + 1}: ${losses[i]} vs ${expected[i]}`).toBeLessThan(2e-5);
      // Training moved the loss, so agreeing at step 20 is not agreeing on a constant.
      expect(Math.abs(losses[STEPS - 1] - losses[0])).toBeGreaterThan(1e-3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
