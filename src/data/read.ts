// Reading raw files through DuckDB. A Source describes the input (format, files per split group, the columns the
// schema needs) and builds the relation that the encoder scans: twice for CSV, first with every column as text
// (collecting distinct values, per-file row counts and the rows that do not parse, with file and line, from
// DuckDB's reject tables), then with categorical columns parsed straight into ENUM codes. Raw strings are never
// materialised, so memory does not grow with the text size of the data.
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
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
  /** 1-based line (0 when the reader cannot tell). */
  line: number;
  column: string | null;
  message: string;
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

const BLANK_CHARS = `' ' || chr(9) || chr(10) || chr(13)`;
let sourceCounter = 0;

/** How a pass reads: the first records rejects; the second parses categorical columns into ENUM types. */
export type Pass = { kind: 'first'; rejects: string } | { kind: 'second'; enumTypes: ReadonlyMap<string, string>; position?: boolean };

export class Source {
  readonly id = `src_${++sourceCounter}`;
  /** Rows per file and the row id (position in input order) of each file's first row; set by the first pass. */
  files: { path: string; rows: number; firstRid: number }[] = [];
  skipped: BadRow[] = [];
  private headers = new Map<string, string[]>();

  private constructor(
    readonly format: DataFormat,
    readonly csv: CsvOptions,
    readonly groups: SourceGroup[],
    /** The requested columns present in every file. */
    readonly columns: ColumnRequest[],
    readonly onBadRow: 'error' | 'skip',
  ) {}

  get allFiles(): string[] {
    return this.groups.flatMap((g) => g.files);
  }

  has(alias: string): boolean {
    return this.columns.some((c) => c.alias === alias);
  }

  /** Checks that every file is non-empty and has the needed columns. */
  static async open(
    session: DuckSession,
    input: { format: DataFormat; csv: CsvOptions; groups: SourceGroup[]; columns: ColumnRequest[]; onBadRow: 'error' | 'skip' },
  ): Promise<Source> {
    const absent = new Set<string>();
    const headers = new Map<string, string[]>();
    for (const file of input.groups.flatMap((g) => g.files)) {
      if (statSync(file).size === 0) {
        throw new OptmsmError('E_DATA_EMPTY', `data file ${file} is empty`, { location: file, expected: 'a header and data rows' });
      }
      const names = await columnsOf(session, input.format, file, input.csv);
      headers.set(file, names);
      const have = new Set(names);
      for (const c of input.columns) {
        if (have.has(c.column)) continue;
        if (c.optional) {
          absent.add(c.alias);
          continue;
        }
        throw new OptmsmError('E_DATA_MISSING_COLUMN', `data file ${file} has no column '${c.column}' (needed by ${c.purpose})`, {
          location: `${file}: ${c.column}`,
          expected: `a column named '${c.column}'`,
          found: names.slice(0, 20).join(', ') + (names.length > 20 ? ', ...' : ''),
        });
      }
    }
    const source = new Source(input.format, input.csv, input.groups, input.columns.filter((c) => !absent.has(c.alias)), input.onBadRow);
    source.headers = headers;
    return source;
  }

