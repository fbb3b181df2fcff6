// Parquet through DuckDB's read_parquet. Cells arrive typed as stored and are cast; categorical codes come by hash
// joins and rows go back in input order by file_row_number, which also locates a row (file#row N).
import { OptmsmError } from '../../errors.js';
import { duckMessage, ident, listLiteral, literal } from '../duck.js';
import { EMPTY_CELL, type Reader } from './reader.js';
import { CONTENT_NAMES, sniff } from './sniff.js';

export const parquetReader: Reader = {
  format: 'parquet',
  extensions: ['.parquet', '.pq'],
  parsesTypes: false,
  codes: 'join',

  mismatch(file) {
    const content = sniff(file);
    return content === 'parquet' ? null : `${file} holds ${CONTENT_NAMES[content]}, not a Parquet file`;
  },

  async header(ctx, file) {
    try {
      const rows = await ctx.session.rows(`DESCRIBE SELECT * FROM read_parquet(${literal(file)})`);
      return rows.map((r) => String(r.column_name));
    } catch (e) {
      throw new OptmsmError('E_DATA_BAD_ROW', `cannot read the schema of ${file}: ${duckMessage(e)}`, { location: file });
    }
  },

  scan: (_ctx, files, options) => `read_parquet(${listLiteral(files)}${options.position ? ', file_row_number = true' : ''})`,

  keep: () => null,

  rejected: async () => [],

  locate: (_ctx, file, index) => `${file.path}#row ${index + 1}`,

  async rawCell(ctx, file, index, column) {
    const [r] = await ctx.session.rows(
      `SELECT CAST(${ident(column)} AS VARCHAR) AS v FROM read_parquet(${literal(file.path)}, file_row_number = true) WHERE file_row_number = ${index}`);
    return r?.v === null || r?.v === undefined ? EMPTY_CELL : String(r.v);
  },
};
