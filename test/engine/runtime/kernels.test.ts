import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assembleKernels, KERNELS_WASM } from '../../../scripts/build-kernels.js';
import { type EmbeddingField, EmbeddingStore } from '../../../src/engine/runtime/embedding-store.js';
import { HelperThread } from '../../../src/engine/runtime/helper-thread.js';
import { KernelMemory } from '../../../src/engine/runtime/kernels/index.js';
import { DenseOptimizer } from '../../../src/engine/runtime/optim/dense.js';
import { SparseOptimizer, type SparseOptimizerConfig } from '../../../src/engine/runtime/optim/sparse.js';
import { Rng } from '../../../src/engine/runtime/rng.js';

describe('kernels.wasm', () => {
  it('is what kernels.wat assembles to (run npm run build:kernels after editing the .wat)', async () => {
    expect(Buffer.from(await assembleKernels()).equals(readFileSync(KERNELS_WASM))).toBe(true);
  });
});

describe('KernelMemory', () => {
  it('keeps earlier views valid when it grows', () => {
    const memory = new KernelMemory();
    const first = memory.float32(1000).fill(7);
    const big = memory.float32(1 << 20);
    big[big.length - 1] = 3;
    expect(first.every((v) => v === 7)).toBe(true);
    expect(memory.holds(first) && memory.holds(big)).toBe(true);
    expect(memory.holds(new Float32Array(4))).toBe(false);
    expect(memory.pointer(big)).toBeGreaterThan(memory.pointer(first));
  });
});

// Three fields on two tables (one shared by two fields, one of width 6 to exercise the scalar tails) and a bag
// field, which stays on the JavaScript path in both stores.
const FIELDS: EmbeddingField[] = [
  { name: 'user', vocabSize: 20_000, dim: 16 },
  { name: 'item', vocabSize: 500, dim: 6 },
  { name: 'item2', vocabSize: 500, dim: 6, table: 'item' },
  { name: 'tags', vocabSize: 50, dim: 4, maxLen: 3, pooling: 'mean' },
];

interface Trained {
  tables: Float32Array[];
  moments: Float32Array[];
  E: Float32Array;
  rowGrads: Float32Array[];
}

/** Trains three steps of gather → scatter → sparse update, with the kernels (a KernelMemory) or the JS loops. */
function train(config: SparseOptimizerConfig, kernels: boolean, helper: HelperThread | null = null): Trained {
  const memory = helper?.memory ?? (kernels ? new KernelMemory() : null);
  const store = new EmbeddingStore(FIELDS, new Rng(3), { memory, helper, shared: helper !== null });
  const opt = new SparseOptimizer(config, store.tables, helper, memory);
  const rng = new Rng(4);
  const size = 4096;
  const E = store.float32(size * store.width);
  const dE = new Float32Array(size * store.width);
  let rowGrads: Float32Array[] = [];
  for (let step = 0; step < 3; step++) {
    // Skewed ids so that rows repeat within a batch, with padding (0) among them.
    const ids = FIELDS.map((f) => Int32Array.from({ length: size * (f.maxLen ?? 1) }, () => Math.floor(f.vocabSize * rng.nextFloat() ** 3)));
    for (let i = 0; i < dE.length; i++) dE[i] = rng.nextNormal();
    store.gather(size, ids, E, true);
    const grads = store.scatter(dE);
    rowGrads = grads.map((g) => g.grad.slice(0, g.count * g.table.dim));
    opt.update(grads);
    store.release();
  }
  const state = opt.getState();
  return {
    tables: store.tables.map((t) => t.data.slice()),
    moments: Object.values(state).flatMap((s) => Object.values(s.slots)),
    E: E.slice(),
    rowGrads,
  };
}

describe('the kernels give the same bits as the JavaScript loops', () => {
  const configs: SparseOptimizerConfig[] = [
    { name: 'adam', lr: 0.01 },
    { name: 'adam', lr: 0.01, l2: 1e-3 },
    { name: 'adagrad', lr: 0.05, l2: 1e-2, initialAccumulator: 0.1 },
  ];
  for (const config of configs) {
    it(`gather, scatter and sparse ${config.name}${config.l2 ? ' with L2' : ''}`, () => {
      const js = train(config, false);
      const wasm = train(config, true);
      expect(wasm.E).toEqual(js.E);
      expect(wasm.rowGrads).toEqual(js.rowGrads);
      expect(wasm.moments).toEqual(js.moments);
      expect(wasm.tables).toEqual(js.tables);
    });
  }

  it('with half of the gather and of the rows on the helper thread', async () => {
    const helper = new HelperThread(new KernelMemory());
    try {
      const config: SparseOptimizerConfig = { name: 'adam', lr: 0.01, l2: 1e-3 };
      const split = train(config, true, helper);
      const js = train(config, false);
      expect(split.tables).toEqual(js.tables);
      expect(split.moments).toEqual(js.moments);
    } finally {
      await helper.terminate();
    }
  });

  it('dense Adam and AdamW: torch.optim.Adam in float32, operation by operation', () => {
    const fr = Math.fround;
    for (const name of ['adam', 'adamw'] as const) {
      const n = 103; // not a whole number of SIMD vectors
      const rng = new Rng(9);
      const p = Float32Array.from({ length: n }, () => rng.nextNormal());
      const expected = p.slice();
      const m = new Float32Array(n);
      const v = new Float32Array(n);
      const opt = new DenseOptimizer({ name, lr: 0.01, weightDecay: 0.1 }, n);
      for (let step = 1; step <= 3; step++) {
        const g = Float32Array.from({ length: n }, () => rng.nextNormal());
        opt.update(p, g);
        const [b1, b2, lr, wd] = [0.9, 0.999, 0.01, 0.1];
        const decay = fr(name === 'adamw' ? 1 - lr * wd : 1);
        const l2 = fr(name === 'adamw' ? 0 : wd);
        const bc2 = fr(Math.sqrt(1 - b2 ** step));
        const negStep = fr(-lr / (1 - b1 ** step));
        for (let i = 0; i < n; i++) {
          const pi = fr(expected[i] * decay);
          const gi = fr(g[i] + fr(l2 * pi));
          m[i] = fr(fr(m[i] * fr(b1)) + fr(fr(1 - b1) * gi));
          v[i] = fr(fr(v[i] * fr(b2)) + fr(fr(1 - b2) * fr(gi * gi)));
          expected[i] = fr(pi + fr(negStep * fr(m[i] / fr(fr(fr(Math.sqrt(v[i])) / bc2) + fr(1e-8)))));
        }
      }
      expect(p).toEqual(expected);
      expect(opt.getState().slots.exp_avg).toEqual(m);
    }
  });
});

describe('a bad id in a batch gathered by the kernels', () => {
  it('names the field and leaves no trace in the next batch', () => {
    const memory = new KernelMemory();
    const fields: EmbeddingField[] = [{ name: 'user', vocabSize: 10, dim: 4 }];
    const store = new EmbeddingStore(fields, new Rng(1), { memory });
    const E = store.float32(3 * 4);
    expect(() => store.gather(3, [Int32Array.from([1, 2, 10])], E, true)).toThrow(/field user has id 10 outside its table of 10 rows/);
    store.gather(3, [Int32Array.from([2, 2, 5])], E, true);
    const [g] = store.scatter(new Float32Array(12).fill(1));
    expect(Array.from(g.rows.subarray(0, g.count))).toEqual([2, 5]);
    expect(Array.from(g.grad.subarray(0, 8))).toEqual([2, 2, 2, 2, 1, 1, 1, 1]);
  });
});
