// The date kind (issue 13): a date or timestamp column gives hour, weekday, month and days-since-a-reference
// fields, fitted on train, encoded the same at serving through the saved encoder, and a cell that is not a date
// is an error naming its file:line (or row and column at serving).
import { DuckDBInstance } from '@duckdb/node-api';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FeatureEncoder, parseDatasetConfig, prepareDataset } from '../../src/data/index.js';
import { dateSeconds, dateSecondsSql } from '../../src/data/encoders/date.js';
import { csvRows, optmsmError, sharedData, tempDir } from './helpers.js';

const dir = tempDir();

describe('date cells', () => {
  it('parse to the same seconds in DuckDB (training) and JavaScript (serving), missing as NaN and non-dates as +Infinity', async () => {
    const text = ['2007-07-10', '2007-7-1', '2007-07-10 12:34', '2007-07-10T12:34:56', '2007-07-10 12:34:56.7', '2007-07-10T23:59:59.999Z',
      '1969-12-31 23:00:00', ' 2024-02-29 ', '2023-02-29', '2007-07-10 24:00', '10/07/2007', '2007-07-10 12:34:56.1234', 'soon', '', ' '];
    const epochs = ['881250949', '881250949.5', '-1', '1e9', 'abc', '', '12x'];
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const sql = async (values: string[], from: 'text' | 'epoch_seconds' | 'epoch_milliseconds') => {
      const list = values.map((v) => `'${v}'`).join(', ');
      const r = await conn.runAndReadAll(`SELECT ${dateSecondsSql('v', from)} AS s FROM (SELECT unnest([${list}]) AS v, generate_subscripts([${list}], 1) AS i) ORDER BY i`);
      return r.getRowObjectsJS().map((row) => Number(row.s));
    };
    expect(await sql(text, 'text')).toEqual(text.map((v) => dateSeconds(v, 'text')));
    expect(await sql(epochs, 'epoch_seconds')).toEqual(epochs.map((v) => dateSeconds(v, 'epoch_seconds')));
    expect(await sql(epochs, 'epoch_milliseconds')).toEqual(epochs.map((v) => dateSeconds(v, 'epoch_milliseconds')));
    conn.closeSync();
    db.closeSync();
    expect(dateSeconds('2007-07-10', 'text')).toBe(1184025600);
    expect(dateSeconds('2023-02-29', 'text')).toBe(Number.POSITIVE_INFINITY);
    expect(dateSeconds(null, 'text')).toBeNaN();
    expect(dateSeconds(881250949, 'epoch_seconds')).toBe(881250949);
  });
});

