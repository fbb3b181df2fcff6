// A new input format is one file implementing Reader plus registerReader: here a test-only reader for JSON-array
// files (one array of row objects per file), which none of the built-in readers reads.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareDataset, readerFormats, registerReader, type Reader } from '../../src/data/index.js';
import { csvRows, fixtures, optmsmError, tempDir, tinyConfig } from './helpers.js';

const listLiteral = (files: readonly string[]) => `[${files.map((f) => `'${f.replaceAll("'", "''")}'`).join(', ')}]`;
const rowsOf = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>[];

const jsonArrayReader: Reader = {
  format: 'json-array',
  extensions: ['.jarr'],
  parsesTypes: false,
  codes: 'enum',
  mismatch: (file) => (readFileSync(file, 'utf8').trimStart().startsWith('[') ? null : `${file} is not a JSON array`),
  async header(ctx, file) {
    return (await ctx.session.rows(`DESCRIBE SELECT * FROM read_json('${file}', format = 'array')`)).map((r) => String(r.column_name));
  },
  scan: (_ctx, files) => `read_json(${listLiteral(files)}, format = 'array')`,
  keep: () => null,
  rejected: async () => [],
  locate: (_ctx, file, index) => `${file.path}[${index}]`,
  rawCell: async (_ctx, file, index, column) => String(rowsOf(file.path)[index]![column]),
};

describe('a reader registered from outside the data room', () => {
  const dir = tempDir();
  const rows = csvRows(join(fixtures, 'tiny.csv'));
  const typed = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === '' ? null : v])));

  it('reads its format like the built-in ones, by extension or by name', async () => {
    registerReader(jsonArrayReader);
    expect(readerFormats()).toContain('json-array');
    writeFileSync(join(dir, 'tiny.jarr'), JSON.stringify(typed));
    const csv = await prepareDataset(tinyConfig(), { cache: false });
    for (const overrides of [{ files: join(dir, 'tiny.jarr') }, { files: join(dir, 'tiny.jarr'), format: 'json-array' }]) {
      const other = await prepareDataset(tinyConfig(overrides), { cache: false });
      expect(other.encoder.state.fields).toEqual(csv.encoder.state.fields);
      for (const split of ['train', 'validation', 'test'] as const) {
        expect(other[split].ids).toEqual(csv[split].ids);
        expect(other[split].numeric).toEqual(csv[split].numeric);
        expect(other[split].label).toEqual(csv[split].label);
      }
    }
  });

  it('locates rows and reads raw cells its own way in errors', async () => {
    registerReader(jsonArrayReader);
    writeFileSync(join(dir, 'bad.jarr'), JSON.stringify(typed.map((r, i) => (i === 3 ? { ...r, y: '7' } : r))));
    const e = await optmsmError(() => prepareDataset(tinyConfig({ files: join(dir, 'bad.jarr') }), { cache: false }));
    expect(e.code).toBe('E_DATA_BAD_LABEL');
    expect(e.location).toBe(`${join(dir, 'bad.jarr')}[3]`);
    expect(e.found).toBe('7');
  });
});
