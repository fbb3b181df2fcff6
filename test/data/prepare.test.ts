// prepareDataset on the tiny fixture: every feature kind, train-only fitting, deterministic ids, the cache, and
// the same encoding from CSV, Parquet and JSONL.
import { DuckDBInstance } from '@duckdb/node-api';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import xxhash from 'xxhash-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeFile, FeatureEncoder, loadDatasetConfig, prepareDataset, ratioSplitOf, type PreparedDataset } from '../../src/data/index.js';
import { csvRows, fixtures, tempDir, tinyConfig } from './helpers.js';

const f32 = Math.fround;

describe('prepareDataset on every feature kind', () => {
  let p: PreparedDataset;
  beforeAll(async () => {
    p = await prepareDataset(loadDatasetConfig(join(fixtures, 'tiny.yaml')), { cache: false });
  });

  it('splits by the split column and lists the fields', () => {
    expect([p.train.rows, p.validation.rows, p.test.rows]).toEqual([16, 4, 4]);
    expect(p.scenarios).toEqual({ column: 'scen', values: ['app', 'web'] });
    expect(p.fields.map((f) => [f.name, f.kind, f.scope, f.vocabSize, f.embeddingDim, f.maxLen, f.pooling])).toEqual([
      ['scen', 'categorical', 'specific', 4, 4, 1, 'mean'],
      ['user', 'categorical', 'shared', 8, 4, 1, 'mean'],
      ['item', 'categorical', 'shared', 6, 8, 1, 'mean'],
      ['tags', 'multi', 'shared', 6, 4, 3, 'sum'],
      ['price', 'numeric', 'shared', 0, 0, 1, 'mean'],
      ['age', 'numeric', 'shared', 0, 0, 1, 'mean'],
      ['visits', 'numeric', 'shared', 0, 0, 1, 'mean'],
      ['year', 'categorical', 'shared', 6, 4, 1, 'mean'],
      ['city', 'categorical', 'shared', 18, 4, 1, 'mean'],
      ['slot', 'categorical', 'specific', 5, 4, 1, 'mean'],
      ['rating_raw', 'numeric', 'shared', 0, 0, 1, 'mean'],
    ]);
  });

  it('categorical: ids by train count desc then value, pad 0 and OOV 1 reserved, unseen values are OOV', () => {
    // train counts: u1 4, u2 4, u3 3, u4 2, u5 2, u6 1; u7 only in validation, u8 only in test.
    expect(Array.from(p.train.ids.user!.slice(0, 4))).toEqual([2, 3, 2, 4]);
    expect(Array.from(p.validation.ids.user!)).toEqual([2, 1, 3, 4]);
    expect(Array.from(p.test.ids.user!)).toEqual([1, 2, 5, 3]);
    expect(p.encoder.state.fields[1]).toMatchObject({ vocab: ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'] });
  });

  it('categorical min_count: values seen fewer times in train map to OOV', () => {
    expect(p.encoder.state.fields[2]).toMatchObject({ vocab: ['i1', 'i2', 'i3', 'i4'] });
    // i5 appears once in train (row 11), i9 only in validation.
    expect(p.train.ids.item![10]).toBe(1);
    expect(p.validation.ids.item![2]).toBe(1);
  });

  it('multi: trimmed tokens, truncated to max_len, padded with 0, unseen tokens OOV', () => {
    const tags = p.train.ids.tags!;
    const row = (r: number): number[] => Array.from(tags.subarray(r * 3, r * 3 + 3));
    expect(row(0)).toEqual([2, 3, 0]); // a|b
    expect(row(2)).toEqual([2, 3, 4]); // a|b|c|d, truncated
    expect(row(3)).toEqual([0, 0, 0]); // empty cell
    expect(row(7)).toEqual([2, 4, 0]); // " a | c "
    expect(Array.from(p.test.ids.tags!.subarray(6, 9))).toEqual([1, 2, 0]); // qq|a
  });

  it('numeric: standard, min-max with mean fill, signed log, none', () => {
    const rows = csvRows(join(fixtures, 'tiny.csv'));
    const train = rows.filter((r) => r.split === 'train');
    const prices = train.map((r) => Number(r.price));
    const mean = prices.reduce((a, b) => a + b, 0) / prices.length;
    const std = Math.sqrt(prices.reduce((a, b) => a + (b - mean) ** 2, 0) / prices.length);
    expect(p.train.numeric.price![0]).toBeCloseTo(f32((10.5 - mean) / std), 6);
    const ages = train.filter((r) => r.age !== '').map((r) => Number(r.age));
    const ageMean = ages.reduce((a, b) => a + b, 0) / ages.length;
    expect(p.train.numeric.age![0]).toBe(0); // 20 is the train minimum
    expect(p.train.numeric.age![3]).toBeCloseTo((ageMean - 20) / 40, 6); // empty → mean
    expect(p.train.numeric.age![15]).toBe(1); // 60 is the train maximum
    expect(p.train.numeric.visits![4]).toBe(f32(Math.log1p(100)));
    expect(Array.from(p.train.numeric.rating_raw!.slice(0, 3))).toEqual([5, 2, 4]);
  });

  it('numeric buckets: train quantile boundaries, ids 2 + number of boundaries <= x', () => {
    expect(p.encoder.state.fields[7]).toMatchObject({ source: 'bucket', boundaries: [1990, 1999, 2005] });
    expect(Array.from(p.train.ids.year!.slice(0, 4))).toEqual([3, 3, 4, 5]); // 1990 1995 2001 2010
    expect(Array.from(p.test.ids.year!)).toEqual([3, 5, 2, 4]); // 1993 2020 1985 1999
  });

  it('hashed: xxhash64(value) mod buckets + 2', async () => {
    const { h64 } = await xxhash();
    const id = (v: string): number => Number(h64(v, 0n) % 16n) + 2;
    expect(Array.from(p.train.ids.city!.slice(0, 4))).toEqual(['paris', 'lyon', 'paris', 'nice'].map(id));
    expect(p.test.ids.city![1]).toBe(id('tours')); // unseen in train, still hashed
  });

  it('scenario: index into scenarios.values and a specific field with ids index + 2; labels', () => {
    expect(Array.from(p.train.scenario.slice(0, 4))).toEqual([1, 1, 0, 0]);
    expect(Array.from(p.train.ids.scen!.slice(0, 4))).toEqual([3, 3, 2, 2]);
    expect(Array.from(p.train.label.slice(0, 4))).toEqual([1, 0, 1, 0]);
  });

  it('encodeRows gives exactly the training encoding, row by row', () => {
    const rows = csvRows(join(fixtures, 'tiny.csv'));
    const enc = p.encoder.encodeRows(rows.filter((r) => r.split === 'test'));
    expect(enc.ids).toEqual(p.test.ids);
    expect(enc.numeric).toEqual(p.test.numeric);
    expect(enc.label).toEqual(p.test.label);
    expect(enc.scenario).toEqual(p.test.scenario);
    const all = p.encoder.encodeRows(rows.filter((r) => r.split === 'train'));
    expect(all.ids).toEqual(p.train.ids);
    expect(all.numeric).toEqual(p.train.numeric);
  });
});

describe('determinism and fitting on train only', () => {
  it('gives the same ids on every run and whatever the row order', async () => {
    const dir = tempDir();
    const lines = (await import('node:fs')).readFileSync(join(fixtures, 'tiny.csv'), 'utf8').trim().split('\n');
    const reversed = [lines[0], ...lines.slice(1).reverse()].join('\n');
    writeFileSync(join(dir, 'tiny.csv'), `${reversed}\n`);
    const a = await prepareDataset(tinyConfig(), { cache: false });
    const b = await prepareDataset(tinyConfig(), { cache: false });
    const c = await prepareDataset(tinyConfig({}, dir), { cache: false });
    expect(b.encoder.state).toEqual(a.encoder.state);
    expect(b.train).toEqual(a.train);
    // Ids depend on counts, not on row order (numeric means may differ in the last bit: they sum in row order).
    const idsOnly = (q: typeof a) => q.encoder.state.fields.map((f) => ('vocab' in f ? f.vocab : 'boundaries' in f ? f.boundaries : null));
    expect(idsOnly(c)).toEqual(idsOnly(a));
    expect(Array.from(c.test.ids.user!).reverse()).toEqual(Array.from(a.test.ids.user!));
  });

  it('a token seen only in the test split encodes to OOV', async () => {
    const p = await prepareDataset(tinyConfig(), { cache: false });
    const tags = p.encoder.state.fields[3] as { vocab: string[] };
    expect(tags.vocab).not.toContain('qq');
    expect(p.encoder.categoricalId(3, 'qq')).toBe(1);
  });

  it('a label rule such as `rating >= 4`', async () => {
    const p = await prepareDataset(tinyConfig({ label: 'rating >= 4', features: [{ name: 'user', kind: 'categorical' }] }), { cache: false });
    expect(Array.from(p.train.label.slice(0, 5))).toEqual([1, 0, 1, 0, 1]);
  });

  it('the ratio split puts row i where ratioSplitOf(i) says', async () => {
    const ratios: [number, number, number] = [0.6, 0.2, 0.2];
    const p = await prepareDataset(tinyConfig({ split: { kind: 'ratio', ratios, seed: 11 } }), { cache: false });
    const rows = csvRows(join(fixtures, 'tiny.csv'));
    const expected = [0, 1, 2].map((k) => rows.filter((_, i) => ratioSplitOf(i, 11, ratios) === k).map((r) => Number(r.rating)));
    expect([p.train, p.validation, p.test].map((c) => Array.from(c.numeric.rating_raw!))).toEqual(expected);
  });

  it('hashed multi-valued tokens', async () => {
    const { h64 } = await xxhash();
    const p = await prepareDataset(tinyConfig({ features: [{ name: 'tags', kind: 'multi', hash_buckets: 7, max_len: 2 }] }), { cache: false });
    const id = (v: string): number => Number(h64(v, 0n) % 7n) + 2;
    expect(p.fields[1]).toMatchObject({ kind: 'multi', vocabSize: 9, maxLen: 2 });
    expect(Array.from(p.train.ids.tags!.subarray(0, 6))).toEqual([id('a'), id('b'), id('b'), 0, id('a'), id('b')]);
  });

  it('seeded ratio and time splits', async () => {
    const ratio = await prepareDataset(tinyConfig({ split: { kind: 'ratio', ratios: [0.5, 0.25, 0.25], seed: 3 } }), { cache: false });
    expect(ratio.train.rows + ratio.validation.rows + ratio.test.rows).toBe(24);
    const again = await prepareDataset(tinyConfig({ split: { kind: 'ratio', ratios: [0.5, 0.25, 0.25], seed: 3 } }), { cache: false });
    expect(again.test).toEqual(ratio.test);
    const time = await prepareDataset(tinyConfig({ split: { kind: 'time', column: 'year', cuts: [2005, 2010] } }), { cache: false });
    expect([time.train.rows, time.validation.rows, time.test.rows]).toEqual([17, 2, 5]);
  });
});

describe('formats and cache', () => {
  const dir = tempDir();
  beforeAll(async () => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const src = `read_csv('${join(fixtures, 'tiny.csv')}', all_varchar = true)`;
    await conn.run(`COPY (SELECT * FROM ${src}) TO '${join(dir, 'tiny.parquet')}' (FORMAT parquet)`);
    await conn.run(`COPY (SELECT * FROM ${src}) TO '${join(dir, 'tiny.jsonl')}' (FORMAT json)`);
    conn.closeSync();
    db.closeSync();
  });

  it('CSV, Parquet and JSONL give identical encodings', async () => {
    const csv = await prepareDataset(tinyConfig(), { cache: false });
    for (const file of ['tiny.parquet', 'tiny.jsonl']) {
      const other = await prepareDataset(tinyConfig({ files: join(dir, file) }), { cache: false });
      expect(other.encoder.state.fields).toEqual(csv.encoder.state.fields);
      for (const split of ['train', 'validation', 'test'] as const) {
        expect(other[split].ids).toEqual(csv[split].ids);
        expect(other[split].numeric).toEqual(csv[split].numeric);
        expect(other[split].label).toEqual(csv[split].label);
      }
    }
  });

  it('several Parquet files (in order) and files given per split', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const src = `read_csv('${join(fixtures, 'tiny.csv')}', all_varchar = true)`;
    await conn.run(`COPY (SELECT * FROM ${src} LIMIT 10) TO '${join(dir, 'part-1.parquet')}' (FORMAT parquet)`);
    await conn.run(`COPY (SELECT * FROM ${src} OFFSET 10) TO '${join(dir, 'part-2.parquet')}' (FORMAT parquet)`);
    for (const split of ['train', 'val', 'test']) {
      await conn.run(`COPY (SELECT * FROM ${src} WHERE split = '${split}') TO '${join(dir, `split-${split}.parquet`)}' (FORMAT parquet)`);
    }
    conn.closeSync();
    db.closeSync();
    const csv = await prepareDataset(tinyConfig(), { cache: false });
    const parts = await prepareDataset(tinyConfig({ files: [join(dir, 'part-1.parquet'), join(dir, 'part-2.parquet')] }), { cache: false });
    const perSplit = await prepareDataset(tinyConfig({
      files: { train: join(dir, 'split-train.parquet'), validation: join(dir, 'split-val.parquet'), test: join(dir, 'split-test.parquet') },
      split: undefined,
    }), { cache: false });
    for (const other of [parts, perSplit]) {
      for (const split of ['train', 'validation', 'test'] as const) {
        expect(other[split].ids).toEqual(csv[split].ids);
        expect(other[split].numeric).toEqual(csv[split].numeric);
      }
    }
  });

  it('caches the encoded dataset: a second run reads no data', async () => {
    const cacheDir = join(dir, 'cache');
    const data = join(dir, 'cached.csv');
    copyFileSync(join(fixtures, 'tiny.csv'), data);
    const config = tinyConfig({ files: data });
    const first = await prepareDataset(config, { cacheDir });
    expect(first.report.cacheHit).toBe(false);
    const second = await prepareDataset(config, { cacheDir });
    expect(second.report.cacheHit).toBe(true);
    expect(second.train).toEqual(first.train);
    expect(second.test).toEqual(first.test);
    expect(second.encoder.state).toEqual(first.encoder.state);
    // A changed file is a different key.
    writeFileSync(data, `${(await import('node:fs')).readFileSync(data, 'utf8')}u9,i1,a,10,20,0,1990,paris,1,web,1,5,test\n`);
    const third = await prepareDataset(config, { cacheDir });
    expect(third.report.cacheHit).toBe(false);
    expect(third.test.rows).toBe(5);
    expect(readdirSync(cacheDir).filter((f) => f.startsWith('tiny-'))).toHaveLength(2);
  });
});

