// Newline-delimited JSON through DuckDB's read_json. Cells arrive as JSON values and are cast. DuckDB gives no
// line numbers for lines that do not parse: under on_bad_row: skip it turns them into all-NULL rows, which are
// dropped and counted per file.
import { OptmsmError } from '../../errors.js';
import { duckMessage, ident, listLiteral } from '../duck.js';
import { countNonBlankLines, lineOfRow, readLine } from './lines.js';
import { EMPTY_CELL, type BadRow, type Reader, type ReadContext } from './reader.js';
import { CONTENT_NAMES, sniff } from './sniff.js';

const readJson = (files: readonly string[], ignoreErrors: boolean): string =>
  `read_json(${listLiteral(files)}, format = 'newline_delimited', ignore_errors = ${ignoreErrors})`;

// After the first pass (rejects === null) bad lines were reported already and must not stop the reader.
const ignoring = (ctx: ReadContext, rejects: string | null): boolean => rejects === null || ctx.onBadRow === 'skip';

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
      const rows = await ctx.session.rows(`DESCRIBE SELECT * FROM ${readJson([file], true)}`);
      return rows.map((r) => String(r.column_name));
    } catch (e) {
      throw new OptmsmError('E_DATA_BAD_ROW', `cannot read ${file} as JSON lines: ${duckMessage(e)}`, { location: file });
    }
  },

  scan: (ctx, files, options) => readJson(files, ignoring(ctx, options.rejects)),

  keep: (ctx, columns) => (ctx.onBadRow === 'skip' ? `NOT (${columns.map((c) => `${ident(c)} IS NULL`).join(' AND ')})` : null),

  async rejected(ctx, _rejects, files, rowsPerFile) {
    if (ctx.onBadRow !== 'skip') return [];
    const bad: BadRow[] = [];
    files.forEach((file, i) => {
      const lost = countNonBlankLines(file) - (rowsPerFile.get(i) ?? 0);
      if (lost > 0) bad.push({ file, line: 0, column: null, message: `${lost} lines are not JSON objects` });
    });
    return bad;
  },

  locate: (_ctx, file, index, skipped) => `${file.path}:${lineOfRow(file.path, index, 0, skipped)}`,

  async rawCell(_ctx, file, index, column, _header, skipped) {
    const v = (JSON.parse(readLine(file.path, lineOfRow(file.path, index, 0, skipped))) as Record<string, unknown>)[column];
    return v === null || v === undefined || v === '' ? EMPTY_CELL : String(v);
  },
};
