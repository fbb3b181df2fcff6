// Batching: sizes, seeded shuffling, views without shuffling, the numeric matrix layout, and streaming from the
// on-disk store with memory bounded by the shuffle buffer.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  batchCount, batchIterator, generateSynthetic, numericMatrix, parseDatasetConfig, permutation, prepareDataset,
  prepareDatasetToStore, readSplit, streamBatches, syntheticConfigYaml, type EncodedColumns, type StoredPrepared,
} from '../../src/data/index.js';
import { parse } from 'yaml';
import { tempDir, tinyConfig } from './helpers.js';

function toy(n: number): EncodedColumns {
  return {
    rows: n,
    ids: { a: Int32Array.from({ length: n }, (_, i) => i + 2), m: Int32Array.from({ length: n * 2 }, (_, i) => i) },
    numeric: { x: Float32Array.from({ length: n }, (_, i) => i / 10), y: Float32Array.from({ length: n }, (_, i) => -i) },
    label: Uint8Array.from({ length: n }, (_, i) => i % 2),
    scenario: Int32Array.from({ length: n }, (_, i) => i % 3),
    extra: { p: Float64Array.from({ length: n }, (_, i) => i / 100) },
  };
}

describe('batchIterator', () => {
  it('fixed batch size with a final partial batch (or dropped)', () => {
    const sizes = [...batchIterator(toy(10), { batchSize: 4 })].map((b) => b.size);
    expect(sizes).toEqual([4, 4, 2]);
    expect([...batchIterator(toy(10), { batchSize: 4, dropLast: true })].map((b) => b.size)).toEqual([4, 4]);
    expect(batchCount(10, 4)).toBe(3);
    expect(batchCount(10, 4, true)).toBe(2);
  });

  it('seeded shuffling: every row once per epoch, same order for the same (seed, epoch), new order per epoch', () => {
    const rows = (seed: number, epoch: number): number[] =>
      [...batchIterator(toy(100), { batchSize: 7, seed, epoch })].flatMap((b) => Array.from(b.indices));
    const e0 = rows(1, 0);
    expect([...e0].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(rows(1, 0)).toEqual(e0);
    expect(rows(1, 1)).not.toEqual(e0);
    expect(rows(2, 0)).not.toEqual(e0);
    expect(Array.from(permutation(5, 0, 0)).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('gathers every column consistently with the row indices', () => {
    const cols = toy(20);
    for (const b of batchIterator(cols, { batchSize: 6, seed: 3 })) {
      b.indices.forEach((r, i) => {
        expect(b.idsByName.a![i]).toBe(r + 2);
        expect(Array.from(b.idsByName.m!.subarray(i * 2, i * 2 + 2))).toEqual([r * 2, r * 2 + 1]);
        expect(b.numeric[i * 2]).toBe(cols.numeric.x![r]);
        expect(b.numeric[i * 2 + 1]).toBe(cols.numeric.y![r]);
        expect(b.label[i]).toBe(r % 2);
        expect(b.labelFloat[i]).toBe(r % 2);
        expect(b.scenario[i]).toBe(r % 3);
        expect(b.extra.p![i]).toBe(r / 100);
      });
      expect(b.ids).toEqual([b.idsByName.a, b.idsByName.m]);
      expect(b.numericFields).toEqual(['x', 'y']);
    }
  });

  it('without shuffling, ids, labels and scenarios are views of the source columns', () => {
    const cols = toy(10);
    const [first] = batchIterator(cols, { batchSize: 4, shuffle: false });
    expect(first!.idsByName.a!.buffer).toBe(cols.ids.a!.buffer);
    expect(first!.label.buffer).toBe(cols.label.buffer);
    expect(Array.from(first!.indices)).toEqual([0, 1, 2, 3]);
  });

  it('numericMatrix is row-major [rows, nNumeric] in field order', () => {
    expect(Array.from(numericMatrix(toy(3)))).toEqual([0, -0, 0.1, -1, 0.2, -2].map(Math.fround));
    expect(Array.from(numericMatrix(toy(2), ['y', 'x']))).toEqual([-0, 0, -1, 0.1].map(Math.fround));
  });

  it('follows a FieldInfo order when given', async () => {
    const p = await prepareDataset(tinyConfig(), { cache: false });
    const [b] = batchIterator(p.train, { batchSize: 16, fields: p.fields, shuffle: false });
    expect(b!.idFields).toEqual(p.fields.filter((f) => f.kind !== 'numeric').map((f) => f.name));
    expect(b!.numericFields).toEqual(['price', 'age', 'visits', 'rating_raw']);
    expect(b!.idsByName.tags!.length).toBe(16 * 3);
  });
});

describe('streamBatches from the on-disk store', () => {
  const dir = tempDir();
  let stored: StoredPrepared;
  beforeAll(async () => {
    const file = join(dir, 'syn.csv');
    await generateSynthetic({ output: file, rows: 300_000, seed: 5, users: 20_000, items: 5_000 });
    const raw = parse(syntheticConfigYaml('syn.csv', { rows: 300_000 })) as Record<string, unknown>;
    delete raw.synthetic;
    stored = await prepareDatasetToStore(parseDatasetConfig(raw, 'syn.yaml', dir), { cacheDir: join(dir, 'cache') });
  }, 120_000);

  it('visits every stored row exactly once per epoch, in full batches but the last', () => {
    const n = stored.store.meta.rows.train;
    const seen = new Uint8Array(n);
    const sizes: number[] = [];
    for (const b of streamBatches(stored.store, 'train', { batchSize: 1000, seed: 1, chunkRows: 8192, bufferChunks: 3 })) {
      sizes.push(b.size);
      for (const r of b.indices) seen[r]!++;
    }
    expect(seen.every((c) => c === 1)).toBe(true);
    expect(sizes.slice(0, -1).every((s) => s === 1000)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
  });

  it('streamed rows equal the stored rows they name', () => {
    const all = readSplit(stored.store, 'validation');
    let checked = 0;
    for (const b of streamBatches(stored.store, 'validation', { batchSize: 512, seed: 2, chunkRows: 4096 })) {
      for (let i = 0; i < b.size; i += 37) {
        const r = b.indices[i]!;
        expect(b.idsByName.user_id![i]).toBe(all.ids.user_id![r]);
        expect(b.scenario[i]).toBe(all.scenario[r]);
        expect(b.label[i]).toBe(all.label[r]);
        expect(b.extra.true_prob![i]).toBe((all.extra.true_prob as Float64Array)[r]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('keeps memory bounded by the shuffle buffer, not the split size', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const base = process.memoryUsage().arrayBuffers;
    const splitBytes = stored.store.meta.layout.reduce((s, c) => s + c.width * ({ int32: 4, float32: 4, uint8: 1, float64: 8 }[c.dtype]), 0) * stored.store.meta.rows.train;
    let peak = 0;
    let k = 0;
    let held = 0;
    const onBuffer = (rows: number): void => {
      held = Math.max(held, rows);
    };
    for (const b of streamBatches(stored.store, 'train', { batchSize: 256, seed: 3, chunkRows: 4096, bufferChunks: 2, onBuffer })) {
      if (++k % 50 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
      }
      expect(b.size).toBeGreaterThan(0);
    }
    // The buffer holds at most 2 chunks plus the carried remainder (< 1 batch); the split is ~13 MB. Live typed
    // array memory stays a small fraction of it (generous slack for allocator and pool noise).
    expect(held).toBeLessThanOrEqual(2 * 4096 + 256);
    expect(splitBytes).toBeGreaterThan(10e6);
    expect(peak).toBeLessThan(splitBytes / 2);
  });
});