describe('encoder round trip', () => {
  it('save → load gives an identical encoder and identical encodeRows output, unseen values included', async () => {
    const p = await prepareDataset(tinyConfig(), { cache: false });
    const file = join(tempDir(), 'encoder.json');
    p.encoder.save(file);
    const loaded = FeatureEncoder.load(file);
    expect(loaded.state).toEqual(p.encoder.state);
    expect(loaded.fields).toEqual(p.fields);
    const rows = [
      { user: 'u1', item: 'i1', tags: 'a|b|c', price: 10, age: 30, visits: 3, year: 2000, city: 'paris', slot: 1, scen: 'web', rating: 4 },
      { user: 'nobody', item: 'i99', tags: ['zz', 'b'], price: '7.25', age: null, visits: -2, year: 1800, city: 'oslo', slot: 9, scen: 'app', rating: 1 },
    ];
    expect(loaded.encodeRows(rows)).toEqual(p.encoder.encodeRows(rows));
    const enc = loaded.encodeRows(rows);
    expect(enc.ids.user![1]).toBe(1);
    expect(Array.from(enc.ids.tags!.subarray(3, 6))).toEqual([1, 3, 0]);
    expect(enc.hasLabel).toBe(false);
  });

  it('encodeFile reads files in the dialect the encoder was trained on', async () => {
    const dir = tempDir();
    const tsv = readFileSync(join(fixtures, 'tiny.csv'), 'utf8').replaceAll(',', '\t');
    writeFileSync(join(dir, 'tiny.tsv'), tsv);
    const p = await prepareDataset(tinyConfig({ files: join(dir, 'tiny.tsv'), csv: { delimiter: '\t' } }), { cache: false });
    const file = join(dir, 'enc.json');
    p.encoder.save(file);
    const enc = await encodeFile(FeatureEncoder.load(file), join(dir, 'tiny.tsv'));
    expect(enc.rows).toBe(24);
    expect(Array.from(enc.ids.user!.subarray(20))).toEqual(Array.from(p.test.ids.user!));
  });

  it('encodeFile reads a raw file with the saved encoder (label optional)', async () => {
    const p = await prepareDataset(tinyConfig(), { cache: false });
    const dir = tempDir();
    const rows = csvRows(join(fixtures, 'tiny.csv')).filter((r) => r.split === 'test');
    const cols = Object.keys(rows[0]!).filter((c) => c !== 'y');
    writeFileSync(join(dir, 'predict.csv'), `${cols.join(',')}\n${rows.map((r) => cols.map((c) => r[c]).join(',')).join('\n')}\n`);
    const enc = await encodeFile(p.encoder, join(dir, 'predict.csv'));
    expect(enc.hasLabel).toBe(false);
    expect(enc.ids).toEqual(p.test.ids);
    expect(enc.numeric).toEqual(p.test.numeric);
    // Carried columns (extra_columns) are optional at prediction time too: absent ones read as NaN.
    const withExtra = await prepareDataset(tinyConfig({ extra_columns: ['clicks_seen'], features: [{ name: 'user', kind: 'categorical' }] }), { cache: false }).catch((e: Error) => e);
    expect(withExtra).toBeInstanceOf(Error);
    const carried = await prepareDataset(tinyConfig({ extra_columns: ['rating'], features: [{ name: 'user', kind: 'categorical' }] }), { cache: false });
    expect(Array.from((carried.test.extra.rating as Float64Array))).toEqual([4, 3, 5, 2]);
    const slim = cols.filter((c) => c !== 'rating');
    writeFileSync(join(dir, 'slim.csv'), `${slim.join(',')}\n${rows.map((r) => slim.map((c) => r[c]).join(',')).join('\n')}\n`);
    const noRating = await encodeFile(carried.encoder, join(dir, 'slim.csv'));
    expect(Array.from(noRating.extra.rating as Float64Array).every(Number.isNaN)).toBe(true);
    expect(noRating.ids.user).toEqual(carried.test.ids.user);
    const labelled = await encodeFile(p.encoder, join(fixtures, 'tiny.csv'), { requireLabel: true });
    expect(labelled.rows).toBe(24);
    expect(labelled.hasLabel).toBe(true);
  });
});
