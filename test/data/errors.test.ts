// Every bad input gives an OptmsmError whose message names the file (and line, column) — never a stack trace.
// Messages are pinned so that a change in wording is a visible, reviewed change.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FeatureEncoder, loadDatasetConfig, parseDatasetConfig, prepareDataset } from '../../src/data/index.js';
import { OptmsmError } from '../../src/errors.js';
import { optmsmError, tempDir, tinyConfig } from './helpers.js';

const dir = tempDir();
const HEADER = 'a,x,s,y,sp';
const GOOD = ['k1,1.5,A,1,train', 'k2,2.5,B,0,train', 'k1,0.5,A,0,val', 'k2,1.0,B,1,test'];

function dataset(name: string, text: string, overrides: Record<string, unknown> = {}) {
  const file = join(dir, name);
  writeFileSync(file, text);
  return parseDatasetConfig({
    name: 'bad', files: file, label: 'y', scenario: 's', split: { kind: 'column', column: 'sp' },
    features: [{ name: 'a', kind: 'categorical' }, { name: 'x', kind: 'numeric' }], ...overrides,
  }, 'bad.yaml', dir);
}

/** The error as the CLI prints it, with the temporary directory masked. */
async function printed(fn: () => unknown): Promise<string> {
  const e = await optmsmError(fn);
  expect(e.stack).toBeDefined();
  return e.pretty().replaceAll(dir, '<dir>');
}

const csv = (...rows: string[]): string => `${[HEADER, ...rows].join('\n')}\n`;

