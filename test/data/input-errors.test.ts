// The reader and config errors a new user hit (issue 13): each names the file, line or key, what was found and
// what to do. Messages are pinned where their wording is the point.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { parseDatasetConfig, prepareDataset } from '../../src/data/index.js';
import { getModel, resolveModelConfig } from '../../src/models/index.js';
import { parseTrainConfig } from '../../src/train/index.js';
import { optmsmError, tempDir, tinyConfig } from './helpers.js';

const dir = tempDir();
const HEADER = 'a,x,s,y,sp';
const ROWS = Array.from({ length: 24 }, (_, i) => `k${i % 5},${i}.5,${'AB'[i % 2]},${(i >> 1) % 2},${['train', 'train', 'val', 'test'][i % 4]}`);
const csvText = (rows = ROWS) => `${HEADER}\n${rows.join('\n')}\n`;

function dataset(name: string, content: string | Buffer, overrides: Record<string, unknown> = {}) {
  const file = join(dir, name);
  writeFileSync(file, content);
  return parseDatasetConfig({
    name: 'bad', files: file, label: 'y', scenario: 's', split: { kind: 'column', column: 'sp' },
    features: [{ name: 'a', kind: 'categorical' }, { name: 'x', kind: 'numeric' }], ...overrides,
  }, join(dir, 'bad.yaml'), dir);
}
const prepare = (config: ReturnType<typeof dataset>) => optmsmError(() => prepareDataset(config, { cache: false }));

describe('readers say what is wrong', () => {
  it('a gzip file named .csv', async () => {
    const e = await prepare(dataset('logs.csv', gzipSync(csvText())));
    expect(e.code).toBe('E_DATA_FORMAT');
    expect(e.message).toBe(`${join(dir, 'logs.csv')} holds gzip-compressed data, not CSV text`);
    expect(e.location).toBe(join(dir, 'logs.csv'));
  });

  it('a Parquet file named .csv, and CSV text given as JSONL', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    writeFileSync(join(dir, 'real.csv'), csvText());
    await conn.run(`COPY (SELECT * FROM read_csv('${join(dir, 'real.csv')}')) TO '${join(dir, 'real.parquet')}' (FORMAT parquet)`);
    conn.closeSync();
    db.closeSync();
    const parquet = await prepare(dataset('parquet.csv', readFileSync(join(dir, 'real.parquet'))));
    expect(parquet.code).toBe('E_DATA_FORMAT');
    expect(parquet.message).toBe(`${join(dir, 'parquet.csv')} holds a Parquet file, not CSV text (set format: parquet, or give the file its own extension)`);
    const text = await prepare(dataset('rows.jsonl', csvText()));
    expect(text.code).toBe('E_DATA_FORMAT');
    expect(text.message).toBe(`${join(dir, 'rows.jsonl')} holds text, not JSON lines (CSV? set format: csv)`);
  });

  it('JSON lines named .csv', async () => {
    const e = await prepare(dataset('json.csv', ROWS.map((r) => JSON.stringify({ row: r })).join('\n')));
    expect(e.code).toBe('E_DATA_FORMAT');
    expect(e.message).toContain('holds JSON, not CSV text (set format: jsonl');
  });

  it('an unterminated quote names its line', async () => {
    const rows = [...ROWS];
    rows[10] = `"k1,1.5,A,1,train`;
    const e = await prepare(dataset('quote.csv', csvText(rows)));
    expect(e.code).toBe('E_DATA_BAD_ROW');
    expect(e.message).toBe(`${join(dir, 'quote.csv')}: the quote (") opened at line 12 is never closed`);
    expect(e.location).toBe(`${join(dir, 'quote.csv')}:12`);
    expect(e.found).toBe('"k1,1.5,A,1,train');
  });

  it('a file of only blanks is empty', async () => {
    for (const [name, content, found] of [['newline.csv', '\n', 'only blanks (spaces, tabs, newlines)'], ['zero.csv', '', '0 bytes']] as const) {
      const e = await prepare(dataset(name, content));
      expect(e.code).toBe('E_DATA_EMPTY');
      expect(e.location).toBe(join(dir, name));
      expect(e.found).toBe(found);
    }
  });
});

