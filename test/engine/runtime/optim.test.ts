import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DenseOptimizer, type DenseOptimizerConfig } from '../../../src/engine/runtime/optim/dense.js';
import { SparseOptimizer, type SparseOptimizerConfig } from '../../../src/engine/runtime/optim/sparse.js';
import { clipGlobalNorm } from '../../../src/engine/runtime/optim/clip.js';
import { EmbeddingStore } from '../../../src/engine/runtime/embedding-store.js';
import { Rng } from '../../../src/engine/runtime/rng.js';

interface DenseCase { name: string; p0: number[]; grads: number[][]; after: number[][] }
interface SparseCase { name: string; rows: number; dim: number; w0: number[]; steps: { ids: number[]; values: number[] }[]; after: number[][] }
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/engine/optim.json', import.meta.url), 'utf8')) as {
  dense: DenseCase[];
  sparse: SparseCase[];
};

// The torch settings each fixture case was produced with (make-optim-fixtures.py).
const denseConfigs: Record<string, DenseOptimizerConfig> = {
  adam: { name: 'adam', lr: 1e-2 },
  adam_wd: { name: 'adam', lr: 1e-2, weightDecay: 0.1 },
  adamw: { name: 'adamw', lr: 1e-2, weightDecay: 0.1 },
  adagrad: { name: 'adagrad', lr: 1e-1, weightDecay: 0.01 },
  sgd: { name: 'sgd', lr: 1e-1 },
  sgd_momentum: { name: 'sgd', lr: 1e-1, momentum: 0.9, weightDecay: 0.01 },
  sgd_nesterov: { name: 'sgd', lr: 1e-1, momentum: 0.9, nesterov: true },
};
const sparseConfigs: Record<string, SparseOptimizerConfig> = {
  adam: { name: 'adam', lr: 1e-2 },
  adagrad: { name: 'adagrad', lr: 1e-1 },
};

function expectClose(actual: Float32Array, expected: number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(expected[i])));
}

describe('dense optimizers match torch.optim', () => {
  for (const c of fixture.dense) {
    it(c.name, () => {
      const p = Float32Array.from(c.p0);
      const opt = new DenseOptimizer(denseConfigs[c.name], p.length);
      c.grads.forEach((g, k) => {
        opt.update(p, Float32Array.from(g));
        expectClose(p, c.after[k], 2e-6);
      });
      expect(opt.step).toBe(c.grads.length);
    });
  }

  it('round-trips its state', () => {
    const c = fixture.dense[0];
    const p = Float32Array.from(c.p0);
    const a = new DenseOptimizer(denseConfigs.adam, p.length);
    a.update(p, Float32Array.from(c.grads[0]));
    const b = new DenseOptimizer(denseConfigs.adam, p.length);
    b.setState(a.getState());
    const q = p.slice();
    a.update(p, Float32Array.from(c.grads[1]));
    b.update(q, Float32Array.from(c.grads[1]));
    expect(q).toEqual(p);
  });
});

describe('sparse optimizers match torch (scatter of duplicate ids + lazy update)', () => {
  for (const c of fixture.sparse) {
    it(c.name, () => {
      const store = new EmbeddingStore([{ name: 'f', vocabSize: c.rows, dim: c.dim }], new Rng(1));
      const table = store.table('f');
      table.data.set(c.w0);
      const opt = new SparseOptimizer(sparseConfigs[c.name], store.tables);
      const E = new Float32Array(8 * c.dim);
      c.steps.forEach((s, k) => {
        store.gather(s.ids.length, [Int32Array.from(s.ids)], E, true);
        const before = table.data.slice();
        opt.update(store.scatter(Float32Array.from(s.values)));
        store.release();
        // SparseAdam: bit-exact float32 (no row here sums more than two values, so summation order cannot differ).
        if (c.name === 'adam') expect(Array.from(table.data)).toEqual(c.after[k].map(Math.fround));
        else expectClose(table.data, c.after[k], 1e-6);
        // Rows the batch did not touch are untouched (lazy).
        for (let r = 0; r < c.rows; r++) {
          if (s.ids.includes(r)) continue;
          expect(Array.from(table.data.subarray(r * c.dim, (r + 1) * c.dim))).toEqual(Array.from(before.subarray(r * c.dim, (r + 1) * c.dim)));
        }
      });
    });
  }

  it('corrects bias with the global step count, not a per-row one', () => {
    const store = new EmbeddingStore([{ name: 'f', vocabSize: 4, dim: 1 }], new Rng(1));
    const table = store.table('f');
    table.data.set([0, 0, 0, 0]);
    const opt = new SparseOptimizer({ name: 'adam', lr: 0.1 }, store.tables);
    const E = new Float32Array(1);
    for (const id of [1, 1, 1, 2]) {
      store.gather(1, [Int32Array.of(id)], E, true);
      opt.update(store.scatter(Float32Array.of(1)));
    }
    // Row 2 first seen at step 4: m = 0.1, v = 0.001; step size 0.1 * sqrt(1 - 0.999^4) / (1 - 0.9^4).
    const stepSize = (0.1 * Math.sqrt(1 - 0.999 ** 4)) / (1 - 0.9 ** 4);
    expect(table.data[2]).toBeCloseTo(-stepSize * (0.1 / Math.sqrt(0.001)), 6);
  });

  it('adds L2 on the used rows only', () => {
    const store = new EmbeddingStore([{ name: 'f', vocabSize: 4, dim: 1 }], new Rng(1));
    const table = store.table('f');
    table.data.set([0, 1, 1, 1]);
    const opt = new SparseOptimizer({ name: 'adagrad', lr: 0.5, l2: 1 }, store.tables);
    store.gather(1, [Int32Array.of(1)], new Float32Array(1), true);
    opt.update(store.scatter(Float32Array.of(0)));
    // gradient 0 + 1 * w = 1, Adagrad's first step moves by lr * g / |g|.
    expect(table.data[1]).toBeCloseTo(0.5, 6);
    expect(table.data[2]).toBe(1);
  });
});

