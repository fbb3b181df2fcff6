import { describe, expect, it } from 'vitest';
import { type EmbeddingField, EmbeddingStore } from '../../../src/engine/runtime/embedding-store.js';
import { Rng } from '../../../src/engine/runtime/rng.js';

function storeWithRows(): EmbeddingStore {
  const store = new EmbeddingStore(
    [
      { name: 'user', vocabSize: 5, dim: 2 },
      { name: 'tags', vocabSize: 6, dim: 3, maxLen: 3, pooling: 'mean' },
      { name: 'tags_sum', vocabSize: 6, dim: 3, maxLen: 2, pooling: 'sum', table: 'tags' },
    ],
    new Rng(3),
  );
  // Row r of a table holds r + j / 10 in column j, so every gathered value names its row.
  for (const t of store.tables) for (let r = 1; r < t.rows; r++) for (let j = 0; j < t.dim; j++) t.data[r * t.dim + j] = r + j / 10;
  return store;
}

describe('EmbeddingStore', () => {
  it('initialises tables with zero padding rows and shares tables by name', () => {
    const store = new EmbeddingStore(
      [
        { name: 'a', vocabSize: 100, dim: 4 },
        { name: 'b', vocabSize: 100, dim: 4, table: 'a' },
      ],
      new Rng(1),
    );
    expect(store.tables.length).toBe(1);
    expect(store.width).toBe(8);
    const t = store.table('a');
    expect(Array.from(t.data.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(t.data.subarray(4).some((v) => v !== 0)).toBe(true);
    expect(store.parameterCount).toBe(400);
  });

  it('gathers single ids and pooled bags, skipping padding', () => {
    const store = storeWithRows();
    const E = new Float32Array(2 * store.width);
    store.gather(
      2,
      [Int32Array.of(1, 0), Int32Array.of(2, 4, 0, 0, 0, 0), Int32Array.of(3, 3, 5, 0)],
      E,
      false,
    );
    const row = (r: number, d: number) => Array.from({ length: d }, (_, j) => r + j / 10);
    const f32 = (xs: number[]) => xs.map(Math.fround);
    expect(Array.from(E.subarray(0, 2))).toEqual(f32(row(1, 2)));
    expect(Array.from(E.subarray(2, 5)).map((v) => +v.toFixed(5))).toEqual([3, 3.1, 3.2]); // mean of rows 2 and 4
    expect(Array.from(E.subarray(5, 8)).map((v) => +v.toFixed(5))).toEqual([6, 6.2, 6.4]); // sum of row 3 twice
    expect(Array.from(E.subarray(8, 10))).toEqual([0, 0]); // padding id
    expect(Array.from(E.subarray(10, 13))).toEqual([0, 0, 0]); // empty bag
    expect(Array.from(E.subarray(13, 16))).toEqual(f32(row(5, 3)));
  });

  it('scatters dL/dE to deduplicated rows, dividing mean bags by their count', () => {
    const store = storeWithRows();
    const E = new Float32Array(2 * store.width);
    store.gather(2, [Int32Array.of(1, 1), Int32Array.of(2, 4, 0, 2, 0, 0), Int32Array.of(2, 0, 0, 0)], E, true);
    const dE = new Float32Array(2 * store.width).fill(1);
    const grads = store.scatter(dE);
    const user = grads.find((g) => g.table.name === 'user')!;
    expect(user.count).toBe(1);
    expect(Array.from(user.rows.subarray(0, 1))).toEqual([1]);
    expect(Array.from(user.grad.subarray(0, 2))).toEqual([2, 2]);
    const tags = grads.find((g) => g.table.name === 'tags')!;
    expect(tags.count).toBe(2);
    expect(Array.from(tags.rows.subarray(0, 2))).toEqual([2, 4]);
    // Row 2: 1/2 (sample 0's bag of two) + 1 (sample 1's bag of one) + 1 (sum field) = 2.5; row 4: 1/2.
    expect(Array.from(tags.grad.subarray(0, 6))).toEqual([2.5, 2.5, 2.5, 0.5, 0.5, 0.5]);
  });

  it('releases its slots so that the next batch starts clean', () => {
    const store = storeWithRows();
    const E = new Float32Array(2 * store.width);
    const ids = [Int32Array.of(1, 2), Int32Array.of(1, 0, 0, 2, 0, 0), Int32Array.of(0, 0, 0, 0)];
    store.gather(2, ids, E, true);
    store.scatter(new Float32Array(2 * store.width));
    store.gather(2, [Int32Array.of(3, 3), Int32Array.of(0, 0, 0, 0, 0, 0), Int32Array.of(0, 0, 0, 0)], E, true);
    const grads = store.scatter(new Float32Array(2 * store.width).fill(1));
    expect(grads.length).toBe(1);
    expect(grads[0].count).toBe(1);
    expect(Array.from(grads[0].grad.subarray(0, 2))).toEqual([2, 2]);
  });

  it('keeps a sequence (pooling none) by position, padding as zero rows, and scatters each position to its row', () => {
    const store = new EmbeddingStore(
      [
        { name: 'item', vocabSize: 6, dim: 2 },
        { name: 'history', vocabSize: 6, dim: 2, maxLen: 3, pooling: 'none', table: 'item' },
      ],
      new Rng(2),
    );
    const t = store.table('item');
    for (let r = 1; r < t.rows; r++) for (let j = 0; j < t.dim; j++) t.data[r * t.dim + j] = r + j / 10;
    expect(store.tables.length).toBe(1);
    expect(store.width).toBe(2 + 3 * 2);
    const E = new Float32Array(2 * store.width);
    store.gather(2, [Int32Array.of(1, 2), Int32Array.of(3, 5, 0, 0, 3, 0)], E, true);
    const f32 = (xs: number[]) => xs.map(Math.fround);
    expect(Array.from(E.subarray(0, 8))).toEqual(f32([1, 1.1, 3, 3.1, 5, 5.1, 0, 0]));
    expect(Array.from(E.subarray(8, 16))).toEqual(f32([2, 2.1, 0, 0, 3, 3.1, 0, 0]));
    // dL/dE = the column index: each position's slice goes to its row, row 3 gets both of its positions.
    const dE = Float32Array.from({ length: 16 }, (_, i) => i % 8);
    const [grad] = store.scatter(dE);
    const byRow = new Map([...grad.rows.subarray(0, grad.count)].map((r, k) => [r, Array.from(grad.grad.subarray(2 * k, 2 * k + 2))]));
    expect(byRow).toEqual(new Map([[1, [0, 1]], [3, [2 + 4, 3 + 5]], [5, [4, 5]], [2, [0, 1]]]));
  });

  it('rejects ids outside the table, naming the field', () => {
    const store = storeWithRows();
    const E = new Float32Array(store.width);
    expect(() => store.gather(1, [Int32Array.of(5), Int32Array.of(0, 0, 0), Int32Array.of(0, 0)], E, true)).toThrow(/field user has id 5/);
    // The failed batch leaves no stale slots behind.
    store.gather(1, [Int32Array.of(1), Int32Array.of(0, 0, 0), Int32Array.of(0, 0)], E, true);
    expect(store.scatter(new Float32Array(store.width))[0].count).toBe(1);
  });
});

describe('EmbeddingStore with a helper thread', () => {
  it('gathers half of the single-id fields on the helper with the same result', async () => {
    const { HelperThread, float32 } = await import('../../../src/engine/runtime/helper-thread.js');
    const helper = new HelperThread();
    try {
      const fields: EmbeddingField[] = [
        ...Array.from({ length: 5 }, (_, f) => ({ name: `f${f}`, vocabSize: 1000, dim: f === 2 ? 3 : 4, table: f === 2 ? 'odd' : 'shared' })),
        { name: 'bag', vocabSize: 50, dim: 4, maxLen: 2 },
      ];
      const plain = new EmbeddingStore(fields, new Rng(8));
      const split = new EmbeddingStore(fields, new Rng(8), { helper });
      const rng = new Rng(9);
      const size = 4096;
      const ids = fields.map((f) => Int32Array.from({ length: size * (f.maxLen ?? 1) }, () => rng.nextU32() % f.vocabSize));
      const a = new Float32Array(size * plain.width);
      const b = float32(size * split.width, true);
      plain.gather(size, ids, a, true);
      split.gather(size, ids, b, true);
      expect(Array.from(b)).toEqual(Array.from(a));
      const dE = Float32Array.from({ length: a.length }, () => rng.nextNormal());
      const ga = plain.scatter(dE);
      const gb = split.scatter(dE);
      expect(gb.map((g) => [g.count, Array.from(g.grad.subarray(0, g.count * g.table.dim))])).toEqual(
        ga.map((g) => [g.count, Array.from(g.grad.subarray(0, g.count * g.table.dim))]),
      );
      // A bad id in a field the helper copies is still reported, and the helper is free again afterwards.
      const bad = ids.map((a) => a.slice());
      bad[4][7] = 1000;
      expect(() => split.gather(size, bad, b, true)).toThrow(/field f4 has id 1000/);
      split.gather(size, ids, b, true);
      expect(Array.from(b)).toEqual(Array.from(a));
    } finally {
      await helper.terminate();
    }
  });
});
