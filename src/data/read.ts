// Reading raw files into one DuckDB table. Columns are typed from the schema (categoricals as text, numerics as
// DOUBLE, multi-valued cells as token lists), rows that do not parse are collected through DuckDB's CSV reject
// tables (file + line), and every row keeps its file index so later checks can point at file:line.
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { OptmsmError } from '../errors.js';
import { DuckSession, duckMessage, ident, listLiteral, literal } from './duck.js';
import type { CsvOptions, DataFormat, SplitName } from './schema.js';

export interface ColumnRequest {
  alias: string;
  column: string;
  type: 'text' | 'number' | 'tokens';
  separator?: string;
  /** Who needs it, for the missing-column message. */
  purpose: string;
  /** Absent columns are allowed (e.g. the label at prediction time). */
  optional?: boolean;
}

export interface SourceGroup {
  split: SplitName | null;
  files: string[];
}

export interface BadRow {
  file: string;
  line: number;
  column: string | null;
  message: string;
}

export interface RawTable {
  table: string;
  rows: number;
  format: DataFormat;
  files: { path: string; rows: number; firstRid: number }[];
  skipped: BadRow[];
  /** Aliases whose column exists in every file. */
  present: Set<string>;
  /** file:line (CSV, JSONL) or file#row (Parquet) of a row id (`__rid`) of the table. */
  locate(rid: number): string;
  /** Frees the raw rows once they are encoded. */
  drop(): Promise<void>;
}

const EXTENSIONS: Record<DataFormat, string[]> = {
  csv: ['.csv', '.tsv', '.txt'],
  parquet: ['.parquet', '.pq'],
  jsonl: ['.jsonl', '.ndjson', '.json'],
};

export function formatOf(file: string): DataFormat | null {
  const ext = extname(file).toLowerCase();
  for (const [format, exts] of Object.entries(EXTENSIONS)) if (exts.includes(ext)) return format as DataFormat;
  return null;
}