describe('clipGlobalNorm', () => {
  it('scales dense and row gradients by maxNorm / norm over both', () => {
    const store = new EmbeddingStore([{ name: 'f', vocabSize: 4, dim: 2 }], new Rng(1));
    store.gather(2, [Int32Array.of(1, 1)], new Float32Array(4), true);
    const sparse = store.scatter(Float32Array.of(1, 0, 1, 0)); // row 1: [2, 0]
    const dense = Float32Array.of(3, 4, 0, 0);
    const norm = clipGlobalNorm(dense, sparse, 1, 'all');
    expect(norm).toBeCloseTo(Math.sqrt(29), 6);
    const coef = 1 / (Math.sqrt(29) + 1e-6);
    expect(dense[0]).toBeCloseTo(3 * coef, 6);
    expect(sparse[0].grad[0]).toBeCloseTo(2 * coef, 6);
  });

  it('leaves rows alone in dense scope and does nothing under the limit', () => {
    const store = new EmbeddingStore([{ name: 'f', vocabSize: 4, dim: 1 }], new Rng(1));
    store.gather(1, [Int32Array.of(2)], new Float32Array(1), true);
    const sparse = store.scatter(Float32Array.of(10));
    const dense = Float32Array.of(3, 4);
    expect(clipGlobalNorm(dense, sparse, 1, 'dense')).toBeCloseTo(5, 6);
    expect(sparse[0].grad[0]).toBe(10);
    expect(dense[1]).toBeCloseTo(0.8, 6);
    const small = Float32Array.of(0.1);
    clipGlobalNorm(small, [], 1, 'all');
    expect(small[0]).toBeCloseTo(0.1, 7);
  });
});

describe('SparseOptimizer on two threads', () => {
  for (const name of ['adam', 'adagrad'] as const) {
    it(`${name}: splitting rows with the helper thread changes no bit`, async () => {
      const { HelperThread } = await import('../../../src/engine/runtime/helper-thread.js');
      const run = (helper: InstanceType<typeof HelperThread> | null) => {
        const store = new EmbeddingStore([{ name: 'f', vocabSize: 20_000, dim: 4 }], new Rng(5), { shared: helper !== null });
        const opt = new SparseOptimizer({ name, lr: 0.01, l2: 1e-3 }, store.tables, helper);
        const rng = new Rng(6);
        const size = 8192;
        const E = new Float32Array(size * 4);
        const dE = new Float32Array(size * 4);
        const dense = new Float32Array(100);
        for (let step = 0; step < 3; step++) {
          const ids = Int32Array.from({ length: size }, () => rng.nextU32() % 20_000);
          for (let i = 0; i < dE.length; i++) dE[i] = rng.nextNormal();
          store.gather(size, [ids], E, true);
          opt.update(store.scatter(dE), () => dense.fill(step + 1));
          store.release();
        }
        expect(dense[0]).toBe(3);
        return store.table('f').data.slice();
      };
      const helper = new HelperThread();
      try {
        expect(run(helper)).toEqual(run(null));
      } finally {
        await helper.terminate();
      }
    });
  }
});

describe('row order for large tables', () => {
  it('sortSlotsByRow orders slots by row id, stably, for 1 to 3 radix passes', async () => {
    const { sortSlotsByRow } = await import('../../../src/engine/runtime/optim/sparse.js');
    const rng = new Rng(4);
    for (const maxRow of [1000, 3_000_000, 2_000_000_000]) {
      const count = 5000;
      const rows = Int32Array.from({ length: count }, () => rng.nextU32() % (maxRow + 1));
      const order = new Int32Array(count);
      sortSlotsByRow(rows, count, maxRow, order, new Int32Array(count), new Int32Array(2048));
      const expected = Array.from({ length: count }, (_, i) => i).sort((a, b) => rows[a] - rows[b] || a - b);
      expect(Array.from(order)).toEqual(expected);
    }
  });

  it('updating rows in another order gives the same bits', async () => {
    const { adamRows } = await import('../../../src/engine/runtime/row-kernels.js');
    const rng = new Rng(12);
    const dim = 4;
    const rows = Int32Array.from({ length: 300 }, (_, i) => (i * 37) % 1000);
    const grad = Float32Array.from({ length: 300 * dim }, () => rng.nextNormal());
    const make = () => ({ p: Float32Array.from({ length: 1000 * dim }, (_, i) => Math.sin(i)), mv: new Float32Array(2000 * dim).fill(0.01) });
    const a = make();
    const b = make();
    adamRows(a.p, a.mv, rows, null, grad, dim, 0, 300, Math.fround(0.1), Math.fround(0.001), Math.fround(1e-8), 0, Math.fround(-0.01));
    const order = Int32Array.from({ length: 300 }, (_, i) => 299 - i);
    adamRows(b.p, b.mv, rows, order, grad, dim, 0, 150, Math.fround(0.1), Math.fround(0.001), Math.fround(1e-8), 0, Math.fround(-0.01));
    adamRows(b.p, b.mv, rows, order, grad, dim, 150, 300, Math.fround(0.1), Math.fround(0.001), Math.fround(1e-8), 0, Math.fround(-0.01));
    expect(b.p).toEqual(a.p);
    expect(b.mv).toEqual(a.mv);
  });
});
