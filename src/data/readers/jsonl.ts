// Newline-delimited JSON through DuckDB's read_json. Cells arrive as JSON values and are cast. DuckDB turns a line
// it cannot use into a row of NULLs (ignore_errors) and gives no line numbers: such rows are dropped, and when a
// file has fewer rows than non-blank lines its lines are read again here to find which ones, with their numbers.
import { closeSync, openSync, readSync } from 'node:fs';
import { OptmsmError } from '../../errors.js';
import { duckMessage, ident, listLiteral } from '../duck.js';
import { countNonBlankLines, lineOfRow, readLine, rowLinesBefore } from './lines.js';
import { EMPTY_CELL, type BadRow, type Reader } from './reader.js';
import { CONTENT_NAMES, sniff } from './sniff.js';

const readJson = (files: readonly string[]): string => `read_json(${listLiteral(files)}, format = 'newline_delimited', ignore_errors = true)`;

/** Why a line gives no row (it is not a JSON object, or holds none of the columns), or null. */
function lineProblem(text: string, columns: readonly string[]): string | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return `not JSON (${(e as Error).message})`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const row = value as Record<string, unknown>;
  return columns.every((c) => row[c] === null || row[c] === undefined) ? `none of the keys ${columns.join(', ')}` : null;
}

/** The lines of `file` that give no row, read line by line. */
function badLines(file: string, columns: readonly string[]): BadRow[] {
  const bad: BadRow[] = [];
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    let line = 1;
    let parts: Buffer[] = [];
    const finish = () => {
      const text = Buffer.concat(parts).toString('utf8');
      parts = [];
      if (text.trim() === '') return;
      const problem = lineProblem(text, columns);
      if (problem !== null) bad.push({ file, line, column: null, message: problem });
    };
    for (let position = 0; ; ) {
      const got = readSync(fd, buf, 0, buf.length, position);
      if (got === 0) break;
      position += got;
      let start = 0;
      for (let i = 0; i < got; i++) {
        if (buf[i] !== 10) continue;
        parts.push(Buffer.from(buf.subarray(start, i)));
        finish();
        line++;
        start = i + 1;
      }
      parts.push(Buffer.from(buf.subarray(start, got)));
    }
    finish();
  } finally {
    closeSync(fd);
  }
  return bad;
}

export const jsonlReader: Reader = {
  format: 'jsonl',
  extensions: ['.jsonl', '.ndjson', '.json'],
  parsesTypes: false,
  codes: 'enum',

  mismatch(file) {
    const content = sniff(file);
    if (content === 'json' || content === 'blank') return null;
    const as = content === 'text' ? ' (CSV? set format: csv)' : content === 'parquet' ? ' (set format: parquet)' : '';
    return `${file} holds ${CONTENT_NAMES[content]}, not JSON lines${as}`;
  },

  async header(ctx, file) {
    try {
      const rows = await ctx.session.rows(`DESCRIBE SELECT * FROM ${readJson([file])}`);
      return rows.map((r) => String(r.column_name));
    } catch (e) {
      throw new OptmsmError('E_DATA_BAD_ROW', `cannot read ${file} as JSON lines: ${duckMessage(e)}`, { location: file });
    }
  },

  scan: (_ctx, files) => readJson(files),

  keep: (_ctx, columns) => `NOT (${columns.map((c) => `${ident(c)} IS NULL`).join(' AND ')})`,

  async rejected(_ctx, _rejects, files, rowsPerFile, columns) {
    return files.flatMap((file, i) => (countNonBlankLines(file) > (rowsPerFile.get(i) ?? 0) ? badLines(file, columns) : []));
  },

  async rowsBefore(_ctx, file, bad) {
    const lines = rowLinesBefore(file, bad.map((b) => b.line), { quote: '', escape: null, headerLines: 0, whitespaceIsBlank: true });
    return lines.map((n, j) => n - j);
  },

  locate: (_ctx, file, index, skipped) => `${file.path}:${lineOfRow(file.path, index, 0, skipped)}`,

  async rawCell(_ctx, file, index, column, _header, skipped) {
    const v = (JSON.parse(readLine(file.path, lineOfRow(file.path, index, 0, skipped))) as Record<string, unknown>)[column];
    return v === null || v === undefined || v === '' ? EMPTY_CELL : String(v);
  },
};