  /** The relation (a UNION ALL over groups) with __g (group), __f (file index) and the requested aliases. */
  relation(pass: Pass): string {
    const files = this.allFiles;
    const fileIndex = `CAST(list_position(${listLiteral(files)}, filename) - 1 AS INTEGER)`;
    const numbers = [...new Set(this.columns.filter((c) => c.type === 'number').map((c) => c.column))];
    const enumTypes = pass.kind === 'second' ? pass.enumTypes : new Map<string, string>();
    // A column parsed as an ENUM by the CSV reader must feed exactly one text alias.
    const textUses = new Map<string, number>();
    for (const c of this.columns) textUses.set(c.column, (textUses.get(c.column) ?? 0) + 1);
    const parsedAsEnum = new Map<string, string>();
    if (this.format === 'csv') {
      for (const c of this.columns) {
        const e = enumTypes.get(c.alias);
        if (e && c.type === 'text' && textUses.get(c.column) === 1) parsedAsEnum.set(c.column, e);
      }
    }
    const select = (c: ColumnRequest): string => {
      const col = ident(c.column);
      if (c.type === 'number') return `${this.format === 'csv' ? col : `TRY_CAST(${col} AS DOUBLE)`} AS ${c.alias}`;
      if (c.type === 'tokens') {
        return `list_filter(list_transform(string_split(CAST(${col} AS VARCHAR), ${literal(c.separator ?? '|')}), lambda t: trim(t, ${BLANK_CHARS})), lambda t: t <> '') AS ${c.alias}`;
      }
      if (parsedAsEnum.has(c.column)) return `${col} AS ${c.alias}`;
      const e = enumTypes.get(c.alias);
      return e ? `CAST(CAST(${col} AS VARCHAR) AS ${e}) AS ${c.alias}` : `CAST(${col} AS VARCHAR) AS ${c.alias}`;
    };
    return this.groups.map((g, gi) => {
      const rejects = pass.kind === 'first' ? `${pass.rejects}${gi}` : null;
      const types = new Map<string, string>(numbers.map((n) => [n, 'DOUBLE']));
      for (const [col, e] of parsedAsEnum) types.set(col, e);
      const cols = [`${gi}::UTINYINT AS __g`, `${fileIndex} AS __f`, ...this.columns.map(select)];
      if (pass.kind === 'second' && pass.position && this.format === 'parquet') {
        // The row's position in the whole input: its file's offset plus its row number in the file.
        cols.push(`([${this.files.map((f) => f.firstRid).join(', ')}][${fileIndex} + 1] + file_row_number)::BIGINT AS __pos`);
        return `SELECT ${cols.join(', ')} FROM read_parquet(${listLiteral(g.files)}, file_row_number = true)`;
      }
      // DuckDB's JSON reader turns a line it cannot parse into a row of NULLs (with ignore_errors): drop those.
      const unparsed = this.format === 'jsonl' && this.onBadRow === 'skip'
        ? ` WHERE NOT (${[...new Set(this.columns.map((c) => c.column))].map((c) => `${ident(c)} IS NULL`).join(' AND ')})`
        : '';
      return `SELECT ${cols.join(', ')} FROM ${readerSql(this.format, g.files, this.csv, types, rejects, pass.kind === 'second' || this.onBadRow === 'skip')}${unparsed}`;
    }).join(' UNION ALL ');
  }

  /** After the first pass: records rejected rows (error or skip policy) and rows per file. */
  async finishFirstPass(session: DuckSession, rejects: string, rowsPerFile: Map<number, number>): Promise<void> {
    const bad: BadRow[] = [];
    if (this.format === 'csv') {
      for (let gi = 0; gi < this.groups.length; gi++) {
        const rows = await session.rows(
          `SELECT s.file_path AS file, e.line::DOUBLE AS line, e.column_name AS col, e.error_message AS msg
           FROM ${rejects}${gi}_e e JOIN ${rejects}${gi}_s s USING (scan_id, file_id) ORDER BY file, line`);
        // DuckDB may report several errors for one line (e.g. one per missing column): keep the first.
        const seen = new Set<string>();
        for (const r of rows) {
          const key = `${String(r.file)}:${Number(r.line)}`;
          if (seen.has(key)) continue;
          seen.add(key);
          bad.push({ file: String(r.file), line: Number(r.line), column: r.col === null ? null : String(r.col), message: String(r.msg) });
        }
      }
    } else if (this.format === 'jsonl' && this.onBadRow === 'skip') {
      this.allFiles.forEach((file, i) => {
        const lost = countLines(file) - (rowsPerFile.get(i) ?? 0);
        if (lost > 0) bad.push({ file, line: 0, column: null, message: `${lost} lines are not JSON objects` });
      });
    }
    if (bad.length > 0 && this.onBadRow === 'error') {
      const first = bad[0]!;
      throw new OptmsmError('E_DATA_BAD_ROW', `${bad.length} row${bad.length > 1 ? 's' : ''} of ${first.file} do not parse${first.column ? ` (column '${first.column}')` : ''}`, {
        location: `${first.file}:${first.line}`,
        found: bad.slice(0, 5).map((b) => `${b.file}:${b.line}${b.column ? ` [${b.column}]` : ''}: ${b.message}`).join('\n            '),
        hint: 'fix the rows, or set on_bad_row: skip to drop them (they are counted and reported)',
      });
    }
    let offset = 0;
    this.files = this.allFiles.map((path, i) => {
      const f = { path, rows: rowsPerFile.get(i) ?? 0, firstRid: offset };
      offset += f.rows;
      return f;
    });
    for (const f of this.files) {
      if (f.rows === 0) {
        throw new OptmsmError('E_DATA_EMPTY', `data file ${f.path} has no data rows`, {
          location: f.path, expected: 'at least one row', found: bad.some((b) => b.file === f.path) ? 'only rows that do not parse' : 'a header only',
        });
      }
    }
    this.skipped = bad;
  }

  get rows(): number {
    return this.files.reduce((s, f) => s + f.rows, 0);
  }

  private fileOf(rid: number): { file: { path: string; rows: number; firstRid: number }; index: number } {
    let file = this.files[0]!;
    for (const f of this.files) if (f.rows > 0 && f.firstRid <= rid) file = f;
    return { file, index: rid - file.firstRid };
  }

