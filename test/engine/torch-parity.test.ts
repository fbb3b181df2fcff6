// The reference model's gradients against the PyTorch peer (../shared/bench/torch_reference.py grad):
// dense gradients and dL/dE of batch 0 (measured: at most 1.2e-6 of each tensor's largest value). Skips
// cleanly when Debian's python3 cannot import torch.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as E from '../../src/engine/index.js';
import { rng, runGraph, uniform } from './helpers.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/bench/torch_reference.py');
const hasTorch = existsSync(SCRIPT) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

const B = 2048;
const V = 500;
const { fields: F, dim: D } = E.REFERENCE_SIZES;

function readF32(path: string): Float32Array {
  const buf = readFileSync(path);
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
}

/** max |a - b| / max |b| over one slice. */
function relError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

describe.skipIf(!hasTorch)('reference model against PyTorch', () => {
  it('dense gradients and dL/dE of batch 0 agree with torch_reference.py', async () => {
    const model = E.compile(E.buildReferenceModel(V));
    // torch.nn.Linear's default init: uniform in ±1/sqrt(fan_in) for weights and biases.
    const theta = new Float32Array(model.thetaSize);
    for (const p of model.params) {
      const fanIn = p.name.endsWith('.bias') ? model.params.find((q) => q.name === p.name.replace('.bias', '.weight'))!.shape[0] : p.shape[0];
      const bound = 1 / Math.sqrt(fanIn);
      theta.set(uniform(p.size, p.offset + 1, -bound, bound), p.offset);
    }
    const emb = uniform(V * D, 11, -0.5, 0.5);
    const r = rng(12);
    const ids = Int32Array.from({ length: B * F }, () => 1 + Math.floor(r() * (V - 1)));
    const y = Float32Array.from({ length: B }, () => (r() < 0.3 ? 1 : 0));
    const e = new Float32Array(B * F * D);
    for (let i = 0; i < B * F; i++) e.set(emb.subarray(ids[i] * D, ids[i] * D + D), i * D);

    const dir = mkdtempSync(join(tmpdir(), 'optmsm-parity-'));
    try {
      writeFileSync(join(dir, 'meta.json'), JSON.stringify({ V, nb: 1 }));
      writeFileSync(join(dir, 'theta.bin'), E.thetaToTorch(model.params, theta));
      writeFileSync(join(dir, 'emb.bin'), emb);
      writeFileSync(join(dir, 'ids.bin'), ids);
      writeFileSync(join(dir, 'y.bin'), y);
      const run = spawnSync(PYTHON, [SCRIPT, dir, 'grad', '20'], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
      expect(run.status, run.stderr).toBe(0);
      const torchLosses = JSON.parse(run.stdout.trim().split('\n').pop()!).losses as number[];

      const out = await runGraph(model.training, {
        E: { values: e, shape: ['B', F * D] },
        label: { values: y, shape: ['B'] },
        theta: { values: theta, shape: [model.thetaSize] },
      }, B);
      expect(out.loss[0]).toBeCloseTo(torchLosses[0], 5);
      const ours = E.thetaToTorch(model.params, out['grad/theta']);
      const theirs = readF32(join(dir, 't_gflat.bin'));
      for (const p of model.params) {
        const err = relError(ours.subarray(p.offset, p.offset + p.size), theirs.subarray(p.offset, p.offset + p.size));
        expect(err, `grad of ${p.name}`).toBeLessThan(1e-5);
      }
      expect(relError(out['grad/E'], readF32(join(dir, 't_dE.bin')))).toBeLessThan(1e-5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