describe('config errors lead to the fix', () => {
  it('a label rule with one class in the training split stops before training, naming the rule and the counts', async () => {
    const e = await prepare(dataset('rule.csv', csvText(), { label: 'y >= 4' }));
    expect(e.code).toBe('E_DATA_ONE_CLASS');
    expect(e.message).toBe("the label rule 'y >= 4' gives 0 positives and 12 negatives in the training split");
    expect(e.location).toBe(`${join(dir, 'bad.yaml')}: label`);
    expect(e.found).toBe("values of 'y' from 0 to 1");
    expect(e.hint).toBe("'y' is a 0/1 column already: write label: y");
    const column = await prepare(dataset('zeros.csv', csvText(ROWS.map((r) => (r.endsWith('train') ? r.replace(/,1,train$/, ',0,train') : r)))));
    expect(column.code).toBe('E_DATA_ONE_CLASS');
    expect(column.message).toBe("the label column 'y' gives 0 positives and 12 negatives in the training split");
  });

  it('a numeric column that is mostly text hints kind: categorical (CSV, and JSONL)', async () => {
    const text = ROWS.map((r, i) => (i % 8 === 0 ? r : r.replace(/^(k\d),[^,]+/, '$1,red')));
    const e = await prepare(dataset('colour.csv', csvText(text)));
    expect(e.code).toBe('E_DATA_BAD_ROW');
    expect(e.location).toBe(`${join(dir, 'colour.csv')}:3`);
    expect(e.hint).toBe("most values of 'x' (21 of 24 rows) are not numbers: if it holds categories, declare feature 'x' with kind: categorical (on_bad_row: skip would drop 88% of the rows)");
    const jsonl = text.map((r) => {
      const [a, x, s, y, sp] = r.split(',');
      return JSON.stringify({ a, x, s, y: Number(y), sp });
    });
    const j = await prepare(dataset('colour.jsonl', `${jsonl.join('\n')}\n`));
    expect(j.code).toBe('E_DATA_BAD_NUMERIC');
    expect(j.location).toBe(`${join(dir, 'colour.jsonl')}:2`);
    expect(j.hint).toBe("most values of 'x' (21 of 24 rows) are not numbers: if it holds categories, declare it with kind: categorical");
  });

  it('every enum error names the value found and the allowed ones', async () => {
    const kind = await optmsmError(() => tinyConfig({ features: [{ name: 'a', kind: 'catgorical' }] }));
    expect(kind.message).toBe("tiny.yaml: features.0.kind: 'catgorical' is not one of 'categorical', 'numeric', 'multi', 'date', 'sequence'");
    expect([kind.location, kind.found]).toEqual(['tiny.yaml: features.0.kind', "'catgorical'"]);
    const normalize = await optmsmError(() => tinyConfig({ features: [{ name: 'a', kind: 'numeric', normalize: 'zscore' }] }));
    expect(normalize.message).toBe("tiny.yaml: features.0.normalize: 'zscore' is not one of 'none', 'min-max', 'standard', 'log'");
    const policy = await optmsmError(() => tinyConfig({ on_bad_row: 'ignore' }));
    expect(policy.message).toBe("tiny.yaml: on_bad_row: 'ignore' is not one of 'error', 'skip'");
    const split = await optmsmError(() => tinyConfig({ split: { kind: 'random' } }));
    expect(split.message).toBe("tiny.yaml: split.kind: 'random' is not one of 'column', 'ratio', 'time', 'files'");
    const optimizer = await optmsmError(() => parseTrainConfig({ optimizer: { name: 'adamax' } }, 'run.yaml'));
    expect(optimizer.message).toBe("run.yaml: train.optimizer.name: 'adamax' is not one of 'adam', 'adamw', 'adagrad', 'sgd'");
    const model = await optmsmError(() => resolveModelConfig(getModel('optmsm'), { combine: 'gated' }));
    expect(model.found).toBe("'gated'");
    expect(model.message).toMatch(/^model 'optmsm': model\.combine: 'gated' is not one of 'gate', /);
  });
});