  private lineOf(rid: number): { path: string; line: number; index: number } {
    const { file, index } = this.fileOf(rid);
    let line = index + 1 + (this.format === 'csv' && this.csv.header ? 1 : 0);
    for (const b of this.skipped) if (b.file === file.path && b.line > 0 && b.line <= line) line++;
    return { path: file.path, line, index };
  }

  /** file:line (CSV, JSONL) or file#row (Parquet) of a row id (position of the row in the input). */
  locate(rid: number): string {
    if (this.format === 'parquet') {
      const { file, index } = this.fileOf(rid);
      return `${file.path}#row ${index + 1}`;
    }
    const { path, line } = this.lineOf(rid);
    return `${path}:${line}`;
  }

  /** The raw text of one cell, for error messages (reads the file again: only on the error path). */
  async rawValue(session: DuckSession, rid: number, column: string): Promise<string> {
    try {
      if (this.format === 'parquet') {
        const { file, index } = this.fileOf(rid);
        const [r] = await session.rows(`SELECT CAST(${ident(column)} AS VARCHAR) AS v FROM read_parquet(${literal(file.path)}, file_row_number = true) WHERE file_row_number = ${index}`);
        return r?.v === null || r?.v === undefined ? '(empty)' : String(r.v);
      }
      const { path, line } = this.lineOf(rid);
      const text = readLine(path, line);
      if (this.format === 'jsonl') {
        const v = (JSON.parse(text) as Record<string, unknown>)[column];
        return v === null || v === undefined || v === '' ? '(empty)' : String(v);
      }
      const header = this.headers.get(path) ?? [];
      const cell = splitCsvLine(text, this.csv)[header.indexOf(column)];
      return cell === undefined || cell === '' ? '(empty)' : cell;
    } catch {
      return '(unreadable)';
    }
  }
}

function readerSql(format: DataFormat, files: string[], csv: CsvOptions, types: ReadonlyMap<string, string>, rejects: string | null, ignoreErrors: boolean): string {
  const list = listLiteral(files);
  if (format === 'parquet') return `read_parquet(${list})`;
  if (format === 'jsonl') return `read_json(${list}, format = 'newline_delimited', ignore_errors = ${ignoreErrors})`;
  const opts = [
    `header = ${csv.header}`, `delim = ${literal(csv.delimiter)}`, `quote = ${literal(csv.quote)}`,
    ...(csv.escape !== null ? [`escape = ${literal(csv.escape)}`] : []),
    'all_varchar = true',
  ];
  if (types.size > 0) opts.push(`types = {${[...types].map(([c, t]) => `${literal(c)}: ${literal(t)}`).join(', ')}}`);
  if (rejects) opts.push('store_rejects = true', `rejects_table = '${rejects}_e'`, `rejects_scan = '${rejects}_s'`);
  // Without a reject table (reading the header, or the second pass): rows that do not parse were already
  // reported by the first pass and must not stop the reader.
  else opts.push('ignore_errors = true');
  return `read_csv(${list}, ${opts.join(', ')})`;
}

async function columnsOf(session: DuckSession, format: DataFormat, file: string, csv: CsvOptions): Promise<string[]> {
  try {
    const rows = await session.rows(`DESCRIBE SELECT * FROM ${readerSql(format, [file], csv, new Map(), null, true)}`);
    return rows.map((r) => String(r.column_name));
  } catch (e) {
    throw new OptmsmError('E_DATA_BAD_ROW', `cannot read ${file}: ${duckMessage(e)}`, { location: file });
  }
}

/** Line `n` (1-based) of a text file, read in blocks (error path only). */
function readLine(file: string, n: number): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    let line = 1;
    let position = 0;
    let parts: Buffer[] = [];
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, position);
      if (got === 0) return Buffer.concat(parts).toString('utf8');
      let start = 0;
      for (let i = 0; i < got; i++) {
        if (buf[i] !== 10) continue;
        if (line === n) return Buffer.concat([...parts, buf.subarray(start, i)]).toString('utf8').replace(/\r$/, '');
        line++;
        start = i + 1;
        parts = [];
      }
      if (line === n) parts.push(Buffer.from(buf.subarray(start, got)));
      position += got;
    }
  } finally {
    closeSync(fd);
  }
}

function countLines(file: string): number {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    let lines = 0;
    let position = 0;
    let last = 10;
    let nonBlank = false;
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, position);
      if (got === 0) break;
      for (let i = 0; i < got; i++) {
        const b = buf[i]!;
        if (b === 10) {
          if (nonBlank) lines++;
          nonBlank = false;
        } else if (b !== 13 && b !== 32 && b !== 9) nonBlank = true;
        last = b;
      }
      position += got;
    }
    return lines + (nonBlank && last !== 10 ? 1 : 0);
  } finally {
    closeSync(fd);
  }
}

/** Splits one CSV line with the configured delimiter and quote (for error messages only). */
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
