// A Source is the input of one prepare or encode job: its reader, the files per split group and the columns the
// schema needs. It builds the relation that the encode passes scan (a UNION ALL over groups with the group, the
// file and one alias per requested column), and after the first pass knows the rows per file and the rows that
// did not parse, so that any row id can be located (file:line, file#row) and its raw cells read back for errors.
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { assertInternal, OptmsmError } from '../errors.js';
import { SQL } from './contracts.js';
import { DuckSession, ident, listLiteral, literal } from './duck.js';
import { dateSecondsSql, type DateFrom } from './encoders/date.js';
import { extensionsOf, type BadRow, type FileRows, type Reader, type ReadContext } from './readers/index.js';
import { sniff } from './readers/sniff.js';
import type { CsvOptions, SplitName } from './schema.js';

export interface ColumnRequest {
  alias: string;
  column: string;
  /** text, a number, tokens of a multi cell, or a date (read as seconds since 1970-01-01 UTC, encoders/date.ts). */
  type: 'text' | 'number' | 'tokens' | 'date';
  separator?: string;
  /** How a date cell is written. */
  from?: DateFrom;
  /** Who needs it, for the missing-column message. */
  purpose: string;
  /** Absent columns are allowed (e.g. the label at prediction time). */
  optional?: boolean;
}

export interface SourceGroup {
  split: SplitName | null;
  files: string[];
}

/** How a pass reads: the first records rejects; the second parses categorical columns into ENUM types. */
export type Pass = { kind: 'first'; rejects: string } | { kind: 'second'; enumTypes: ReadonlyMap<string, string>; position: boolean };

/** Expands directories and globs into a sorted file list; a pattern matching nothing is E_DATA_NOT_FOUND. */
export async function expandFiles(session: DuckSession, patterns: readonly string[], format: string | null): Promise<string[]> {
  const out: string[] = [];
  const wanted = extensionsOf(format);
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
      found = isDir
        ? readdirSync(pattern).filter((f) => wanted.includes(extname(f).toLowerCase())).sort().map((f) => join(pattern, f))
        : [pattern];
    }
    if (found.length === 0) {
      throw new OptmsmError('E_DATA_NOT_FOUND', `no data files match ${pattern}`, { location: pattern, expected: `files ending in ${wanted.join(' / ')}` });
    }
    out.push(...found);
  }
  return out;
}

const BLANK_CHARS = `' ' || chr(9) || chr(10) || chr(13)`;
let sourceCounter = 0;

export class Source {
  readonly id = `src_${++sourceCounter}`;
  /** Rows per file and the row id of each file's first row; set by the first pass. */
  files: FileRows[] = [];
  skipped: BadRow[] = [];

  private constructor(
    readonly reader: Reader,
    private readonly ctx: ReadContext,
    readonly groups: SourceGroup[],
    /** The requested columns present in every file. */
    readonly columns: ColumnRequest[],
    private readonly headers: ReadonlyMap<string, string[]>,
  ) {}

  get allFiles(): string[] {
    return this.groups.flatMap((g) => g.files);
  }

  get onBadRow(): 'error' | 'skip' {
    return this.ctx.onBadRow;
  }

  /** The distinct file columns read. */
  get readColumns(): string[] {
    return [...new Set(this.columns.map((c) => c.column))];
  }

  has(alias: string): boolean {
    return this.columns.some((c) => c.alias === alias);
  }