/** Expands directories and globs into a sorted file list; a pattern matching nothing is E_DATA_NOT_FOUND. */
export async function expandFiles(session: DuckSession, patterns: readonly string[], format: DataFormat | null): Promise<string[]> {
  const out: string[] = [];
  for (const pattern of patterns) {
    let found: string[];
    if (/[*?[]/.test(pattern)) {
      const rows = await session.rows(`SELECT file FROM glob(${literal(pattern)}) ORDER BY file`);
      found = rows.map((r) => String(r.file));
    } else {
      let isDir = false;
      try {
        isDir = statSync(pattern).isDirectory();
      } catch {
        throw new OptmsmError('E_DATA_NOT_FOUND', `data file ${pattern} does not exist`, { location: pattern });
      }
      const wanted = format ? EXTENSIONS[format] : Object.values(EXTENSIONS).flat();
      found = isDir
        ? readdirSync(pattern).filter((f) => wanted.includes(extname(f).toLowerCase())).sort().map((f) => join(pattern, f))
        : [pattern];
    }
    if (found.length === 0) {
      throw new OptmsmError('E_DATA_NOT_FOUND', `no data files match ${pattern}`, {
        location: pattern, expected: format ? `files ending in ${EXTENSIONS[format].join(' / ')}` : 'CSV, Parquet or JSONL files',
      });
    }
    out.push(...found);
  }
  return out;
}

function readerSql(format: DataFormat, files: string[], csv: CsvOptions, numberColumns: string[], rejects: string | null, skip: boolean): string {
  const list = listLiteral(files);
  if (format === 'parquet') return `read_parquet(${list})`;
  if (format === 'jsonl') return `read_json(${list}, format = 'newline_delimited', ignore_errors = ${skip})`;
  const opts = [
    `header = ${csv.header}`, `delim = ${literal(csv.delimiter)}`, `quote = ${literal(csv.quote)}`,
    ...(csv.escape !== null ? [`escape = ${literal(csv.escape)}`] : []),
    'all_varchar = true',
  ];
  if (numberColumns.length > 0) opts.push(`types = {${numberColumns.map((c) => `${literal(c)}: 'DOUBLE'`).join(', ')}}`);
  if (rejects) opts.push('store_rejects = true', `rejects_table = '${rejects}_e'`, `rejects_scan = '${rejects}_s'`);
  // Reading only the header: rows that do not parse must not stop the dialect sniffer (they are reported later).
  else opts.push('ignore_errors = true');
  return `read_csv(${list}, ${opts.join(', ')})`;
}

async function columnsOf(session: DuckSession, format: DataFormat, file: string, csv: CsvOptions): Promise<string[]> {
  try {
    const rows = await session.rows(`DESCRIBE SELECT * FROM ${readerSql(format, [file], csv, [], null, false)}`);
    return rows.map((r) => String(r.column_name));
  } catch (e) {
    throw new OptmsmError('E_DATA_BAD_ROW', `cannot read ${file}: ${duckMessage(e)}`, { location: file });
  }
}

const BLANK_CHARS = `' ' || chr(9) || chr(10) || chr(13)`;
function selectExpr(r: ColumnRequest, format: DataFormat): string {
  const col = ident(r.column);
  if (r.type === 'number') return `${format === 'csv' ? col : `TRY_CAST(${col} AS DOUBLE)`} AS ${r.alias}`;
  if (r.type === 'text') return `CAST(${col} AS VARCHAR) AS ${r.alias}`;
  return `list_filter(list_transform(string_split(CAST(${col} AS VARCHAR), ${literal(r.separator ?? '|')}), lambda t: trim(t, ${BLANK_CHARS})), lambda t: t <> '') AS ${r.alias}`;
}

let tableCounter = 0;

/**
 * Makes every group's files available as one relation `table` with columns __rid (row id in input order), __g
 * (group), __f (file index) and the requested aliases: a view over Parquet, a loaded table for CSV and JSONL.
 */
export async function loadRaw(
  session: DuckSession,
  input: { format: DataFormat; csv: CsvOptions; groups: SourceGroup[]; columns: ColumnRequest[]; onBadRow: 'error' | 'skip' },
): Promise<RawTable> {
  const { format, csv, groups, columns } = input;
  const table = `raw_${++tableCounter}`;
  const allFiles = groups.flatMap((g) => g.files);
  const present = new Set(columns.map((c) => c.alias));
  for (const file of allFiles) {
    if (statSync(file).size === 0) {
      throw new OptmsmError('E_DATA_EMPTY', `data file ${file} is empty`, { location: file, expected: 'a header and data rows' });
    }
    const have = new Set(await columnsOf(session, format, file, csv));
    for (const c of columns) {
      if (have.has(c.column)) continue;
      if (c.optional) {
        present.delete(c.alias);
        continue;
      }
      throw new OptmsmError('E_DATA_MISSING_COLUMN', `data file ${file} has no column '${c.column}' (needed by ${c.purpose})`, {
        location: `${file}: ${c.column}`,
        expected: `a column named '${c.column}'`,
        found: [...have].slice(0, 20).join(', ') + (have.size > 20 ? ', ...' : ''),
      });
    }
  }
  const used = columns.filter((c) => present.has(c.alias));
  const numberColumns = [...new Set(used.filter((c) => c.type === 'number').map((c) => c.column))];
  const fileIndex = `CAST(list_position(${listLiteral(allFiles)}, filename) - 1 AS INTEGER)`;
  const bad: BadRow[] = [];
  let files: RawTable['files'];
  let drop: string[];
  if (format === 'parquet') {
    // Parquet is already columnar and typed: read it through a view (no copy); row ids come from per-file offsets.
    const meta = await session.rows(`SELECT file_name AS f, num_rows::DOUBLE AS n FROM parquet_file_metadata(${listLiteral(allFiles)})`);
    const rowsOf = new Map<string, number>();
    for (const r of meta) rowsOf.set(String(r.f), (rowsOf.get(String(r.f)) ?? 0) + Number(r.n));
    let offset = 0;
    files = allFiles.map((path) => {
      const f = { path, rows: rowsOf.get(path) ?? 0, firstRid: offset };
      offset += f.rows;
      return f;
    });
    const offsets = `[${files.map((f) => f.firstRid).join(', ')}]`;
    const selects = groups.map((g, gi) => {
      const cols = [`${gi}::UTINYINT AS __g`, `${fileIndex} AS __f`, `(${offsets}[${fileIndex} + 1] + file_row_number)::BIGINT AS __rid`, ...used.map((c) => selectExpr(c, format))];
      return `SELECT ${cols.join(', ')} FROM read_parquet(${listLiteral(g.files)}, file_row_number = true)`;
    });
    await session.run(`CREATE VIEW ${table} AS ${selects.join(' UNION ALL ')}`);
    drop = [`DROP VIEW ${table}`];
  } else {
    const selects = groups.map((g, gi) => {
      const rejects = format === 'csv' ? `${table}_rej${gi}` : null;
      const cols = [`${gi}::UTINYINT AS __g`, `${fileIndex} AS __f`, ...used.map((c) => selectExpr(c, format))];
      return `SELECT ${cols.join(', ')} FROM ${readerSql(format, g.files, csv, numberColumns, rejects, input.onBadRow === 'skip')}`;
    });
    try {
      await session.run(`CREATE TABLE ${table}_t AS ${selects.join(' UNION ALL ')}`);
    } catch (e) {
      throw new OptmsmError('E_DATA_BAD_ROW', `cannot read ${allFiles.length === 1 ? allFiles[0] : `${allFiles.length} files`}: ${duckMessage(e)}`, {
        location: allFiles[0],
        hint: input.onBadRow === 'error' && format === 'jsonl' ? 'on_bad_row: skip ignores rows that do not parse' : undefined,
      });
    }
    await session.run(`CREATE VIEW ${table} AS SELECT rowid AS __rid, * FROM ${table}_t`);
    drop = [`DROP VIEW ${table}`, `DROP TABLE ${table}_t`];
    if (format === 'csv') {
      for (let gi = 0; gi < groups.length; gi++) {
        const rej = `${table}_rej${gi}`;
        const rows = await session.rows(
          `SELECT s.file_path AS file, e.line::DOUBLE AS line, e.column_name AS col, e.error_message AS msg
           FROM ${rej}_e e JOIN ${rej}_s s USING (scan_id, file_id) ORDER BY file, line`);
        // DuckDB may report several errors for one line (e.g. one per missing column): keep the first.
        const seen = new Set<string>();
        for (const r of rows) {
          const key = `${String(r.file)}:${Number(r.line)}`;
          if (seen.has(key)) continue;
          seen.add(key);
          bad.push({ file: String(r.file), line: Number(r.line), column: r.col === null ? null : String(r.col), message: String(r.msg) });
        }
      }
    }
    if (bad.length > 0 && input.onBadRow === 'error') {
      const first = bad[0]!;
      throw new OptmsmError('E_DATA_BAD_ROW', `${bad.length} row${bad.length > 1 ? 's' : ''} of ${first.file} do not parse${first.column ? ` (column '${first.column}')` : ''}`, {
        location: `${first.file}:${first.line}`,
        found: bad.slice(0, 5).map((b) => `${b.file}:${b.line}${b.column ? ` [${b.column}]` : ''}: ${b.message}`).join('\n            '),
        hint: 'fix the rows, or set on_bad_row: skip to drop them (they are counted and reported)',
      });
    }
    const counts = await session.rows(`SELECT __f AS f, count(*)::DOUBLE AS n, min(rowid)::DOUBLE AS first FROM ${table}_t GROUP BY 1 ORDER BY first`);
    const byIndex = new Map(counts.map((r) => [Number(r.f), { rows: Number(r.n), firstRid: Number(r.first) }]));
    files = allFiles.map((path, i) => ({ path, ...(byIndex.get(i) ?? { rows: 0, firstRid: -1 }) }));
  }
  for (const f of files) {
    if (f.rows === 0) {
      throw new OptmsmError('E_DATA_EMPTY', `data file ${f.path} has no data rows`, {
        location: f.path, expected: 'at least one row', found: bad.some((b) => b.file === f.path) ? 'only rows that do not parse' : 'a header only',
      });
    }
  }
  const sorted = files.filter((f) => f.rows > 0).sort((a, b) => a.firstRid - b.firstRid);
  const rejectedLines = new Map<string, number[]>();
  for (const b of bad) rejectedLines.set(b.file, [...(rejectedLines.get(b.file) ?? []), b.line]);
  const locate = (rid: number): string => {
    let f = sorted[0]!;
    for (const x of sorted) if (x.firstRid <= rid) f = x;
    const index = rid - f.firstRid;
    if (format === 'parquet') return `${f.path}#row ${index + 1}`;
    let line = index + 1 + (format === 'csv' && csv.header ? 1 : 0);
    for (const l of rejectedLines.get(f.path) ?? []) if (l <= line) line++;
    return `${f.path}:${line}`;
  };
  const rows = files.reduce((s, f) => s + f.rows, 0);
  const dropAll = async (): Promise<void> => {
    for (const sql of drop) await session.run(sql);
  };
  return { table, rows, format, files, skipped: bad, present, locate, drop: dropAll };
}
