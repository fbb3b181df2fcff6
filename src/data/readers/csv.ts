// CSV (and TSV, any delimiter) through DuckDB's read_csv. It parses typed columns itself, numbers as DOUBLE and
// categorical columns straight into ENUMs, and records the rows that do not parse, with file and line, in its
// reject tables on the first pass.
import { OptmsmError } from '../../errors.js';
import { duckMessage, listLiteral, literal } from '../duck.js';
import type { CsvOptions } from '../schema.js';
import { lineOfRow, readLine, rowLinesBefore, unclosedQuoteLine } from './lines.js';
import { EMPTY_CELL, type BadRow, type Reader, type ReadContext, type ScanOptions } from './reader.js';
import { CONTENT_NAMES, sniff } from './sniff.js';

function readCsv(files: readonly string[], csv: CsvOptions, options: ScanOptions): string {
  const opts = [
    `header = ${csv.header}`, `delim = ${literal(csv.delimiter)}`, `quote = ${literal(csv.quote)}`,
    ...(csv.escape !== null ? [`escape = ${literal(csv.escape)}`] : []),
    'all_varchar = true',
  ];
  if (options.types.size > 0) opts.push(`types = {${[...options.types].map(([c, t]) => `${literal(c)}: ${literal(t)}`).join(', ')}}`);
  if (options.rejects) opts.push('store_rejects = true', `rejects_table = '${options.rejects}_e'`, `rejects_scan = '${options.rejects}_s'`);
  // Without a reject table (reading the header, or the second pass): rows that do not parse were already
  // reported by the first pass and must not stop the reader.
  else opts.push('ignore_errors = true');
  return `read_csv(${listLiteral(files)}, ${opts.join(', ')})`;
}

/** Splits one CSV line with the configured delimiter and quote. */
function splitCsvLine(line: string, csv: CsvOptions): string[] {
  const out: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (csv.quote !== '' && ch === csv.quote) {
      if (quoted && line[i + 1] === csv.quote) {
        cell += ch;
        i++;
      } else quoted = !quoted;
    } else if (!quoted && line.startsWith(csv.delimiter, i)) {
      out.push(cell);
      cell = '';
      i += csv.delimiter.length - 1;
    } else cell += ch;
  }
  out.push(cell);
  return out;
}

const headerLines = (ctx: ReadContext): number => (ctx.csv.header ? 1 : 0);

export const csvReader: Reader = {
  format: 'csv',
  extensions: ['.csv', '.tsv', '.txt'],
  parsesTypes: true,
  codes: 'enum',

  mismatch(file) {
    const content = sniff(file);
    if (content === 'text' || content === 'blank') return null;
    const as = content === 'json' ? 'format: jsonl' : content === 'parquet' ? 'format: parquet' : null;
    return `${file} holds ${CONTENT_NAMES[content]}, not CSV text${as ? ` (set ${as}, or give the file its own extension)` : ''}`;
  },

  async header(ctx, file) {
    try {
      const rows = await ctx.session.rows(`DESCRIBE SELECT * FROM ${readCsv([file], ctx.csv, { types: new Map(), rejects: null, position: false })}`);
      return rows.map((r) => String(r.column_name));
    } catch (e) {
      // DuckDB's dialect sniffer fails on an unterminated quote without saying where: find it.
      const line = unclosedQuoteLine(file, ctx.csv.quote, ctx.csv.escape);
      if (line !== null) {
        throw new OptmsmError('E_DATA_BAD_ROW', `${file}: the quote (${ctx.csv.quote}) opened at line ${line} is never closed`, {
          location: `${file}:${line}`, expected: `a closing ${ctx.csv.quote} in the same cell`,
          found: readLine(file, line).slice(0, 120),
          hint: 'close the quote, or set csv.quote / csv.escape in the dataset config to the dialect of the file',
        });
      }
      throw new OptmsmError('E_DATA_BAD_ROW', `cannot read the header of ${file}: ${duckMessage(e)}`, { location: file });
    }
  },

  scan: (ctx, files, options) => readCsv(files, ctx.csv, options),

  keep: () => null,

  async rejected(ctx, rejects) {
    const rows = await ctx.session.rows(
      `SELECT s.file_path AS file, e.line::DOUBLE AS line, e.column_name AS col, e.error_message AS msg
       FROM ${rejects}_e e JOIN ${rejects}_s s USING (scan_id, file_id) ORDER BY file, line`);
    // DuckDB may report several errors for one line (e.g. one per missing column): keep the first.
    const seen = new Set<string>();
    const bad: BadRow[] = [];
    for (const r of rows) {
      const key = `${String(r.file)}:${Number(r.line)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      bad.push({ file: String(r.file), line: Number(r.line), column: r.col === null ? null : String(r.col), message: String(r.msg) });
    }
    return bad;
  },

  async rowsBefore(ctx, file, bad) {
    const lines = rowLinesBefore(file, bad.map((b) => b.line), { quote: ctx.csv.quote, escape: ctx.csv.escape, headerLines: headerLines(ctx), whitespaceIsBlank: false });
    // The bad rows before each one are among the lines counted, but did not parse.
    return lines.map((n, j) => n - j);
  },

  locate: (ctx, file, index, skipped) => `${file.path}:${lineOfRow(file.path, index, headerLines(ctx), skipped)}`,

  async rawCell(ctx, file, index, column, header, skipped) {
    const cell = splitCsvLine(readLine(file.path, lineOfRow(file.path, index, headerLines(ctx), skipped)), ctx.csv)[header.indexOf(column)];
    return cell === undefined || cell === '' ? EMPTY_CELL : cell;
  },
};