  /** Checks that every file holds data of the reader's format and has the needed columns. */
  static async open(
    session: DuckSession,
    input: { reader: Reader; csv: CsvOptions; groups: SourceGroup[]; columns: ColumnRequest[]; onBadRow: 'error' | 'skip' },
  ): Promise<Source> {
    const ctx: ReadContext = { session, csv: input.csv, onBadRow: input.onBadRow };
    const absent = new Set<string>();
    const headers = new Map<string, string[]>();
    for (const file of input.groups.flatMap((g) => g.files)) {
      if (statSync(file).size === 0 || sniff(file) === 'blank') {
        throw new OptmsmError('E_DATA_EMPTY', `data file ${file} is empty`, {
          location: file, expected: 'a header and data rows', found: statSync(file).size === 0 ? '0 bytes' : 'only blanks (spaces, tabs, newlines)',
        });
      }
      const mismatch = input.reader.mismatch(file);
      if (mismatch !== null) {
        throw new OptmsmError('E_DATA_FORMAT', mismatch, {
          location: file, expected: `${input.reader.format} data (format: ${input.reader.format})`,
          hint: 'set `format:` in the dataset config to the format the file really has, or convert the file',
        });
      }
      const names = await input.reader.header(ctx, file);
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
    return new Source(input.reader, ctx, input.groups, input.columns.filter((c) => !absent.has(c.alias)), headers);
  }

  /** The relation (a UNION ALL over groups) with the group, the file index and the requested aliases. */
  relation(pass: Pass): string {
    const { reader } = this;
    const fileIndex = `CAST(list_position(${listLiteral(this.allFiles)}, filename) - 1 AS INTEGER)`;
    const numbers = [...new Set(this.columns.filter((c) => c.type === 'number').map((c) => c.column))];
    const enumTypes = pass.kind === 'second' ? pass.enumTypes : new Map<string, string>();
    // A column the reader parses into an ENUM must feed exactly one text alias.
    const uses = new Map<string, number>();
    for (const c of this.columns) uses.set(c.column, (uses.get(c.column) ?? 0) + 1);
    const parsedAsEnum = new Map<string, string>();
    if (reader.parsesTypes) {
      for (const c of this.columns) {
        const e = enumTypes.get(c.alias);
        if (e && c.type === 'text' && uses.get(c.column) === 1) parsedAsEnum.set(c.column, e);
      }
    }
    const select = (c: ColumnRequest): string => {
      const col = ident(c.column);
      if (c.type === 'number') return `${reader.parsesTypes ? col : `TRY_CAST(${col} AS DOUBLE)`} AS ${c.alias}`;
      if (c.type === 'date') return `${dateSecondsSql(`CAST(${col} AS VARCHAR)`, c.from ?? 'text')} AS ${c.alias}`;
      if (c.type === 'tokens') {
        // Typed formats (Parquet, JSONL) may hold the tokens as a list; text cells are split at the separator.
        const split = `string_split(CAST(${col} AS VARCHAR), ${literal(c.separator ?? '|')})`;
        const tokens = reader.parsesTypes ? split : `(CASE WHEN json_type(to_json(${col})) = 'ARRAY' THEN from_json(to_json(${col}), '["VARCHAR"]') ELSE ${split} END)`;
        return `list_filter(list_transform(${tokens}, lambda t: trim(t, ${BLANK_CHARS})), lambda t: t <> '') AS ${c.alias}`;
      }
      if (parsedAsEnum.has(c.column)) return `${col} AS ${c.alias}`;
      const e = enumTypes.get(c.alias);
      return e ? `CAST(CAST(${col} AS VARCHAR) AS ${e}) AS ${c.alias}` : `CAST(${col} AS VARCHAR) AS ${c.alias}`;
    };
    const types = new Map<string, string>(reader.parsesTypes ? numbers.map((n) => [n, 'DOUBLE']) : []);
    for (const [col, e] of parsedAsEnum) types.set(col, e);
    const position = pass.kind === 'second' && pass.position;
    const keep = reader.keep(this.ctx, this.readColumns);
    return this.groups.map((g, gi) => {
      const cols = [`${gi}::UTINYINT AS ${SQL.group}`, `${fileIndex} AS ${SQL.file}`, ...this.columns.map(select)];
      // The row's position in the whole input: its file's first row id plus its row number in the file.
      if (position) cols.push(`([${this.files.map((f) => f.firstRid).join(', ')}][${fileIndex} + 1] + file_row_number)::BIGINT AS ${SQL.position}`);
      const scan = reader.scan(this.ctx, g.files, { types, rejects: pass.kind === 'first' ? `${pass.rejects}${gi}` : null, position });
      return `SELECT ${cols.join(', ')} FROM ${scan}${keep ? ` WHERE ${keep}` : ''}`;
    }).join(' UNION ALL ');
  }

  /** After the first pass: records rejected rows (error or skip policy) and rows per file. */
  async finishFirstPass(rejects: string, rowsPerFile: ReadonlyMap<number, number>): Promise<void> {
    const bad: BadRow[] = [];
    let first = 0;
    for (const [gi, g] of this.groups.entries()) {
      const local = new Map(g.files.map((_, k) => [k, rowsPerFile.get(first + k) ?? 0]));
      bad.push(...(await this.reader.rejected(this.ctx, `${rejects}${gi}`, g.files, local, this.readColumns)));
      first += g.files.length;
    }
    if (bad.length > 0 && this.onBadRow === 'error') {
      const b = bad[0]!;
      throw new OptmsmError('E_DATA_BAD_ROW', `${bad.length} row${bad.length > 1 ? 's' : ''} of ${b.file} do not parse${b.column ? ` (column '${b.column}')` : ''}`, {
        location: `${b.file}:${b.line}`,
        found: bad.slice(0, 5).map((r) => `${r.file}:${r.line}${r.column ? ` [${r.column}]` : ''}: ${r.message}`).join('\n            '),
        hint: this.mostlyNotNumbers(bad, rowsPerFile) ?? 'fix the rows, or set on_bad_row: skip to drop them (they are counted and reported)',
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

  /** A hint when most rows fail in one numeric column: the column holds categories, not numbers. */
  private mostlyNotNumbers(bad: readonly BadRow[], rowsPerFile: ReadonlyMap<number, number>): string | null {
    const total = bad.length + [...rowsPerFile.values()].reduce((a, n) => a + n, 0);
    for (const c of this.columns) {
      if (c.type !== 'number') continue;
      const n = bad.filter((b) => b.column === c.column).length;
      if (n * 2 < total) continue;
      return `most values of '${c.column}' (${n} of ${total} rows) are not numbers: if it holds categories, declare ${c.purpose} `
        + `with kind: categorical (on_bad_row: skip would drop ${Math.round((100 * n) / total)}% of the rows)`;
    }
    return null;
  }

  get rows(): number {
    return this.files.reduce((s, f) => s + f.rows, 0);
  }

  /** For each skipped row, in input order, the row id of the first parsed row after it (rows that parsed before it). */
  async skippedRowIds(): Promise<number[]> {
    const out: number[] = [];
    for (const f of this.files) {
      const bad = this.skipped.filter((b) => b.file === f.path);
      if (bad.length === 0) continue;
      assertInternal(this.reader.rowsBefore !== undefined, `reader '${this.reader.format}' rejects rows but cannot count the rows before them`);
      for (const n of await this.reader.rowsBefore(this.ctx, f.path, bad)) out.push(f.firstRid + n);
    }
    return out;
  }

  private fileOf(rid: number): { file: FileRows; index: number } {
    let file = this.files[0]!;
    for (const f of this.files) if (f.rows > 0 && f.firstRid <= rid) file = f;
    return { file, index: rid - file.firstRid };
  }

  /** Where the row with this row id is (file:line, file#row N). */
  locate(rid: number): string {
    const { file, index } = this.fileOf(rid);
    return this.reader.locate(this.ctx, file, index, this.skipped);
  }

  /** The raw text of one cell, for error messages (reads the file again: only on the error path). */
  async rawValue(rid: number, column: string): Promise<string> {
    const { file, index } = this.fileOf(rid);
    try {
      return await this.reader.rawCell(this.ctx, file, index, column, this.headers.get(file.path) ?? [], this.skipped);
    } catch {
      return '(unreadable)';
    }
  }
}