describe('bad data files', () => {
  it('a missing file', async () => {
    const config = dataset('present.csv', csv(...GOOD), { files: join(dir, 'absent.csv') });
    expect(await printed(() => prepareDataset(config, { cache: false }))).toMatchInlineSnapshot(`
      "✖ data file <dir>/absent.csv does not exist → at <dir>/absent.csv
        [E_DATA_NOT_FOUND]"
    `);
  });

  it('a glob that matches nothing', async () => {
    const config = dataset('present2.csv', csv(...GOOD), { files: join(dir, 'nothing-*.csv') });
    expect(await printed(() => prepareDataset(config, { cache: false }))).toMatchInlineSnapshot(`
      "✖ no data files match <dir>/nothing-*.csv → at <dir>/nothing-*.csv
        expected: files ending in .csv / .tsv / .txt / .parquet / .pq / .jsonl / .ndjson / .json
        [E_DATA_NOT_FOUND]"
    `);
  });

  it('a missing column', async () => {
    const config = dataset('nocol.csv', csv(...GOOD), { features: [{ name: 'b', kind: 'categorical' }] });
    expect(await printed(() => prepareDataset(config, { cache: false }))).toMatchInlineSnapshot(`
      "✖ data file <dir>/nocol.csv has no column 'b' (needed by feature 'b') → at <dir>/nocol.csv: b
        expected: a column named 'b'
        found:    a, x, s, y, sp
        [E_DATA_MISSING_COLUMN]"
    `);
  });

  it('an empty file', async () => {
    expect(await printed(() => prepareDataset(dataset('empty.csv', ''), { cache: false }))).toMatchInlineSnapshot(`
      "✖ data file <dir>/empty.csv is empty → at <dir>/empty.csv
        expected: a header and data rows
        found:    0 bytes
        [E_DATA_EMPTY]"
    `);
  });

  it('a header without rows', async () => {
    expect(await printed(() => prepareDataset(dataset('header.csv', `${HEADER}\n`), { cache: false }))).toMatchInlineSnapshot(`
      "✖ data file <dir>/header.csv has no data rows → at <dir>/header.csv
        expected: at least one row
        found:    a header only
        [E_DATA_EMPTY]"
    `);
  });

  it('rows that do not parse: error with file:line, or skipped and reported', async () => {
    const text = csv(GOOD[0]!, 'k1,abc,A,1,train', GOOD[1]!, 'k2,1.0,B', ...GOOD.slice(2));
    expect(await printed(() => prepareDataset(dataset('badrow.csv', text), { cache: false }))).toMatchInlineSnapshot(`
      "✖ 2 rows of <dir>/badrow.csv do not parse (column 'x') → at <dir>/badrow.csv:3
        found:    <dir>/badrow.csv:3 [x]: Error when converting column "x". Could not convert string "abc" to 'DOUBLE'
                  <dir>/badrow.csv:5 [y]: Expected Number of Columns: 5 Found: 3
        hint:     fix the rows, or set on_bad_row: skip to drop them (they are counted and reported)
        [E_DATA_BAD_ROW]"
    `);
    const skipped = await prepareDataset(dataset('badrow2.csv', text, { on_bad_row: 'skip' }), { cache: false });
    expect(skipped.report.skippedRows).toBe(2);
    expect(skipped.report.badRows.map((b) => [b.line, b.column])).toEqual([[3, 'x'], [5, 'y']]);
    expect(skipped.train.rows).toBe(2);
  });

  it('JSONL lines that do not parse: an error naming file:line, or skipped and reported with their lines', async () => {
    const lines = GOOD.map((l) => {
      const [a, x, sc, y, sp] = l.split(',');
      return JSON.stringify({ a, x: Number(x), s: sc, y: Number(y), sp });
    });
    const text = `${lines[0]}\nthis is not json\n${lines.slice(1).join('\n')}\n`;
    const e = await optmsmError(() => prepareDataset(dataset('bad.jsonl', text), { cache: false }));
    expect(e.code).toBe('E_DATA_BAD_ROW');
    expect(e.message).toBe(`1 row of ${join(dir, 'bad.jsonl')} do not parse`);
    expect(e.location).toBe(`${join(dir, 'bad.jsonl')}:2`);
    expect(e.found).toMatch(/bad\.jsonl:2: not JSON \(/);
    const skipped = await prepareDataset(dataset('bad2.jsonl', text, { on_bad_row: 'skip' }), { cache: false });
    expect(skipped.report.skippedRows).toBe(1);
    expect(skipped.report.badRows[0]).toMatchObject({ line: 2, column: null });
    expect(skipped.train.rows + skipped.validation.rows + skipped.test.rows).toBe(4);
  });

  it('an unterminated quote', async () => {
    const text = `${HEADER}\nk1,1.5,A,1,train\n"k2,2.5,B,0,train\n`;
    const e = await optmsmError(() => prepareDataset(dataset('quote.csv', text), { cache: false }));
    expect(e.code).toBe('E_DATA_BAD_ROW');
    expect(e.message).toContain('quote.csv');
  });

  it('a label that is not 0/1', async () => {
    const text = csv(GOOD[0]!, GOOD[1]!, 'k1,0.5,A,yes,val', GOOD[3]!);
    expect(await printed(() => prepareDataset(dataset('label.csv', text), { cache: false }))).toMatchInlineSnapshot(`
      "✖ 1 row has a label in column 'y' that is not 0 or 1 → at <dir>/label.csv:4
        expected: 0 or 1
        found:    yes
        [E_DATA_BAD_LABEL]"
    `);
    const two = csv(GOOD[0]!, 'k2,2.5,B,2,train', ...GOOD.slice(2));
    expect((await optmsmError(() => prepareDataset(dataset('label2.csv', two), { cache: false }))).location).toBe(`${join(dir, 'label2.csv')}:3`);
  });

  it('an empty or NaN numeric without a fill rule', async () => {
    const text = csv(GOOD[0]!, 'k2,,B,0,train', ...GOOD.slice(2));
    expect(await printed(() => prepareDataset(dataset('nan.csv', text), { cache: false }))).toMatchInlineSnapshot(`
      "✖ 1 row has an empty, NaN or infinite value in numeric column 'x', which has no fill rule → at <dir>/nan.csv:3
        expected: a finite number
        found:    (empty)
        hint:     add fill: <number> | mean | median to the feature reading 'x'
        [E_DATA_BAD_NUMERIC]"
    `);
    const nan = csv(...GOOD.slice(0, 3), 'k2,NaN,B,1,test');
    expect((await optmsmError(() => prepareDataset(dataset('nan2.csv', nan), { cache: false }))).location).toBe(`${join(dir, 'nan2.csv')}:5`);
    const filled = await prepareDataset(dataset('nan3.csv', text, { features: [{ name: 'x', kind: 'numeric', fill: 0 }] }), { cache: false });
    expect(filled.train.numeric.x![1]).toBe(0);
  });

  it('Parquet errors point at file#row', async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const file = join(dir, 'nan.parquet');
    await conn.run(`COPY (SELECT * FROM (VALUES ('k1', 1.5, 'A', 1, 'train'), ('k2', NULL, 'B', 0, 'train'), ('k1', 0.5, 'A', 0, 'val'), ('k2', 1.0, 'B', 1, 'test')) t(a, x, s, y, sp)) TO '${file}' (FORMAT parquet)`);
    conn.closeSync();
    db.closeSync();
    const e = await optmsmError(() => prepareDataset(dataset('unused.csv', csv(...GOOD), { files: file }), { cache: false }));
    expect(e.code).toBe('E_DATA_BAD_NUMERIC');
    expect(e.location).toBe(`${file}#row 2`);
  });

  it('more scenarios than max_scenarios', async () => {
    const config = dataset('scn.csv', csv(...GOOD), { scenario: { column: 's', max_scenarios: 1 } });
    expect(await printed(() => prepareDataset(config, { cache: false }))).toMatchInlineSnapshot(`
      "✖ scenario column 's' has 2 distinct values, more than max_scenarios = 1 → at <dir>/scn.csv: s
        expected: at most 1
        found:    2
        hint:     check that \`scenario:\` names the right column, or raise scenario.max_scenarios
        [E_DATA_TOO_MANY_SCENARIOS]"
    `);
  });

  it('a scenario with no training rows', async () => {
    const text = csv(...GOOD, 'k1,1.0,C,1,test');
    expect(await printed(() => prepareDataset(dataset('scn2.csv', text), { cache: false }))).toMatchInlineSnapshot(`
      "✖ scenario value 'C' of column 's' appears outside the training split only → at <dir>/scn2.csv:6
        expected: one of A, B
        found:    C
        hint:     every scenario needs training rows
        [E_DATA_UNKNOWN_SCENARIO]"
    `);
  });

  it('a split value that is none of train/validation/test, and a split without validation rows', async () => {
    const text = csv(...GOOD, 'k1,1.0,A,1,holdout');
    expect(await printed(() => prepareDataset(dataset('split.csv', text), { cache: false }))).toMatchInlineSnapshot(`
      "✖ 1 row has a split value that is not train, validation or test (column 'sp') → at <dir>/split.csv:6
        expected: one of train, val, valid, validation, test
        found:    holdout
        [E_DATA_BAD_SPLIT]"
    `);
    const noVal = csv(GOOD[0]!, GOOD[1]!, GOOD[3]!);
    expect(await printed(() => prepareDataset(dataset('split2.csv', noVal), { cache: false }))).toMatchInlineSnapshot(`
      "✖ the split gives no validation rows → at <dir>/split2.csv
        expected: train, validation and test rows
        found:    2 / 0 / 1
        [E_DATA_BAD_SPLIT]"
    `);
  });
});