describe('a date feature', () => {
  // Tuesday 2007-07-10 is the first training day; days count from it unless a reference is given.
  const stamps = ['2007-07-10 13:05', '2007-07-11 00:30', '2007-08-01 23:59:59', '2007-12-31', '', '2008-01-06 06:00', '2007-07-15 12:00', '2008-02-29 18:30'];
  const rows = stamps.map((t, i) => `${t},u${i % 3},${i % 2 === 0 ? 'web' : 'app'},${i % 2},${i < 5 ? 'train' : i === 5 ? 'val' : 'test'}`);
  const file = join(dir, 'dates.csv');
  writeFileSync(file, `ts,user,scen,y,sp\n${rows.join('\n')}\n`);
  const config = (date: Record<string, unknown>, files = file) => parseDatasetConfig({
    name: 'dates', files, label: 'y', scenario: 'scen', split: { kind: 'column', column: 'sp' },
    features: [{ name: 'user', kind: 'categorical' }, { name: 'ts', kind: 'date', fill: 'median', ...date }],
  }, 'dates.yaml', dir);

  it('gives hour, weekday, month (categorical) and days since the first training day, fitted on train', async () => {
    const data = await prepareDataset(config({}), { cache: false });
    expect(data.fields.map((f) => [f.name, f.kind, f.vocabSize])).toEqual([
      ['scen', 'categorical', 4], ['user', 'categorical', 5], ['ts_hour', 'categorical', 26], ['ts_weekday', 'categorical', 9],
      ['ts_month', 'categorical', 14], ['ts_days', 'numeric', 0],
    ]);
    // ids are the part's value + 2; an empty cell is OOV (1) for the parts and the training median for days.
    expect(Array.from(data.train.ids.ts_hour!)).toEqual([13 + 2, 0 + 2, 23 + 2, 0 + 2, 1]);
    expect(Array.from(data.train.ids.ts_weekday!)).toEqual([1 + 2, 2 + 2, 2 + 2, 0 + 2, 1]);
    expect(Array.from(data.train.ids.ts_month!)).toEqual([6 + 2, 6 + 2, 7 + 2, 11 + 2, 1]);
    const day = (t: string) => (dateSeconds(t, 'text') / 86400) - 13704; // 13704 = days from 1970-01-01 to 2007-07-10
    const days = [day(stamps[0]!), day(stamps[1]!), day(stamps[2]!), day(stamps[3]!)];
    const state = data.encoder.state.fields.find((f) => f.name === 'ts_days')!;
    expect(state).toMatchObject({ source: 'numeric', days: { from: 'text', reference: 13704 } });
    expect(Array.from(data.train.numeric.ts_days!).slice(0, 4)).toEqual(days.map(Math.fround));
    expect(data.train.numeric.ts_days![4]).toBe(Math.fround((state as { fill: number }).fill));
    // Validation and test rows are only encoded: a leap day months later still maps through the same functions.
    expect(Array.from(data.test.ids.ts_month!)).toEqual([6 + 2, 1 + 2]);
  });

  it('encodes raw rows at serving exactly as training did, through the saved encoder', async () => {
    const data = await prepareDataset(config({ parts: ['weekday', 'days'], buckets: 3, reference: '2007-01-01' }), { cache: false });
    const saved = join(dir, 'encoder.json');
    data.encoder.save(saved);
    const encoder = FeatureEncoder.load(saved);
    const raw: Record<string, string | null>[] = csvRows(file).map((r) => ({ ...r, ts: r.ts === '' ? null : r.ts! }));
    const served = encoder.encodeRows(raw);
    const trained = ['train', 'validation', 'test'] as const;
    const order = raw.map((r) => r.sp === 'train' ? 0 : r.sp === 'val' ? 1 : 2);
    for (const name of ['ts_weekday', 'ts_days']) {
      const byRow = trained.flatMap((s, k) => Array.from(data[s].ids[name]!).map((id) => ({ k, id })));
      const expected = order.map((k) => byRow.splice(byRow.findIndex((e) => e.k === k), 1)[0]!.id);
      expect(Array.from(served.ids[name]!), name).toEqual(expected);
    }
    expect(encoder.state.fields.find((f) => f.name === 'ts_days')).toMatchObject({ source: 'bucket', days: { reference: 13514 } });
  });

  it('a cell that is not a date names its file:line in training and its row at serving', async () => {
    const bad = join(dir, 'bad-dates.csv');
    writeFileSync(bad, `ts,user,scen,y,sp\n${rows.map((r, i) => (i === 3 ? r.replace(/^[^,]*/, '31/12/2007') : r)).join('\n')}\n`);
    const e = await optmsmError(() => prepareDataset(config({}, bad), { cache: false }));
    expect(e.code).toBe('E_DATA_BAD_DATE');
    expect(e.message).toBe("1 row has a value in date column 'ts' that is not a date");
    expect(e.location).toBe(`${bad}:5`);
    expect(e.found).toBe('31/12/2007');
    const data = await prepareDataset(config({}), { cache: false });
    const serving = await optmsmError(() => data.encoder.encodeRows([{ ts: 'yesterday', user: 'u1', scen: 'web' }]));
    expect(serving.code).toBe('E_DATA_BAD_DATE');
    expect(serving.location).toBe("row 0, column 'ts'");
  });

  it.skipIf(!existsSync(join(sharedData, 'ml-100k/ml100k_ctr.csv')))('reads epoch seconds (MovieLens-100k timestamps)', async () => {
    const data = await prepareDataset(parseDatasetConfig({
      name: 'ml100k-dates', files: join(sharedData, 'ml-100k/ml100k_ctr.csv'), label: 'label', scenario: 'domain',
      split: { kind: 'column', column: 'split', validation: ['val'] },
      features: [{ name: 'when', column: 'timestamp', kind: 'date', from: 'epoch_seconds', parts: ['hour', 'weekday', 'days'], buckets: 8 }],
    }, 'ml.yaml', dir), { cache: false });
    expect(data.fields.map((f) => f.name)).toEqual(['domain', 'when_hour', 'when_weekday', 'when_days']);
    const hours = new Set(data.train.ids.when_hour);
    expect(hours.size).toBe(24);
    expect(Math.min(...data.train.ids.when_days!)).toBe(2);
    expect(Math.max(...data.train.ids.when_days!)).toBe(9);
  });
});