describe('bad configs', () => {
  it('an unknown key names its path', async () => {
    const e = await optmsmError(() => tinyConfig({ features: [{ name: 'a', kind: 'categorical', embeding_dim: 4 }] }));
    expect(e.pretty()).toMatchInlineSnapshot(`
      "✖ tiny.yaml: unknown key embeding_dim in features.0 → at tiny.yaml: features.0.embeding_dim
        expected: only the keys documented in docs/data.md
        found:    embeding_dim
        [E_CONFIG_UNKNOWN_KEY]"
    `);
  });

  it('a wrong value names the key and what was expected', async () => {
    const e = await optmsmError(() => tinyConfig({ on_bad_row: 'ignore' }));
    expect(e.code).toBe('E_CONFIG_INVALID');
    expect(e.location).toBe('tiny.yaml: on_bad_row');
    const kind = await optmsmError(() => tinyConfig({ features: [{ name: 'a', kind: 'text' }] }));
    expect(kind.location).toBe('tiny.yaml: features.0.kind');
  });

  it('a label that is neither a column nor a rule, and a feature reading the label', async () => {
    expect((await optmsmError(() => tinyConfig({ label: 'rating >> 4' }))).pretty()).toMatchInlineSnapshot(`
      "✖ label 'rating >> 4' is neither a column nor a rule → at tiny.yaml: label
        expected: a 0/1 column name, or \`column op number\` with op one of >= > <= < == !=
        found:    rating >> 4
        [E_CONFIG_INVALID]"
    `);
    const leak = await optmsmError(() => tinyConfig({ label: 'rating >= 4' }));
    expect(leak.message).toBe("tiny.yaml: feature 'rating_raw' reads the label column 'rating'");
  });

  it('a missing config file', async () => {
    const e = await optmsmError(() => loadDatasetConfig(join(dir, 'nope.yaml')));
    expect(e.code).toBe('E_CONFIG_NOT_FOUND');
  });
});

describe('prediction-time errors', () => {
  it('an unknown scenario value names the value', async () => {
    const p = await prepareDataset(tinyConfig(), { cache: false });
    const e = await optmsmError(() => p.encoder.encodeRows([{ user: 'u1', scen: 'tv', price: 1, visits: 1, year: 2000, rating: 1 }]));
    expect(e.pretty()).toMatchInlineSnapshot(`
      "✖ scenario value 'tv' was not seen in training → at row 0, column 'scen'
        expected: one of 'app', 'web'
        found:    tv
        [E_DATA_UNKNOWN_SCENARIO]"
    `);
  });

  it('a numeric without fill at prediction time', async () => {
    const p = await prepareDataset(tinyConfig(), { cache: false });
    const e = await optmsmError(() => p.encoder.encodeRows([{ scen: 'web', price: 'abc', visits: 1, year: 2000, rating: 1 }]));
    expect(e.code).toBe('E_DATA_BAD_NUMERIC');
    expect(e.location).toBe("row 0, column 'price'");
  });

  it('a corrupt or edited encoder file', async () => {
    const p = await prepareDataset(tinyConfig(), { cache: false });
    const file = join(dir, 'enc.json');
    p.encoder.save(file);
    const state = JSON.parse((await import('node:fs')).readFileSync(file, 'utf8')) as { scenario: { values: string[] } };
    state.scenario.values = ['web', 'app'];
    writeFileSync(file, JSON.stringify(state));
    expect((await optmsmError(() => FeatureEncoder.load(file))).message).toContain('does not match its checksum');
    writeFileSync(file, '{"formatVersion": 99}');
    expect((await optmsmError(() => FeatureEncoder.load(file))).code).toBe('E_DATA_ENCODER');
    expect(new OptmsmError('E_DATA_ENCODER', 'x')).toBeInstanceOf(Error);
  });
});
